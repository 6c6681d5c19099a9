import { describe, expect, it } from 'vitest';
import { mergeSignatures, signaturesFromVerdict, verifyCommands } from '../../src/report/index.js';

const REF = `ghcr.io/acme/evidence@sha256:${'b'.repeat(64)}`;

describe('verify commands', () => {
  it('gives epack for the pack and the reference, cosign only for registry signatures', () => {
    const commands = verifyCommands(
      [
        { source: 'attestations/a.sigstore.json', mode: 'keyless', identity: 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main', issuer: 'https://token.actions.githubusercontent.com' },
        { source: 'sha256:' + 'c'.repeat(64), location: 'registry', mode: 'keyless', identity: 'alice@example.com', issuer: 'https://accounts.google.com' },
      ],
      'evidence.epack',
      REF,
    ).map((c) => c.command);
    expect(commands).toEqual([
      'epack verify evidence.epack --issuer https://token.actions.githubusercontent.com --subject https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main',
      `epack verify ${REF} --issuer https://token.actions.githubusercontent.com --subject https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main`,
      `epack verify ${REF} --issuer https://accounts.google.com --subject alice@example.com`,
      `cosign verify ${REF} --certificate-identity alice@example.com --certificate-oidc-issuer https://accounts.google.com`,
    ]);
  });

  it('verifies registry attestations by predicate type, and never offers cosign for an OCI layout', () => {
    const sig = { source: 'sha256:' + 'e'.repeat(64), location: 'registry' as const, mode: 'keyless' as const, identity: 'i@example.com', issuer: 'https://issuer.example', predicateType: 'https://slsa.dev/provenance/v1' };
    expect(verifyCommands([sig], REF, REF).map((c) => c.command)).toEqual([
      `epack verify ${REF} --issuer https://issuer.example --subject i@example.com --type https://slsa.dev/provenance/v1`,
      `cosign verify-attestation ${REF} --type https://slsa.dev/provenance/v1 --certificate-identity i@example.com --certificate-oidc-issuer https://issuer.example`,
    ]);
    const layout = `oci:/tmp/layout@sha256:${'f'.repeat(64)}`;
    const commands = verifyCommands([{ ...sig, predicateType: undefined }], layout, layout);
    expect(commands.map((c) => [c.tool, c.description])).toEqual([['epack', 'Verify the pack in the OCI layout with epack']]);
  });

  it('quotes attacker-controlled identities for the shell', () => {
    const [c] = verifyCommands([{ source: 'attestations/x.sigstore.json', mode: 'keyless', identity: "a'; rm -rf ~; echo '$(id)", issuer: 'https://i.example' }], 'my pack.epack');
    expect(c!.command).toBe(`epack verify 'my pack.epack' --issuer https://i.example --subject 'a'\\''; rm -rf ~; echo '\\''$(id)'`);
    expect(c!.argv).toEqual(['epack', 'verify', 'my pack.epack', '--issuer', 'https://i.example', '--subject', "a'; rm -rf ~; echo '$(id)"]);
  });

  it('uses --key for key-signed packs and drops duplicates', () => {
    const sig = { source: 'attestations/k.sigstore.json', mode: 'key' as const, identity: 'sha256:' + 'd'.repeat(64) };
    const commands = verifyCommands([sig, { ...sig, source: 'attestations/k2.sigstore.json' }], 'e.epack');
    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatchObject({ command: 'epack verify e.epack --key public-key.pem', signer: `public key sha256:${'d'.repeat(64)}` });
  });
});

describe('verification results', () => {
  it('maps a verdict and keeps claims for attestations it did not cover', () => {
    const verified = signaturesFromVerdict({
      signatures: [
        { source: 'attestations/a.sigstore.json', mode: 'key', identity: 'sha256:1', predicateType: 'p', subjectDigest: 'sha256:2', ruleMet: 'key sha256:1', logIndex: '7' },
      ],
      failures: [{ source: 'attestations/b.sigstore.json', code: 'signature_invalid', message: 'bad signature' }],
    });
    expect(verified).toEqual([
      { source: 'attestations/a.sigstore.json', location: 'pack', verified: true, mode: 'key', identity: 'sha256:1', ruleMet: 'key sha256:1', predicateType: 'p', logIndex: '7' },
      { source: 'attestations/b.sigstore.json', location: 'pack', verified: false, error: 'signature_invalid: bad signature' },
    ]);
    const merged = mergeSignatures(verified, [{ source: 'attestations/a.sigstore.json' }, { source: 'attestations/c.sigstore.json', identity: 'x' }]);
    expect(merged.map((s) => [s.source, s.verified])).toEqual([
      ['attestations/a.sigstore.json', true],
      ['attestations/b.sigstore.json', false],
      ['attestations/c.sigstore.json', undefined],
    ]);
  });
});

/**
 * `epack sign` / `epack verify` end to end: the built CLI, a private Sigstore
 * on loopback, packs on disk, packs pushed to an OCI layout and to a real
 * registry (olareg, referrers API). Exit codes: 0 ok, 1 verification failed,
 * 2 bad usage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { makePack } from '../../packages/oci-pack/test/sign/pack-fixture.js';
import { EMAIL_ISSUER, GITHUB_IDENTITY, GITHUB_ISSUER, startMockSigstore, type MockSigstore } from '../harness/sigstore.js';
import { runEpack, type RunResult } from '../harness/cli.js';
import { registryAvailable, startRegistry, type RunningRegistry } from '../harness/registries.js';

let sigstore: MockSigstore;
let dir: string;
let rootFile: string;
let key: string;
let pub: string;
let otherPub: string;
let n = 0;

const keylessFlags = (): string[] => ['--fulcio-url', sigstore.fulcioURL, '--rekor-url', sigstore.rekorURL, '--tlog-entry-type', 'intoto', '--tsa-url', sigstore.tsaURL, '-y'];
const githubPolicy = ['--issuer', GITHUB_ISSUER, '--subject', GITHUB_IDENTITY];

function json(r: RunResult): Record<string, unknown> {
  return JSON.parse(r.stdout) as Record<string, unknown>;
}
function errorCode(r: RunResult): string {
  const line = r.stderr.trim().split('\n').pop() ?? '';
  try {
    return (JSON.parse(line) as { error: { code: string } }).error.code;
  } catch {
    return /epack: (\S+):/.exec(line)?.[1] ?? line;
  }
}

beforeAll(async () => {
  sigstore = await startMockSigstore();
  dir = await mkdtemp(path.join(tmpdir(), 'epack-cli-sign-'));
  rootFile = await sigstore.writeTrustedRoot(dir);
  const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  key = path.join(dir, 'k.pem');
  pub = path.join(dir, 'k.pub');
  otherPub = path.join(dir, 'other.pub');
  await writeFile(key, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  await writeFile(pub, pair.publicKey.export({ format: 'pem', type: 'spki' }));
  await writeFile(otherPub, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'pem', type: 'spki' }));
});
afterAll(async () => {
  await sigstore?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.concurrent('epack sign / verify on packs', () => {
  it('keyless sign, then verify with --json listing identity, issuer, time, log index and rule', async () => {
    const file = await makePack(path.join(dir, `p${n++}.epack`));
    const signed = await runEpack(['sign', file, ...keylessFlags(), '--json'], { env: { SIGSTORE_ID_TOKEN: sigstore.githubToken() } });
    expect(signed.code, signed.stderr).toBe(0);
    const verified = await runEpack(['verify', file, '--trusted-root', rootFile, '--offline', ...githubPolicy, '--json']);
    expect(verified.code, verified.stderr).toBe(0);
    const out = json(verified);
    expect(out['attestationCheck']).toBe('verified');
    const sigs = out['signatures'] as Array<Record<string, unknown>>;
    expect(sigs).toHaveLength(1);
    expect(sigs[0]).toMatchObject({ mode: 'keyless', identity: GITHUB_IDENTITY, issuer: GITHUB_ISSUER, ruleMet: expect.stringContaining(GITHUB_IDENTITY) });
    expect(sigs[0]!['logIndex']).toEqual(expect.any(String));
    expect(sigs[0]!['integratedTime']).toEqual(expect.any(String));
    expect(sigs[0]!['timestamp']).toEqual(expect.any(String));

    expect(sigs[0]!['claims']).toMatchObject({ sourceRepositoryURI: 'https://github.com/acme/evidence' });

    const text = await runEpack(['verify', file, '--trusted-root', rootFile, '--offline', ...githubPolicy, '--claim', 'sourceRepositoryRef=refs/heads/main']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(GITHUB_IDENTITY);
    expect(text.stdout).toContain('from https://github.com/acme/evidence@refs/heads/main');
    expect(text.stdout).toContain('meets subject=');
    const fork = await runEpack(['verify', file, '--trusted-root', rootFile, '--offline', ...githubPolicy, '--claim', 'sourceRepositoryURI=https://github.com/evil/fork', '--json']);
    expect(fork.code).toBe(1);
    expect(errorCode(fork)).toBe('identity_mismatch');
  });

  it('fails closed and with the right codes', async () => {
    const file = await makePack(path.join(dir, `p${n++}.epack`));
    const unsigned = await runEpack(['verify', file, '--key', pub, '--json']);
    expect(unsigned.code).toBe(1);
    expect(errorCode(unsigned)).toBe('no_signatures');

    expect((await runEpack(['sign', file, ...keylessFlags()], { env: { SIGSTORE_ID_TOKEN: sigstore.emailToken('malice@example.com.evil') } })).code).toBe(0);
    const noPolicy = await runEpack(['verify', file, '--trusted-root', rootFile, '--json']);
    expect(noPolicy.code).toBe(1);
    expect(errorCode(noPolicy)).toBe('policy_required');
    const trap = await runEpack(['verify', file, '--trusted-root', rootFile, '--subject-regexp', 'alice@example.com', '--issuer', EMAIL_ISSUER, '--json']);
    expect(trap.code).toBe(1);
    expect(errorCode(trap)).toBe('identity_mismatch');
    const issuerOnly = await runEpack(['verify', file, '--trusted-root', rootFile, '--issuer', EMAIL_ISSUER]);
    expect(issuerOnly.code).toBe(2);
    expect(errorCode(issuerOnly)).toBe('policy_invalid');
    const integrity = await runEpack(['verify', file, '--integrity-only']);
    expect(integrity.code).toBe(0);
  });

  it('threshold with paired identities', async () => {
    const file = await makePack(path.join(dir, `p${n++}.epack`));
    const policy = ['--subject', GITHUB_IDENTITY, '--issuer', GITHUB_ISSUER, '--subject', 'auditor@example.com', '--issuer', EMAIL_ISSUER, '--threshold', '2'];
    await runEpack(['sign', file, ...keylessFlags()], { env: { SIGSTORE_ID_TOKEN: sigstore.githubToken() } });
    const one = await runEpack(['verify', file, '--trusted-root', rootFile, ...policy, '--json']);
    expect(one.code).toBe(1);
    expect(errorCode(one)).toBe('threshold_not_met');
    // The token from a file (--identity-token <path>), like cosign.
    const tokenFile = path.join(dir, `token-${n++}`);
    await writeFile(tokenFile, sigstore.emailToken('auditor@example.com') + '\n');
    const fromFile = await runEpack(['sign', file, ...keylessFlags(), '--identity-token', tokenFile], { env: { SIGSTORE_ID_TOKEN: undefined } });
    expect(fromFile.code, fromFile.stderr).toBe(0);
    const two = await runEpack(['verify', file, '--trusted-root', rootFile, ...policy, '--json']);
    expect(two.code, two.stderr).toBe(0);
    expect((json(two)['signatures'] as unknown[]).length).toBe(2);
  });

  it('key sign and verify; wrong key rejected; keyless needs a token without a TTY', async () => {
    const file = await makePack(path.join(dir, `p${n++}.epack`));
    const signed = await runEpack(['sign', file, '--key', key, '--tlog-upload=false', '--json']);
    expect(signed.code, signed.stderr).toBe(0);
    expect(json(signed)).toMatchObject({ mode: 'key', attestation: expect.stringMatching(/^attestations\//) });
    // Flags before the positional: repeatable flags are not greedy.
    expect((await runEpack(['verify', '--key', pub, '--offline', '--trusted-root', rootFile, file])).code).toBe(0);
    const wrong = await runEpack(['verify', file, '--key', otherPub, '--offline', '--json']);
    expect(wrong.code).toBe(1);
    expect(errorCode(wrong)).toBe('signature_invalid');
    const tlog = await runEpack(['verify', file, '--key', pub, '--require-tlog', '--offline', '--json']);
    expect(tlog.code).toBe(2);
    expect(errorCode(tlog)).toBe('trusted_root_required');

    const noToken = await runEpack(['sign', file, ...keylessFlags(), '--json'], { env: { SIGSTORE_ID_TOKEN: undefined, ACTIONS_ID_TOKEN_REQUEST_URL: undefined } });
    expect(noToken.code).toBe(4);
    expect(errorCode(noToken)).toBe('identity_token_missing');
  });
});

describe.concurrent('epack sign / verify on references', () => {
  it('OCI layout: sign by key and keyless, verify both, wrong key fails', async () => {
    const file = await makePack(path.join(dir, `p${n++}.epack`));
    const layout = `oci:${path.join(dir, `layout${n++}`)}`;
    const pushed = await runEpack(['push', `${layout}:v1`, file]);
    expect(pushed.code, pushed.stderr).toBe(0);
    const signed = await runEpack(['sign', `${layout}:v1`, '--key', key, '--tlog-upload=false', '--json']);
    expect(signed.code, signed.stderr).toBe(0);
    expect(json(signed)).toMatchObject({ kind: 'reference', predicateType: 'https://sigstore.dev/cosign/sign/v1' });
    const keyless = await runEpack(['sign', `${layout}:v1`, ...keylessFlags(), '--json'], { env: { SIGSTORE_ID_TOKEN: sigstore.githubToken() } });
    expect(keyless.code, keyless.stderr).toBe(0);

    const byKey = await runEpack(['verify', `${layout}:v1`, '--key', pub, '--trusted-root', rootFile, '--json']);
    expect(byKey.code, byKey.stderr).toBe(0);
    const both = await runEpack(['verify', `${layout}:v1`, '--key', pub, ...githubPolicy, '--threshold', '2', '--trusted-root', rootFile, '--json']);
    expect(both.code, both.stderr).toBe(0);
    expect((json(both)['signatures'] as unknown[]).length).toBe(2);
    const wrong = await runEpack(['verify', `${layout}:v1`, '--key', otherPub, '--trusted-root', rootFile, '--json']);
    expect(wrong.code).toBe(1);

    // An attestation with its own predicate type, checked with --type.
    const statementFile = path.join(dir, `statement-${n++}.json`);
    await writeFile(statementFile, JSON.stringify({ predicateType: 'https://slsa.dev/provenance/v1', predicate: { buildDefinition: { buildType: 'x' } } }));
    const attested = await runEpack(['sign', `${layout}:v1`, '--key', key, '--tlog-upload=false', '--attestation', statementFile, '--json']);
    expect(attested.code, attested.stderr).toBe(0);
    expect(json(attested)['predicateType']).toBe('https://slsa.dev/provenance/v1');
    const provenance = await runEpack(['verify', `${layout}:v1`, '--key', pub, '--type', 'https://slsa.dev/provenance/v1', '--json']);
    expect(provenance.code, provenance.stderr).toBe(0);
    expect((json(provenance)['signatures'] as Array<{ predicateType: string }>).map((s) => s.predicateType)).toEqual(['https://slsa.dev/provenance/v1']);
  });

  describe.skipIf(!registryAvailable('olareg'))('registry (olareg)', () => {
    let registry: RunningRegistry;
    beforeAll(async () => {
      registry = (await startRegistry('olareg'))!;
    });
    afterAll(async () => registry?.stop());

    it('sign a pushed pack keyless and verify it by tag; another tag is not signed', async () => {
      const file = await makePack(path.join(dir, `p${n++}.epack`));
      const other = await makePack(path.join(dir, `p${n++}.epack`), [{ path: 'artifacts/x.json', content: '{"x":2}' }]);
      const ref = `${registry.host}/acme/evidence:2026-11`;
      expect((await runEpack(['push', ref, file])).code).toBe(0);
      expect((await runEpack(['push', `${registry.host}/acme/evidence:other`, other])).code).toBe(0);
      const signed = await runEpack(['sign', ref, ...keylessFlags(), '--json'], { env: { SIGSTORE_ID_TOKEN: sigstore.githubToken() } });
      expect(signed.code, signed.stderr).toBe(0);
      const ok = await runEpack(['verify', ref, '--trusted-root', rootFile, '--offline', ...githubPolicy, '--json']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(json(ok)['reference']).toMatch(/@sha256:/);
      const none = await runEpack(['verify', `${registry.host}/acme/evidence:other`, '--trusted-root', rootFile, ...githubPolicy, '--json']);
      expect(none.code).toBe(1);
      expect(errorCode(none)).toBe('no_signatures');
    });
  });
});

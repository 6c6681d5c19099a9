/**
 * Interop with the Go reference implementation (epack v0.1.34) on embedded
 * attestations: packs we sign keyless verify there against the private
 * Sigstore's trusted root; packs it signs with a key verify here. (Its CLI
 * cannot verify key-signed packs, and it cannot sign keyless against a
 * private Fulcio, so those two directions are not tested.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { verifyPack } from '../../packages/oci-pack/src/sign/index.js';
import { makePack } from '../../packages/oci-pack/test/sign/pack-fixture.js';
import { GITHUB_IDENTITY, GITHUB_ISSUER, startMockSigstore, type MockSigstore } from '../harness/sigstore.js';
import { runEpack, runTool } from '../harness/cli.js';
import { requireTool } from '../harness/tools.js';

const goEpack = requireTool('epack-go', 'sign interop with epack-go');

describe.skipIf(!goEpack)('epack-go interop (embedded attestations)', () => {
  let sigstore: MockSigstore;
  let dir: string;
  let rootFile: string;
  beforeAll(async () => {
    sigstore = await startMockSigstore();
    dir = await mkdtemp(path.join(tmpdir(), 'epack-go-sign-'));
    rootFile = await sigstore.writeTrustedRoot(dir);
  });
  afterAll(async () => {
    await sigstore?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a pack we sign keyless (epack sign) verifies in epack-go with an identity policy, offline', async () => {
    const file = await makePack(path.join(dir, 'ours.epack'));
    const signed = await runEpack(
      ['sign', file, '--fulcio-url', sigstore.fulcioURL, '--rekor-url', sigstore.rekorURL, '--tlog-entry-type', 'intoto', '--tsa-url', sigstore.tsaURL, '-y', '--json'],
      { env: { SIGSTORE_ID_TOKEN: sigstore.githubToken() } },
    );
    expect(signed.stderr).toBe('');
    expect(signed.code).toBe(0);
    expect(JSON.parse(signed.stdout)).toMatchObject({ kind: 'pack', mode: 'keyless', identity: GITHUB_IDENTITY });

    const ok = await runTool('epack-go', ['verify', file, '--trust-root', rootFile, '--offline', '--issuer', GITHUB_ISSUER, '--subject', GITHUB_IDENTITY]);
    expect(ok.stdout + ok.stderr).toContain('Verification passed');
    expect(ok.code).toBe(0);
    const wrong = await runTool('epack-go', ['verify', file, '--trust-root', rootFile, '--offline', '--issuer', GITHUB_ISSUER, '--subject', 'someone@else.example']);
    expect(wrong.code).not.toBe(0);
  });

  it('a pack epack-go builds and signs with a key verifies here with that key, and not with another', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const keyFile = path.join(dir, 'go.pem');
    const pubFile = path.join(dir, 'go.pub');
    await writeFile(keyFile, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    await writeFile(pubFile, pair.publicKey.export({ format: 'pem', type: 'spki' }));
    const data = path.join(dir, 'report.json');
    await writeFile(data, JSON.stringify({ findings: [] }));
    const pack = path.join(dir, 'theirs.epack');
    const built = await runTool('epack-go', ['build', pack, data, '--stream', 'acme/prod']);
    expect(built.code, built.stderr).toBe(0);
    const signed = await runTool('epack-go', ['sign', pack, '--key', keyFile, '--no-tlog', '--yes']);
    expect(signed.code, signed.stderr + signed.stdout).toBe(0);

    const verdict = await verifyPack(pack, { offline: true, policy: { key: await readFile(pubFile) } });
    expect(verdict.signatures).toHaveLength(1);
    expect(verdict.signatures[0]).toMatchObject({ mode: 'key', predicateType: 'https://evidencepack.org/attestation/v1' });
    await expect(verifyPack(pack, { offline: true, policy: { key: other.publicKey.export({ format: 'pem', type: 'spki' }).toString() } })).rejects.toMatchObject({
      code: 'signature_invalid',
    });
    await expect(verifyPack(pack, { offline: true })).rejects.toMatchObject({ code: 'policy_required' });
  });
});

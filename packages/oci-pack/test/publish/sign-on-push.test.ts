import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPack } from '../../src/pack/build.js';
import { pushPackFile } from '../../src/publish/transfer.js';
import { verifyArtifact } from '../../src/sign/referrers.js';
import { OciLayoutStore } from '../../src/store/oci-layout.js';

const EVIDENCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../examples/demo-evidence');
let dir: string;
let packPath: string;
let publicKey: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'epack-sign-push-'));
  packPath = path.join(dir, 'e.epack');
  await buildPack({ out: packPath, inputs: [EVIDENCE], stream: 'acme/demo', sources: ['ci@1'], generatedAt: '2026-11-01T12:00:00Z', cwd: dir });
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await writeFile(path.join(dir, 'key.pem'), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  publicKey = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  await writeFile(path.join(dir, 'epack.yaml'), 'remotes:\n  prod:\n    registry: oci:./store\n    sign: {key: key.pem, tlog_upload: false}\n');
});

describe('sign on push', () => {
  it("signs the pushed manifest as the remote's sign settings say; the signature verifies with the public key", async () => {
    const result = await pushPackFile({ target: 'prod', packPath, cwd: dir, env: {} });
    expect(result.signature).toMatchObject({ mode: 'key', predicateType: 'https://sigstore.dev/cosign/sign/v1' });
    const store = new OciLayoutStore(path.join(dir, 'store'));
    const verdict = await verifyArtifact(store, result.digest, { policy: { key: publicKey }, offline: true });
    expect(verdict.subject.digest).toBe(result.digest);
    expect(verdict.signatures.length).toBeGreaterThanOrEqual(1);
  });

  it('does not sign with --no-sign, nor a plain reference without a key', async () => {
    expect((await pushPackFile({ target: 'prod', packPath, cwd: dir, sign: false, tag: 'unsigned', env: {} })).signature).toBeUndefined();
    expect((await pushPackFile({ target: `oci:${path.join(dir, 'plain')}:v1`, packPath, env: {} })).signature).toBeUndefined();
  });

  it('signs a plain reference when a key is given', async () => {
    const result = await pushPackFile({ target: `oci:${path.join(dir, 'keyed')}:v1`, packPath, env: {}, signer: { key: path.join(dir, 'key.pem'), tlogUpload: false } });
    expect(result.signature?.mode).toBe('key');
  });
});

describe('a failed signature after a good push', () => {
  it('says the push succeeded and keeps the signing error code', async () => {
    const target = `oci:${path.join(dir, 'nokey')}:v1`;
    const err = await pushPackFile({ target, packPath, env: {}, signer: { key: path.join(dir, 'missing.pem'), tlogUpload: false } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ message: expect.stringMatching(/^pushed oci:\S+nokey@sha256:[0-9a-f]{64} \(tags v1\), but signing failed: /) });
    expect((err as { kind: string }).kind).not.toBe('internal');
    const store = new OciLayoutStore(path.join(dir, 'nokey'));
    expect((await store.resolve('v1')).digest).toMatch(/^sha256:/);
  });
});

describe('argument order', () => {
  it('points to copy when the pack is a reference', async () => {
    await expect(pushPackFile({ target: 'oci:./b:v1', packPath: 'oci:./a:v1', env: {} })).rejects.toMatchObject({ code: 'usage', hint: 'to copy a pushed pack between stores, run: epack copy -r oci:./a:v1 oci:./b:v1' });
  });

  it('names the mistake when the pack comes first', async () => {
    await expect(pushPackFile({ target: packPath, packPath: 'oci:./store:v1', env: {} })).rejects.toMatchObject({ code: 'usage', hint: `epack push oci:./store:v1 ${packPath}` });
  });
});

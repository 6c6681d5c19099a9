/**
 * Runs the policy-tool example of docs/signing.md ("Library API for policy
 * tools") as written, against packs pushed to OCI layouts and signed keyless
 * by the built CLI on a private Sigstore: the release workflow's signature is
 * admitted, another identity's is rejected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { makePack } from '../../packages/oci-pack/test/sign/pack-fixture.js';
import { startMockSigstore, type MockSigstore } from '../harness/sigstore.js';
import { runEpack } from '../harness/cli.js';
import { REPO_ROOT } from '../harness/tools.js';

let sigstore: MockSigstore;
let dir: string;
let rootFile: string;
let script: string;

async function docExample(): Promise<string> {
  const doc = await readFile(path.join(REPO_ROOT, 'docs/signing.md'), 'utf8');
  const match = /<!-- example: policy-tool -->\s*```js\n([\s\S]*?)```/.exec(doc);
  if (!match) throw new Error('docs/signing.md lost its policy-tool example');
  const library = pathToFileURL(path.join(REPO_ROOT, 'packages/oci-pack/dist/sign/index.js')).href;
  expect(match[1]).toContain("from '@epack/oci-pack/sign'");
  return match[1]!.replace("'@epack/oci-pack/sign'", JSON.stringify(library));
}

function node(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function signedLayout(name: string, token: string): Promise<string> {
  const pack = await makePack(path.join(dir, `${name}.epack`));
  const ref = `oci:${path.join(dir, name)}:v1`;
  expect((await runEpack(['push', ref, pack])).code).toBe(0);
  const keyless = ['--fulcio-url', sigstore.fulcioURL, '--rekor-url', sigstore.rekorURL, '--tlog-entry-type', 'intoto', '--tsa-url', sigstore.tsaURL, '-y'];
  const signed = await runEpack(['sign', ref, ...keyless], { env: { SIGSTORE_ID_TOKEN: token } });
  expect(signed.code, signed.stderr).toBe(0);
  return ref;
}

beforeAll(async () => {
  sigstore = await startMockSigstore();
  dir = await mkdtemp(path.join(tmpdir(), 'epack-lib-example-'));
  rootFile = await sigstore.writeTrustedRoot(dir);
  script = path.join(dir, 'check.mjs');
  await writeFile(script, await docExample());
});
afterAll(async () => {
  await sigstore?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('docs/signing.md policy-tool example', () => {
  it('lists the signature referrers and admits what the release workflow signed', async () => {
    const ref = await signedLayout('released', sigstore.githubToken());
    const r = await node([script, ref, rootFile]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^referrer sha256:[0-9a-f]{64} https:\/\/sigstore\.dev\/cosign\/sign\/v1 \d{4}-\d\d-\d\dT/m);
    expect(r.stdout).toContain('signed by https://github.com/acme/evidence/.github/workflows/release.yml@refs/heads/main (https://token.actions.githubusercontent.com)');
    expect(r.stdout).toMatch(/admit oci:.*released@sha256:[0-9a-f]{64}/);
  });

  it('rejects an artifact signed by another identity, with the verification code', async () => {
    const ref = await signedLayout('other', sigstore.emailToken());
    const r = await node([script, ref, rootFile]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^referrer sha256:/m);
    expect(r.stdout).toMatch(/reject oci:.*other:v1: (identity_mismatch|threshold_not_met)/);
    expect(r.stdout).not.toContain('admit');
  });
});

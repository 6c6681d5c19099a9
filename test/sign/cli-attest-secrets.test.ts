/**
 * Acceptance checks of issue 5 with the built CLI: `epack attach
 * --attestation` (signed in-toto predicates as cosign v3 referrers), pack
 * limit flags on `epack sign`, and secrets (identity token, key passphrase)
 * never printed, not even with --debug or when a service refuses them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { makePack } from '../../packages/oci-pack/test/sign/pack-fixture.js';
import { EMAIL_IDENTITY, EMAIL_ISSUER, GITHUB_IDENTITY, GITHUB_ISSUER, startMockSigstore, type MockSigstore } from '../harness/sigstore.js';
import { runEpack, type RunResult } from '../harness/cli.js';

let sigstore: MockSigstore;
let dir: string;
let rootFile: string;
let key: string;
let pub: string;
let n = 0;
const PASSPHRASE = 'correct-horse-battery-staple-9f3a';
let encryptedKey: string;
let encryptedPub: string;
let echoServer: Server;
let echoURL: string;

const keyless = (): string[] => ['--fulcio-url', sigstore.fulcioURL, '--rekor-url', sigstore.rekorURL, '--tlog-entry-type', 'intoto', '--tsa-url', sigstore.tsaURL, '-y'];
const PROVENANCE = 'https://slsa.dev/provenance/v1';

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
async function layoutWithPack(): Promise<string> {
  const pack = await makePack(path.join(dir, `p${n++}.epack`));
  const ref = `oci:${path.join(dir, `layout${n++}`)}:v1`;
  const pushed = await runEpack(['push', ref, pack]);
  expect(pushed.code, pushed.stderr).toBe(0);
  return ref;
}
/** The token and the parts of it that alone would be a leak (its signature). */
function tokenSecrets(token: string): string[] {
  return [token, token.split('.')[2]!].filter((s) => s.length >= 16);
}
function expectNoSecret(r: RunResult, secrets: string[]): void {
  for (const secret of secrets) {
    expect(r.stdout).not.toContain(secret);
    expect(r.stderr).not.toContain(secret);
  }
}

beforeAll(async () => {
  sigstore = await startMockSigstore();
  dir = await mkdtemp(path.join(tmpdir(), 'epack-attest-'));
  rootFile = await sigstore.writeTrustedRoot(dir);
  const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  key = path.join(dir, 'k.pem');
  pub = path.join(dir, 'k.pub');
  await writeFile(key, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  await writeFile(pub, pair.publicKey.export({ format: 'pem', type: 'spki' }));
  const enc = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  encryptedKey = path.join(dir, 'enc.pem');
  encryptedPub = path.join(dir, 'enc.pub');
  await writeFile(encryptedKey, enc.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }));
  await writeFile(encryptedPub, enc.publicKey.export({ format: 'pem', type: 'spki' }));
  // A Fulcio that refuses every request and echoes it back (token included).
  echoServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => res.writeHead(401, { 'Content-Type': 'text/plain' }).end(`refused: ${req.headers.authorization ?? ''} ${body}`));
  });
  await new Promise<void>((resolve) => echoServer.listen(0, '127.0.0.1', resolve));
  echoURL = `http://127.0.0.1:${(echoServer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await sigstore?.close();
  await new Promise((resolve) => echoServer?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.concurrent('epack attach --attestation', () => {
  it('key: attaches a signed SLSA provenance referrer that verify --type accepts; the plain signature policy does not count it', async () => {
    const ref = await layoutWithPack();
    const statement = path.join(dir, `prov${n++}.json`);
    await writeFile(statement, JSON.stringify({ predicateType: PROVENANCE, predicate: { buildDefinition: { buildType: 'https://example.com/build/v1' } } }));
    const attached = await runEpack(['attach', ref, '--attestation', statement, '--key', key, '--tlog-upload=false', '--json']);
    expect(attached.code, attached.stderr).toBe(0);
    expect(json(attached)).toMatchObject({ artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json', predicateType: PROVENANCE, mode: 'key' });
    const discovered = await runEpack(['discover', ref, '--json']);
    expect(discovered.stdout).toContain(json(attached)['digest'] as string);
    const ok = await runEpack(['verify', ref, '--type', PROVENANCE, '--key', pub, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect((json(ok)['signatures'] as Array<{ predicateType: string; source: string }>).map((s) => [s.predicateType, s.source])).toEqual([[PROVENANCE, json(attached)['digest']]]);
    // it is not a signature of the artifact (cosign sign/v1)
    const plain = await runEpack(['verify', ref, '--key', pub, '--json']);
    expect(plain.code).toBe(1);
    expect(errorCode(plain)).toBe('no_signatures');
  });

  it('keyless: the attestation carries the signer identity; a foreign subject digest is refused', async () => {
    const ref = await layoutWithPack();
    const statement = path.join(dir, `vex${n++}.json`);
    await writeFile(statement, JSON.stringify({ predicateType: 'https://openvex.dev/ns/v0.2.0', predicate: { statements: [] } }));
    const attached = await runEpack(['attach', ref, '--attestation', statement, ...keyless(), '--json'], { env: { SIGSTORE_ID_TOKEN: sigstore.emailToken() } });
    expect(attached.code, attached.stderr).toBe(0);
    const ok = await runEpack(['verify', ref, '--type', 'https://openvex.dev/ns/v0.2.0', '--trusted-root', rootFile, '--offline', '--issuer', EMAIL_ISSUER, '--subject', EMAIL_IDENTITY, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect((json(ok)['signatures'] as Array<{ identity: string }>)[0]!.identity).toBe(EMAIL_IDENTITY);

    const foreign = path.join(dir, `foreign${n++}.json`);
    await writeFile(foreign, JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'x', digest: { sha256: 'a'.repeat(64) } }], predicateType: PROVENANCE, predicate: {} }));
    const refused = await runEpack(['attach', ref, '--attestation', foreign, '--key', key, '--tlog-upload=false']);
    expect(refused.code).toBe(2);
    expect(errorCode(refused)).toBe('subject_mismatch');
  });

  it('usage: files need --artifact-type; --attestation takes no files; nothing to attach', async () => {
    const ref = await layoutWithPack();
    const statement = path.join(dir, `s${n++}.json`);
    await writeFile(statement, JSON.stringify({ predicateType: PROVENANCE, predicate: {} }));
    expect((await runEpack(['attach', ref, statement])).code).toBe(2);
    expect((await runEpack(['attach', ref, '--attestation', statement, statement, '--key', key])).code).toBe(2);
    expect((await runEpack(['attach', ref])).code).toBe(2);
  });
});

describe.concurrent('epack sign: pack limits and secrets', () => {
  it('signs with raised pack limits, and applies lowered ones', async () => {
    const file = await makePack(path.join(dir, `p${n++}.epack`), [{ path: 'artifacts/big.json', content: JSON.stringify({ data: 'x'.repeat(1_500_000) }) }]);
    const tooSmall = await runEpack(['sign', file, '--key', key, '--tlog-upload=false', '--max-artifact-size', '1MiB']);
    expect(tooSmall.code).toBe(2);
    expect(errorCode(tooSmall)).toBe('artifact_too_large');
    const raised = await runEpack(['sign', file, '--key', key, '--tlog-upload=false', '--max-artifact-size', '1GiB', '--max-pack-size', '4GiB']);
    expect(raised.code, raised.stderr).toBe(0);
    expect((await runEpack(['verify', file, '--key', pub, '--max-artifact-size', '1GiB'])).code).toBe(0);
  });

  it('the identity token never appears in output, with --debug, in --json, or when Fulcio refuses it', async () => {
    const token = sigstore.emailToken();
    const secrets = tokenSecrets(token);
    const file = await makePack(path.join(dir, `p${n++}.epack`));
    const packSigned = await runEpack(['sign', file, ...keyless(), '--identity-token', token, '--debug', '--json']);
    expect(packSigned.code, packSigned.stderr).toBe(0);
    expectNoSecret(packSigned, secrets);
    const ref = await layoutWithPack();
    const refSigned = await runEpack(['sign', ref, ...keyless(), '--debug'], { env: { SIGSTORE_ID_TOKEN: token } });
    expect(refSigned.code, refSigned.stderr).toBe(0);
    expectNoSecret(refSigned, secrets);
    const tokenFile = path.join(dir, `token${n++}`);
    await writeFile(tokenFile, token);
    for (const json of [[], ['--json']]) {
      const refused = await runEpack(['sign', ref, '--fulcio-url', echoURL, '--tsa-url', sigstore.tsaURL, '--tlog-upload=false', '--identity-token', tokenFile, '--debug', ...json]);
      expect(refused.code).toBe(4);
      expectNoSecret(refused, secrets);
    }
    // A token sigstore-js cannot parse: its error message quotes the token.
    const malformed = 'opaque-token=S3cr3tValueThatMustNotLeak0123456789';
    for (const how of [{ args: ['--identity-token', malformed], env: {} }, { args: [], env: { SIGSTORE_ID_TOKEN: malformed } }]) {
      const bad = await runEpack(['sign', file, ...keyless(), '--debug', ...how.args], { env: how.env });
      expect(bad.code).toBe(4);
      expect(bad.stderr).toContain('identity_token_rejected');
      expectNoSecret(bad, [malformed, 'S3cr3tValueThatMustNotLeak0123456789']);
    }
  });

  it('GitHub Actions ambient credentials: the CLI asks the runner token service (audience=sigstore) and signs keyless; neither token is printed', async () => {
    const requestToken = 'ghs_requesttoken_0123456789abcdef0123';
    const idToken = sigstore.githubToken();
    const seen: string[] = [];
    const actions = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      seen.push(`${url.pathname} ${url.searchParams.get('audience')} ${req.headers.authorization === `Bearer ${requestToken}`}`);
      if (req.headers.authorization !== `Bearer ${requestToken}`) return void res.writeHead(401).end();
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ value: idToken }));
    });
    await new Promise<void>((resolve) => actions.listen(0, '127.0.0.1', resolve));
    try {
      const env = {
        SIGSTORE_ID_TOKEN: undefined,
        ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${(actions.address() as AddressInfo).port}/token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
      };
      const file = await makePack(path.join(dir, `p${n++}.epack`));
      const signed = await runEpack(['sign', file, ...keyless(), '--debug', '--json'], { env });
      expect(signed.code, signed.stderr).toBe(0);
      expect(json(signed)).toMatchObject({ mode: 'keyless', identity: GITHUB_IDENTITY });
      expect(seen).toEqual(['/token sigstore true']);
      expectNoSecret(signed, [requestToken, ...tokenSecrets(idToken)]);
      const ok = await runEpack(['verify', file, '--trusted-root', rootFile, '--offline', '--issuer', GITHUB_ISSUER, '--subject', GITHUB_IDENTITY]);
      expect(ok.code, ok.stderr).toBe(0);
      const refused = await runEpack(['sign', file, ...keyless()], { env: { ...env, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'wrong-request-token' } });
      expect(refused.code).toBe(4);
      expect(errorCode(refused)).toBe('identity_token_rejected');
    } finally {
      await new Promise((resolve) => actions.close(resolve));
    }
  });

  it('the key passphrase never appears, signing or failing', async () => {
    const file = await makePack(path.join(dir, `p${n++}.epack`));
    const signed = await runEpack(['sign', file, '--key', encryptedKey, '--tlog-upload=false', '--debug', '--json'], { env: { EPACK_KEY_PASSWORD: PASSPHRASE } });
    expect(signed.code, signed.stderr).toBe(0);
    expectNoSecret(signed, [PASSPHRASE]);
    expect((await runEpack(['verify', file, '--key', encryptedPub])).code).toBe(0);
    const wrongPass = `${PASSPHRASE}-wrong`;
    const wrong = await runEpack(['sign', file, '--key', encryptedKey, '--tlog-upload=false', '--debug'], { env: { EPACK_KEY_PASSWORD: wrongPass } });
    expect(wrong.code).toBe(2);
    expectNoSecret(wrong, [PASSPHRASE, wrongPass]);
  });
});

/**
 * Proves the harness: every registry kind × auth mode starts, challenges as
 * expected, accepts a push from oras and serves it to crane, and answers the
 * referrers API (olareg) or not (distribution).
 */
import { writeFileSync } from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, peerAvailable, runTool, type Sandbox } from './cli.js';
import { registryMatrix, startRegistry, stopAllRegistries, type RunningRegistry } from './registries.js';
import { fetchToken, parseChallenge, registryFetch, repoScope } from './registry-http.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const havePeers = peerAvailable('oras', 'harness registries') && peerAvailable('crane', 'harness registries');

afterAll(async () => {
  await stopAllRegistries();
});

for (const { kind, auth } of registryMatrix()) describe(`${kind}/${auth}`, () => {
  let reg: RunningRegistry | undefined;
  let sandbox: Sandbox;
  let manifestDigest: string | undefined;
  const repo = 'harness/check';

  beforeAll(async () => {
    reg = await startRegistry(kind, { auth });
    sandbox = createSandbox();
  });
  afterAll(async () => {
    await reg?.stop();
    sandbox?.dispose();
  });

  it('answers /v2/ as its auth mode says', async (ctx) => {
    if (!reg) return ctx.skip();
    const res = await fetch(`${reg.url}/v2/`);
    await res.arrayBuffer();
    if (auth === 'anonymous') {
      expect(res.status).toBe(200);
      return;
    }
    expect(res.status).toBe(401);
    const challenge = parseChallenge(res.headers.get('www-authenticate'));
    if (auth === 'basic') {
      expect(challenge?.scheme).toBe('basic');
      const ok = await registryFetch(reg, '/v2/');
      expect(ok.status).toBe(200);
      const wrong = await fetch(`${reg.url}/v2/`, {
        headers: { Authorization: `Basic ${Buffer.from(`${reg.username}:wrong`).toString('base64')}` },
      });
      expect(wrong.status).toBe(401);
    } else {
      expect(challenge?.scheme).toBe('bearer');
      expect(challenge?.params['realm']).toBe(reg.tokenRealm);
      const granted = await fetchToken(reg, challenge!, repoScope(repo, ['pull', 'push']));
      expect(granted.status).toBe(200);
      expect(granted.token).toBeTruthy();
      const ok = await fetch(`${reg.url}/v2/`, { headers: { Authorization: `Bearer ${granted.token}` } });
      expect(ok.status).toBe(200);
      const refused = await fetchToken(reg, challenge!, repoScope(repo), { username: reg.username!, password: 'wrong' });
      // Our token server answers 401; olareg's own token endpoint 403.
      expect(refused.status).toBe(kind === 'olareg' ? 403 : 401);
      expect(refused.token).toBeUndefined();
      const forged = await fetch(`${reg.url}/v2/`, { headers: { Authorization: `Bearer ${granted.token}x` } });
      expect(forged.status).toBe(401);
    }
  });

  it.runIf(havePeers)('accepts an oras push that crane reads back', async (ctx) => {
    if (!reg) return ctx.skip();
    const file = path.join(sandbox.home, 'hello.txt');
    writeFileSync(file, 'hello from the epack harness\n');
    const ref = `${reg.host}/${repo}:v1`;
    const creds = auth === 'anonymous' ? [] : ['--username', reg.username!, '--password', reg.password!];
    const push = await runTool('oras', ['push', '--plain-http', ...creds, ref, 'hello.txt:text/plain'], {
      sandbox,
      cwd: sandbox.home,
    });
    expect(push.stderr + push.stdout).not.toMatch(/error/i);
    expect(push.code).toBe(0);
    // crane reads credentials from the registry's DOCKER_CONFIG.
    const manifest = await runTool('crane', ['manifest', '--insecure', ref], { dockerConfigDir: reg.dockerConfigDir });
    expect(manifest.code, manifest.stderr).toBe(0);
    const parsed = JSON.parse(manifest.stdout) as { mediaType?: string; layers: Array<{ size: number; annotations?: Record<string, string> }> };
    expect(parsed.mediaType).toBe(OCI_MANIFEST);
    expect(parsed.layers[0]?.annotations?.['org.opencontainers.image.title']).toBe('hello.txt');
    const head = await registryFetch(reg, `/v2/${repo}/manifests/v1`, { method: 'HEAD', headers: { Accept: OCI_MANIFEST } }, repoScope(repo));
    expect(head.status).toBe(200);
    manifestDigest = head.headers.get('docker-content-digest') ?? undefined;
    expect(manifestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it.runIf(havePeers)('answers the referrers API only where it has one', async (ctx) => {
    if (!reg || !manifestDigest) return ctx.skip();
    const res = await registryFetch(reg, `/v2/${repo}/referrers/${manifestDigest}`, {}, repoScope(repo));
    const body = await res.text();
    if (reg.referrersApi) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain(OCI_INDEX);
      const index = JSON.parse(body) as { schemaVersion: number; manifests: unknown[] };
      expect(index.schemaVersion).toBe(2);
      expect(index.manifests).toEqual([]);
    } else if (kind === 'olareg-noref') {
      // olareg with --api-referrer=false has no route there: 405, not 404.
      expect(res.status).toBe(405);
    } else {
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('text/plain');
    }
  });
});

describe('our token server', () => {
  let reg: RunningRegistry | undefined;
  beforeAll(async () => {
    reg = await startRegistry('distribution2', { auth: 'token' });
  });
  afterAll(() => reg?.stop());

  it('runs the OAuth2 password and refresh_token grants and records requests', async (ctx) => {
    if (!reg?.tokenServer) return ctx.skip();
    const ts = reg.tokenServer;
    const form = (fields: Record<string, string>): RequestInit => ({
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    const scope = repoScope('harness/oauth', ['pull']);
    const first = await fetch(ts.realm, form({
      grant_type: 'password', username: reg.username!, password: reg.password!,
      service: ts.service, scope, client_id: 'epack-test', access_type: 'offline',
    }));
    expect(first.status).toBe(200);
    const firstBody = (await first.json()) as { access_token: string; refresh_token?: string };
    expect(firstBody.refresh_token).toBeTruthy();
    const refreshed = await fetch(ts.realm, form({
      grant_type: 'refresh_token', refresh_token: firstBody.refresh_token!, service: ts.service, scope, client_id: 'epack-test',
    }));
    expect(refreshed.status).toBe(200);
    const { access_token } = (await refreshed.json()) as { access_token: string };
    const tags = await fetch(`${reg.url}/v2/harness/oauth/tags/list`, { headers: { Authorization: `Bearer ${access_token}` } });
    // Authorised (the repository does not exist yet, so 404 NAME_UNKNOWN, not 401).
    expect(tags.status).toBe(404);
    const bad = await fetch(ts.realm, form({ grant_type: 'refresh_token', refresh_token: 'nope', service: ts.service, scope }));
    expect(bad.status).toBe(401);
    const payload = JSON.parse(Buffer.from(access_token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(payload).toMatchObject({ iss: ts.issuer, aud: ts.service, access: [{ type: 'repository', name: 'harness/oauth', actions: ['pull'] }] });
    expect(ts.requests.map((r) => [r.method, r.grantType, r.status])).toEqual([
      ['POST', 'password', 200],
      ['POST', 'refresh_token', 200],
      ['POST', 'refresh_token', 401],
    ]);
  });

  it('does not grant push to a pull-only token', async (ctx) => {
    if (!reg?.tokenServer) return ctx.skip();
    const token = reg.tokenServer.issue(reg.username, [repoScope('harness/ro', ['pull'])]);
    const res = await fetch(`${reg.url}/v2/harness/ro/blobs/uploads/`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
  });
});

function httpsStatus(url: string, ca?: string): Promise<{ status: number; challenge?: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, ca === undefined ? {} : { ca }, (res) => {
        res.resume();
        const challenge = res.headers['www-authenticate'];
        resolve(challenge === undefined ? { status: res.statusCode ?? 0 } : { status: res.statusCode ?? 0, challenge });
      })
      .on('error', reject);
  });
}

const TLS_CASES = [
  { kind: 'distribution2', auth: 'token' },
  { kind: 'distribution3', auth: 'anonymous' },
  { kind: 'olareg', auth: 'basic' },
] as const;

for (const { kind, auth } of TLS_CASES) describe(`${kind}/${auth} over https`, () => {
  let reg: RunningRegistry | undefined;
  let sandbox: Sandbox;
  beforeAll(async () => {
    reg = await startRegistry(kind, { auth, tls: true });
    sandbox = createSandbox();
  });
  afterAll(async () => {
    await reg?.stop();
    sandbox?.dispose();
  });

  it('serves https with its own certificate, and https realms', async (ctx) => {
    if (!reg) return ctx.skip();
    expect(reg.url).toBe(`https://${reg.host}`);
    await expect(httpsStatus(`${reg.url}/v2/`)).rejects.toThrow(/self.signed|certificate/i);
    const res = await httpsStatus(`${reg.url}/v2/`, reg.certificatePem);
    expect(res.status).toBe(auth === 'anonymous' ? 200 : 401);
    if (auth === 'token') {
      expect(res.challenge).toMatch(/^Bearer realm="https:\/\/localhost:\d+\/token"/);
      const token = await httpsStatus(`${reg.tokenRealm}?service=${encodeURIComponent(reg.tokenServer!.service)}`, reg.certificatePem);
      expect(token.status).toBe(200);
    }
  });

  it.runIf(havePeers)('accepts an oras push over https with --ca-file', async (ctx) => {
    if (!reg) return ctx.skip();
    writeFileSync(path.join(sandbox.home, 'tls.txt'), 'over https\n');
    const ref = `${reg.host}/harness/tls:v1`;
    const creds = auth === 'anonymous' ? [] : ['--username', reg.username!, '--password', reg.password!];
    const push = await runTool('oras', ['push', '--ca-file', reg.caFile!, ...creds, ref, 'tls.txt:text/plain'], { sandbox });
    expect(push.code, push.stderr).toBe(0);
    const fetched = await runTool('oras', ['manifest', 'fetch', '--ca-file', reg.caFile!, ...creds, ref], { sandbox });
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(JSON.parse(fetched.stdout)).toMatchObject({ mediaType: OCI_MANIFEST });
  });
});

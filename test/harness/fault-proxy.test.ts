/**
 * The fault proxy (in front of a real registry) and the hostile registry do
 * what they promise, checked with plain fetch / https.
 */
import * as https from 'node:https';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { hostile, sha256, startHostileRegistry, type HostileRegistry } from './hostile-registry.js';
import { registryAvailable, startRegistry, type RunningRegistry } from './registries.js';
import { fetchToken, parseChallenge } from './registry-http.js';
import { startTokenServer, type TokenServer } from './token-server.js';

const KIND = 'distribution2';

describe.skipIf(!registryAvailable(KIND, 'basic'))('fault proxy in front of docker-registry (basic auth)', () => {
  let reg: RunningRegistry;
  let proxy: FaultProxy;
  let auth: string;
  const blob = Buffer.from('0123456789'.repeat(100));
  const digest = sha256(blob);

  beforeAll(async () => {
    reg = (await startRegistry(KIND, { auth: 'basic' }))!;
    proxy = await startFaultProxy(reg.url);
    auth = `Basic ${Buffer.from(`${reg.username}:${reg.password}`).toString('base64')}`;
    // Upload one blob through the proxy: POST, then PUT at the Location it gives.
    const post = await fetch(`${proxy.url}/v2/fp/test/blobs/uploads/`, { method: 'POST', headers: { Authorization: auth } });
    expect(post.status).toBe(202);
    const location = new URL(post.headers.get('location')!, proxy.url);
    expect(location.origin).toBe(proxy.url);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, {
      method: 'PUT',
      headers: { Authorization: auth, 'Content-Type': 'application/octet-stream' },
      body: blob,
    });
    expect(put.status).toBe(201);
  });
  afterAll(async () => {
    await proxy?.close();
    await reg?.stop();
  });
  beforeEach(() => proxy.reset());

  const getBlob = (): Promise<Response> => fetch(`${proxy.url}/v2/fp/test/blobs/${digest}`, { headers: { Authorization: auth } });

  it('forwards and records requests without credentials', async () => {
    const res = await getBlob();
    expect(Buffer.from(await res.arrayBuffer())).toEqual(blob);
    expect(proxy.requests).toHaveLength(1);
    const [r] = proxy.requests;
    expect(r).toMatchObject({ method: 'GET', path: `/v2/fp/test/blobs/${digest}`, status: 200, authScheme: 'basic' });
    expect(r!.headers['authorization']).toBe('Basic [redacted]');
    expect(JSON.stringify(proxy.requests)).not.toContain(reg.password!);
    expect(JSON.stringify(proxy.requests)).not.toContain(auth.slice(6));
  });

  it('injects a status on the nth matching request only', async () => {
    proxy.addRule({ method: 'GET', path: /\/blobs\//, nth: 2, fault: { kind: 'status', status: 503 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await getBlob();
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 503, 200]);
    expect(proxy.requests.map((r) => r.fault)).toEqual([undefined, 'status 503', undefined]);
  });

  it('answers 429 with Retry-After in seconds or as an HTTP-date', async () => {
    const date = new Date(Date.now() + 120_000);
    proxy.addRule({ path: /\/blobs\//, nth: 1, fault: { kind: 'retry-after', seconds: 7 } });
    proxy.addRule({ path: /\/blobs\//, nth: 2, fault: { kind: 'retry-after', date } });
    const a = await getBlob();
    const b = await getBlob();
    expect([a.status, a.headers.get('retry-after')]).toEqual([429, '7']);
    expect([b.status, b.headers.get('retry-after')]).toEqual([429, date.toUTCString()]);
  });

  it('cuts the connection in the middle of a response body', async () => {
    proxy.addRule({ path: /\/blobs\//, fault: { kind: 'reset-response', afterBytes: 100 } });
    const res = await getBlob();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(blob.length));
    await expect(res.arrayBuffer()).rejects.toThrow();
  });

  it('cuts the connection before answering', async () => {
    proxy.addRule({ method: 'GET', fault: { kind: 'reset-request' } });
    await expect(getBlob()).rejects.toThrow();
    expect(proxy.requests[0]?.status).toBeUndefined();
  });

  it('stalls, stalls mid-body and slows the link', async () => {
    proxy.addRule({ path: /\/blobs\//, nth: 1, fault: { kind: 'stall', ms: 300 } });
    proxy.addRule({ path: /\/blobs\//, nth: 2, fault: { kind: 'stall-body', afterBytes: 10, ms: 300 } });
    proxy.addRule({ path: /\/blobs\//, nth: 3, fault: { kind: 'slow', bytesPerSecond: 4000 } });
    for (const minMs of [280, 280, 200]) {
      const t0 = Date.now();
      const res = await getBlob();
      expect(Buffer.from(await res.arrayBuffer())).toEqual(blob);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(minMs);
    }
  });

  it('stalls forever until the client gives up', async () => {
    proxy.addRule({ path: /\/blobs\//, fault: { kind: 'stall' } });
    await expect(fetch(`${proxy.url}/v2/fp/test/blobs/${digest}`, { headers: { Authorization: auth }, signal: AbortSignal.timeout(200) })).rejects.toThrow();
  });

});

describe.skipIf(!registryAvailable('olareg', 'token'))('fault proxy in front of olareg (token auth)', () => {
  let reg: RunningRegistry;
  let proxy: FaultProxy;
  beforeAll(async () => {
    reg = (await startRegistry('olareg', { auth: 'token' }))!;
    proxy = await startFaultProxy(reg.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await reg?.stop();
  });

  it('rewrites the registry origin in the realm so the token flow crosses the proxy too', async () => {
    const res = await fetch(`${proxy.url}/v2/`);
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain(`realm="${proxy.url}/token"`);
    expect(challenge).not.toContain(reg.url);
    const basic = `Basic ${Buffer.from(`${reg.username}:${reg.password}`).toString('base64')}`;
    const service = /service="([^"]*)"/.exec(challenge)?.[1] ?? '';
    const tokenUrl = `${proxy.url}/token?service=${encodeURIComponent(service)}&scope=${encodeURIComponent('repository:a:pull')}`;
    const tokenRes = await fetch(tokenUrl, { headers: { Authorization: basic } });
    expect(tokenRes.status).toBe(200);
    const { token } = (await tokenRes.json()) as { token: string };
    const ping = await fetch(`${proxy.url}/v2/`, { headers: { Authorization: `Bearer ${token}` } });
    expect(ping.status).toBe(200);
    expect(proxy.requests.map((r) => [r.path.split('?')[0], r.status, r.authScheme])).toEqual([
      ['/v2/', 401, undefined],
      ['/token', 200, 'basic'],
      ['/v2/', 200, 'bearer'],
    ]);
    expect(JSON.stringify(proxy.requests)).not.toContain(token);
  });
});

describe('hostile registry', () => {
  let h: HostileRegistry;
  beforeAll(async () => {
    h = await startHostileRegistry();
  });
  afterAll(() => h?.close());
  beforeEach(() => {
    h.clearRoutes();
    h.other.clearRoutes();
    h.requests.splice(0);
    h.other.requests.splice(0);
  });

  it('answers /v2/ by default and 404 for anything unrouted', async () => {
    expect((await fetch(`${h.url}/v2/`)).status).toBe(200);
    expect((await fetch(`${h.url}/v2/x/manifests/latest`)).status).toBe(404);
  });

  it('serves a manifest under a digest that is not its own', async () => {
    const body = '{"schemaVersion":2}';
    const asked = sha256('something else');
    h.route('GET', /^\/v2\/a\/manifests\//, hostile.manifest(body));
    const res = await fetch(`${h.url}/v2/a/manifests/${asked}`);
    const got = Buffer.from(await res.arrayBuffer());
    expect(res.headers.get('docker-content-digest')).toBe(asked);
    expect(sha256(got)).not.toBe(asked);
  });

  it('streams an oversized manifest', async () => {
    const size = 5 * 1024 * 1024;
    h.route('GET', /manifests/, hostile.oversized(size));
    const res = await fetch(`${h.url}/v2/a/manifests/big`);
    expect(res.headers.get('content-length')).toBe(String(size));
    let n = 0;
    for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) n += c.length;
    expect(n).toBe(size);
  });

  it('paginates referrers forever', async () => {
    h.route('GET', /\/referrers\//, hostile.endlessReferrers());
    let next: string | undefined = `/v2/a/referrers/${sha256('x')}`;
    const digests = new Set<string>();
    for (let i = 0; i < 25 && next; i++) {
      const res: Response = await fetch(`${h.url}${next}`);
      const index = (await res.json()) as { manifests: Array<{ digest: string }> };
      digests.add(index.manifests[0]!.digest);
      next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    }
    expect(next).toBeDefined();
    expect(digests.size).toBe(25);
  });

  it('redirects to another host, which records whether credentials followed', async () => {
    h.route('GET', /\/blobs\//, hostile.redirect((ctx) => `${ctx.registry.other.url}/elsewhere`));
    h.other.route('GET', /^\/elsewhere$/, hostile.bytes('moved'));
    const manual = await fetch(`${h.url}/v2/a/blobs/${sha256('moved')}`, { redirect: 'manual' });
    expect(manual.status).toBe(307);
    expect(manual.headers.get('location')).toBe(`${h.other.url}/elsewhere`);
    const followed = await fetch(`${h.url}/v2/a/blobs/${sha256('moved')}`, { headers: { Authorization: 'Bearer secret-token' } });
    expect(await followed.text()).toBe('moved');
    expect(h.requests.at(-1)?.authScheme).toBe('bearer');
    expect(h.other.requests).toHaveLength(1);
    // fetch drops Authorization on a cross-origin redirect; the record shows it.
    expect(h.other.requests[0]?.authScheme).toBeUndefined();
  });

  it('sends challenges verbatim: realms elsewhere and malformed ones', async () => {
    h.route('GET', /^\/v2\/$/, hostile.challenge((ctx) => `Bearer realm="${ctx.registry.other.url}/token",service="hostile"`));
    h.route('GET', /^\/v2\/bad\//, hostile.challenge('Bearer realm="unterminated,service='));
    h.other.route('GET', /^\/token/, hostile.tokenEndpoint('t0k'));
    const res = await fetch(`${h.url}/v2/`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="${h.other.url}/token",service="hostile"`);
    expect(await (await fetch(`${h.other.url}/token?service=hostile`)).json()).toMatchObject({ token: 't0k' });
    expect((await fetch(`${h.url}/v2/bad/manifests/x`)).headers.get('www-authenticate')).toBe('Bearer realm="unterminated,service=');
  });

  it('serves malformed JSON, truncated bodies and wrong Content-Length', async () => {
    h.route('GET', /\/malformed$/, hostile.malformedJson());
    h.route('GET', /\/truncated$/, hostile.truncated('{"schemaVersion":2,'));
    h.route('GET', /\/short$/, hostile.wrongContentLength('{"schemaVersion":2,"extra":"ignored"}', 19));
    await expect((await fetch(`${h.url}/v2/a/manifests/malformed`)).json()).rejects.toThrow();
    const truncated = await fetch(`${h.url}/v2/a/manifests/truncated`);
    expect(truncated.headers.get('content-length')).toBe(String('{"schemaVersion":2,'.length * 2));
    await expect(truncated.arrayBuffer()).rejects.toThrow();
    const short = await fetch(`${h.url}/v2/a/manifests/short`);
    expect(await short.text()).toBe('{"schemaVersion":2,');
  });

  it('serves https and can point its realm at plain http', async () => {
    const tls = await startHostileRegistry({ tls: true });
    try {
      tls.route('GET', /^\/v2\/$/, hostile.challenge((ctx) => `Bearer realm="${ctx.registry.other.url}/token",service="x"`));
      const { status, header } = await new Promise<{ status: number; header: string | undefined }>((resolve, reject) => {
        https
          .get(`${tls.url}/v2/`, { ca: tls.certificatePem }, (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, header: res.headers['www-authenticate'] });
          })
          .on('error', reject);
      });
      expect(tls.url).toMatch(/^https:/);
      expect(status).toBe(401);
      expect(header).toMatch(/^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/token"/);
    } finally {
      await tls.close();
    }
  });
});

describe.skipIf(!registryAvailable(KIND, 'token'))('fault proxy in front of our token server', () => {
  let ts: TokenServer;
  let proxy: FaultProxy;
  let reg: RunningRegistry;
  const user = 'proxied-user';
  const password = 'proxied-pass';
  beforeAll(async () => {
    ts = await startTokenServer({ users: { [user]: password }, service: 'proxied', issuer: 'proxied-issuer' });
    proxy = await startFaultProxy(new URL(ts.realm).origin);
    reg = (await startRegistry(KIND, { auth: 'token', username: user, password, tokenServer: ts, tokenRealm: `${proxy.url}/token` }))!;
  });
  afterAll(async () => {
    await reg?.stop();
    await proxy?.close();
    await ts?.close();
  });

  it('advertises the proxied realm, and token faults are injected there', async () => {
    const res = await fetch(`${reg.url}/v2/`);
    const challenge = parseChallenge(res.headers.get('www-authenticate'));
    expect(challenge?.params['realm']).toBe(`${proxy.url}/token`);
    proxy.addRule({ path: /^\/token/, nth: 1, fault: { kind: 'status', status: 503 } });
    const first = await fetchToken(reg, challenge!, 'repository:p:pull');
    expect(first.status).toBe(503);
    const second = await fetchToken(reg, challenge!, 'repository:p:pull');
    expect(second.status).toBe(200);
    const ping = await fetch(`${reg.url}/v2/`, { headers: { Authorization: `Bearer ${second.token}` } });
    expect(ping.status).toBe(200);
    expect(ts.requests).toHaveLength(1);
    expect(proxy.requests.map((r) => r.status)).toEqual([503, 200]);
  });
});

describe.skipIf(!registryAvailable('olareg'))('fault proxy rewrites and custom answers', () => {
  let reg: RunningRegistry;
  let proxy: FaultProxy;
  const blob = Buffer.from('rewrite me');
  const digest = sha256(blob);
  beforeAll(async () => {
    reg = (await startRegistry('olareg'))!;
    proxy = await startFaultProxy(reg.url);
    const post = await fetch(`${proxy.url}/v2/rw/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: blob,
    });
    expect(post.status).toBe(201);
  });
  afterAll(async () => {
    await proxy?.close();
    await reg?.stop();
  });

  it('changes status, headers and body of a real answer', async () => {
    const wrong = sha256('not it');
    proxy.addRule({
      path: /\/blobs\/sha256:/,
      nth: 1,
      fault: { kind: 'rewrite', headers: { 'Docker-Content-Digest': wrong }, body: (b) => Buffer.concat([b, Buffer.from('!')]) },
    });
    const res = await fetch(`${proxy.url}/v2/rw/blobs/${digest}`);
    expect(res.headers.get('docker-content-digest')).toBe(wrong);
    expect(await res.text()).toBe('rewrite me!');
    const again = await fetch(`${proxy.url}/v2/rw/blobs/${digest}`);
    expect(again.headers.get('docker-content-digest')).toBe(digest);
    expect(await again.text()).toBe('rewrite me');
  });

  it('answers with a custom handler', async () => {
    proxy.addRule({
      method: 'GET',
      path: /^\/v2\/$/,
      fault: { kind: 'custom', handle: (_req, res) => void res.writeHead(418, { 'X-Test': 'teapot' }).end() },
    });
    const res = await fetch(`${proxy.url}/v2/`);
    expect([res.status, res.headers.get('x-test')]).toEqual([418, 'teapot']);
    expect(proxy.requests.at(-1)?.status).toBe(418);
  });
});

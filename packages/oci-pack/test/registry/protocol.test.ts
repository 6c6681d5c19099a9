/**
 * Protocol details that need a misbehaving network or registry: retries
 * (5xx, 429 with Retry-After in seconds and as a date, connection resets),
 * download resume, chunked-upload resume, OCI-Chunk-Min-Length and
 * Location handling, redirects without credentials, realm downgrade,
 * Docker-Content-Digest checks, manifest size cap, referrers pagination.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType } from '../../src/oci/media-types.js';
import { RegistryClient } from '../../src/registry/client.js';
import { startFaultProxy, type FaultProxy } from '../../../../test/harness/fault-proxy.js';
import { hostile, sha256 as hsha, startHostileRegistry, type HostileRegistry } from '../../../../test/harness/hostile-registry.js';
import { startRegistry, stopAllRegistries, type RunningRegistry } from '../../../../test/harness/registries.js';
import { blob, collect, manifest, readAll, sha256 } from './helpers.js';

afterAll(async () => {
  await stopAllRegistries();
});

describe('through a fault proxy in front of distribution 2.8', () => {
  let reg: RunningRegistry | undefined;
  let proxy: FaultProxy;
  let client: RegistryClient;
  beforeAll(async () => {
    reg = await startRegistry('distribution2');
    if (!reg) return;
    proxy = await startFaultProxy(reg.url);
    client = new RegistryClient(proxy.host, { credentials: {}, retry: { maxAttempts: 4, baseDelayMs: 20 } });
  });
  afterAll(async () => {
    await client?.close();
    await proxy?.close();
    await reg?.stop();
  });

  it('retries 503 and 429 with Retry-After (seconds and HTTP-date)', async (ctx) => {
    if (!reg) return ctx.skip();
    proxy.reset();
    const repo = client.repository('acme/retry');
    const { desc, bytes } = blob(2000);
    proxy.addRule({ method: 'HEAD', path: /\/blobs\/sha256/, nth: 1, fault: { kind: 'status', status: 503 } });
    proxy.addRule({ method: 'POST', path: /\/blobs\/uploads\//, nth: 1, fault: { kind: 'retry-after', seconds: 1 } });
    proxy.addRule({ method: 'PUT', path: /\/blobs\/uploads\//, nth: 1, fault: { kind: 'retry-after', date: new Date(Date.now() + 1500) } });
    const started = Date.now();
    await repo.push(desc, bytes);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(await repo.exists(desc)).toBe(true);
    expect(proxy.requests.filter((r) => r.method === 'HEAD' && r.path.includes(desc.digest)).length).toBeGreaterThanOrEqual(2);
    expect(proxy.requests.filter((r) => r.method === 'POST').length).toBe(2);
  });

  it('gives up after the configured attempts with a network error', async (ctx) => {
    if (!reg) return ctx.skip();
    proxy.reset();
    proxy.addRule({ method: 'GET', path: /\/manifests\//, fault: { kind: 'status', status: 502 } });
    await expect(client.repository('acme/retry').fetchManifest('v1')).rejects.toMatchObject({ kind: 'network', code: 'registry_unavailable' });
    expect(proxy.requests.filter((r) => r.method === 'GET').length).toBe(4);
  });

  it('fetches a manifest again when its body breaks off', async (ctx) => {
    if (!reg) return ctx.skip();
    proxy.reset();
    const repo = client.repository('acme/body');
    await repo.push({ mediaType: MediaType.empty, digest: sha256('{}'), size: 2 }, Buffer.from('{}'));
    const m = manifest([], { annotations: { pad: 'x'.repeat(4000) } });
    await repo.pushReference(m.desc, m.bytes, 'v1');
    proxy.addRule({ method: 'GET', path: /\/manifests\/v1/, nth: 1, fault: { kind: 'reset-response', afterBytes: 1000 } });
    const got = await repo.fetchManifest('v1');
    expect(Buffer.from(got.bytes).equals(m.bytes)).toBe(true);
    expect(proxy.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/manifests/v1')).length).toBe(2);
  });

  it('resumes a broken download with Range', async (ctx) => {
    if (!reg) return ctx.skip();
    proxy.reset();
    const repo = client.repository('acme/resume');
    const { desc, bytes } = blob(600_000);
    await repo.push(desc, bytes);
    proxy.addRule({ method: 'GET', path: /\/blobs\/sha256/, nth: 1, fault: { kind: 'reset-response', afterBytes: 100_000 } });
    const got = await readAll(await repo.fetch(desc));
    expect(got.equals(bytes)).toBe(true);
    const gets = proxy.requests.filter((r) => r.method === 'GET' && r.path.includes('/blobs/sha256'));
    expect(gets.length).toBe(2);
    expect(gets[1]?.headers['range']).toMatch(/^bytes=\d+-$/);
  });

  it('restarts a failed monolithic upload from a re-openable source, and refuses to replay a one-shot stream', async (ctx) => {
    if (!reg) return ctx.skip();
    proxy.reset();
    const repo = client.repository('acme/restart');
    const a = blob(50_000);
    proxy.addRule({ method: 'PUT', path: /\/blobs\/uploads\//, nth: 1, fault: { kind: 'reset-request', afterBytes: 10_000 } });
    let opened = 0;
    await repo.pushBlobFrom(a.desc, () => {
      opened++;
      return Promise.resolve(Readable.from([a.bytes]));
    });
    expect(opened).toBe(2);
    expect(await repo.exists(a.desc)).toBe(true);

    proxy.reset();
    const b = blob(50_000);
    proxy.addRule({ method: 'PUT', path: /\/blobs\/uploads\//, nth: 1, fault: { kind: 'reset-request', afterBytes: 10_000 } });
    await expect(repo.push(b.desc, Readable.from([b.bytes]))).rejects.toMatchObject({ kind: 'network' });
  });

  it('resumes a chunked upload from the registry Range after a broken PATCH', async (ctx) => {
    if (!reg) return ctx.skip();
    proxy.reset();
    const chunky = new RegistryClient(proxy.host, { credentials: {}, monolithicMaxBytes: 1, chunkSize: 32 * 1024, retry: { maxAttempts: 3, baseDelayMs: 20 } });
    try {
      const repo = chunky.repository('acme/chunk-resume');
      const { desc, bytes } = blob(150_000);
      proxy.addRule({ method: 'PATCH', nth: 2, fault: { kind: 'reset-request', afterBytes: 0 } });
      await repo.push(desc, Readable.from([bytes]));
      expect((await readAll(await repo.fetch(desc))).equals(bytes)).toBe(true);
      const patches = proxy.requests.filter((r) => r.method === 'PATCH');
      expect(patches.length).toBe(6); // 5 chunks + the resent one
      expect(patches[0]?.headers['content-range']).toBe('0-32767');
      expect(proxy.requests.some((r) => r.method === 'GET' && r.path.includes('/blobs/uploads/'))).toBe(true);
    } finally {
      await chunky.close();
    }
  });

  it('paginates tags', async (ctx) => {
    if (!reg) return ctx.skip();
    proxy.reset();
    const repo = client.repository('acme/tags');
    const m = manifest([]);
    await repo.push({ mediaType: MediaType.empty, digest: sha256('{}'), size: 2 }, Buffer.from('{}'));
    for (const t of ['a', 'b', 'c', 'd', 'e']) await repo.pushReference(m.desc, m.bytes, t);
    // distribution 2.8 does not order pages reliably (design §8): every tag once is what counts here.
    const tags = await collect(repo.tags({ pageSize: 2 }));
    expect([...tags].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(proxy.requests.filter((r) => r.path.includes('/tags/list')).length).toBeGreaterThanOrEqual(1);
  });
});

describe('against a hostile registry', () => {
  let h: HostileRegistry;
  let client: RegistryClient;
  beforeAll(async () => {
    h = await startHostileRegistry();
    client = new RegistryClient(h.host, { credentials: { username: 'u', password: 'secret-pw' }, retry: { maxAttempts: 1 }, maxManifestBytes: 64 * 1024 });
  });
  afterAll(async () => {
    await client?.close();
    await h?.close();
  });

  it('checks Docker-Content-Digest and the requested digest against the bytes', async () => {
    const m = manifest([]);
    const other = sha256('other');
    h.route('GET', /^\/v2\/a\/manifests\/v1$/, hostile.manifest(m.bytes, { claimedDigest: other }));
    await expect(client.repository('a').fetchManifest('v1')).rejects.toMatchObject({ code: 'digest_mismatch' });
    h.route('GET', /^\/v2\/a\/manifests\/sha256:/, hostile.manifest(Buffer.from('{"schemaVersion":2}'), { claimedDigest: m.desc.digest }));
    await expect(client.repository('a').fetchManifest(m.desc.digest)).rejects.toMatchObject({ code: 'digest_mismatch' });
  });

  it('refuses an answer that is not a manifest of a requested type (HTML page, config blob)', async () => {
    const page = '<html><body>Sign in to the proxy</body></html>';
    h.route('GET', /^\/v2\/html\/manifests\/v1$/, hostile.manifest(page, { mediaType: 'text/html' }));
    await expect(client.repository('html').fetchManifest('v1')).rejects.toMatchObject({ code: 'invalid_manifest', kind: 'registry' });
    // resolve HEADs first: a text/html answer with a digest must not become a descriptor either.
    await expect(client.repository('html').resolve('v1')).rejects.toMatchObject({ code: 'invalid_manifest', kind: 'registry' });
    h.route('GET', /^\/v2\/config\/manifests\/v1$/, hostile.manifest('{"architecture":"amd64"}', { mediaType: 'application/vnd.oci.image.config.v1+json' }));
    await expect(client.repository('config').fetchManifest('v1')).rejects.toMatchObject({ code: 'unsupported_media_type', kind: 'registry' });
  });

  it('caps manifest size, declared or not', async () => {
    h.route('GET', /^\/v2\/big\/manifests\/declared$/, hostile.oversized(1_000_000));
    h.route('GET', /^\/v2\/big\/manifests\/chunked$/, hostile.oversized(1_000_000, { declareLength: false }));
    await expect(client.repository('big').fetchManifest('declared')).rejects.toMatchObject({ code: 'manifest_too_large' });
    await expect(client.repository('big').fetchManifest('chunked')).rejects.toMatchObject({ code: 'manifest_too_large' });
  });

  it('never sends credentials to another origin on a redirect', async () => {
    const content = Buffer.from('redirected blob content');
    const digest = hsha(content);
    h.route('GET', /^\/v2\/r\/blobs\//, (ctx) => {
      if (!ctx.req.headers.authorization) return hostile.challenge('Basic realm="r"')(ctx);
      return hostile.redirect(`${h.other.url}/storage/blob?X-Amz-Signature=abc`)(ctx);
    });
    h.other.route('GET', /^\/storage\/blob/, hostile.bytes(content));
    const lines: string[] = [];
    const traced = new RegistryClient(h.host, { credentials: { username: 'u', password: 'secret-pw' }, onDebug: (l) => lines.push(l) });
    try {
      const got = await readAll(await traced.repository('r').fetch({ mediaType: MediaType.octetStream, digest, size: content.length }));
      expect(got.equals(content)).toBe(true);
    } finally {
      await traced.close();
    }
    expect(h.requests.some((r) => r.path.startsWith('/v2/r/blobs') && r.authScheme === 'basic')).toBe(true);
    expect(h.other.requests.length).toBeGreaterThan(0);
    expect(h.other.requests.every((r) => r.authScheme === undefined)).toBe(true);
    const trace = lines.join('\n');
    expect(trace).not.toContain('secret-pw');
    expect(trace).not.toContain(Buffer.from('u:secret-pw').toString('base64'));
    expect(trace).not.toContain('X-Amz-Signature=abc');
  });

  it('follows referrers pages on the same origin and filters when the registry did not', async () => {
    const subject = sha256('subject');
    const entry = (n: number, artifactType: string) => ({ mediaType: MediaType.imageManifest, digest: sha256(`r${n}`), size: 10, artifactType });
    h.route('GET', /^\/v2\/p\/referrers\/sha256:[0-9a-f]+\?artifactType=.*$/, (ctx) => {
      const page2 = ctx.req.url?.includes('page=2');
      const manifests = page2 ? [entry(3, 'application/a'), entry(4, 'application/b')] : [entry(1, 'application/a'), entry(2, 'application/b')];
      const headers: Record<string, string> = page2 ? {} : { Link: `</v2/p/referrers/${subject}?artifactType=application%2Fa&page=2>; rel="next"` };
      return hostile.json(200, { schemaVersion: 2, mediaType: MediaType.imageIndex, manifests }, { 'Content-Type': MediaType.imageIndex, ...headers })(ctx);
    });
    const got = await collect(client.repository('p').referrers({ mediaType: MediaType.imageManifest, digest: subject, size: 1 }, 'application/a'));
    expect(got.map((d) => d.digest)).toEqual([sha256('r1'), sha256('r3')]);
  });

  it('stops endless referrers pagination', async () => {
    h.route('GET', /^\/v2\/endless\/referrers\//, hostile.endlessReferrers());
    await expect(collect(client.repository('endless').referrers({ mediaType: MediaType.imageManifest, digest: sha256('s'), size: 1 }))).rejects.toMatchObject({ code: 'invalid_response' });
  });

  it('honours OCI-Chunk-Min-Length, inclusive Content-Range and the newest Location with its query', async () => {
    const { desc, bytes } = blob(25_000);
    const patches: Array<{ range: string | undefined; length: number; url: string }> = [];
    let puts: string[] = [];
    let state = 0;
    h.route('HEAD', /^\/v2\/up\/blobs\/sha256/, hostile.json(404, { errors: [{ code: 'BLOB_UNKNOWN' }] }));
    h.route('POST', /^\/v2\/up\/blobs\/uploads\/$/, (ctx) => {
      ctx.res.writeHead(202, { Location: `/v2/up/blobs/uploads/u1?_state=${state}`, 'OCI-Chunk-Min-Length': '10000', 'Content-Length': 0 });
      ctx.res.end();
    });
    h.route('PATCH', /^\/v2\/up\/blobs\/uploads\/u1/, async (ctx) => {
      if (!ctx.req.readableEnded) await new Promise((r) => ctx.req.on('end', r));
      // The harness counts body bytes itself (its listener drains the request).
      const length = h.requests.filter((r) => r.method === 'PATCH').at(-1)?.bodyBytes ?? -1;
      patches.push({ range: ctx.req.headers['content-range'], length, url: ctx.req.url ?? '' });
      state++;
      // Absolute Location this time.
      ctx.res.writeHead(202, { Location: `${h.url}/v2/up/blobs/uploads/u1?_state=${state}`, 'Content-Length': 0 });
      ctx.res.end();
    });
    h.route('PUT', /^\/v2\/up\/blobs\/uploads\/u1/, (ctx) => {
      puts.push(ctx.req.url ?? '');
      ctx.req.resume();
      ctx.res.writeHead(201, { 'Docker-Content-Digest': desc.digest, 'Content-Length': 0 });
      ctx.res.end();
    });
    const chunky = new RegistryClient(h.host, { credentials: {}, monolithicMaxBytes: 1, chunkSize: 4096, singlePostMaxBytes: 0 });
    try {
      await chunky.repository('up').push(desc, Readable.from([bytes]));
    } finally {
      await chunky.close();
    }
    expect(patches.map((p) => p.range)).toEqual(['0-9999', '10000-19999', '20000-24999']);
    expect(patches.map((p) => p.length)).toEqual([10000, 10000, 5000]);
    expect(patches.map((p) => p.url)).toEqual(['/v2/up/blobs/uploads/u1?_state=0', '/v2/up/blobs/uploads/u1?_state=1', '/v2/up/blobs/uploads/u1?_state=2']);
    expect(puts).toHaveLength(1);
    expect(puts[0]).toContain('_state=3');
    expect(puts[0]).toContain(`digest=${encodeURIComponent(desc.digest)}`);
    puts = [];
  });

  it('shows each registry Warning once', async () => {
    const m = manifest([]);
    h.route('GET', /^\/v2\/w\/manifests\//, hostile.bytes(m.bytes, MediaType.imageManifest, { Warning: '299 - "this repository is deprecated"' }));
    const warnings: string[] = [];
    const warned = new RegistryClient(h.host, { credentials: {}, onWarning: (t) => warnings.push(t) });
    try {
      await warned.repository('w').fetchManifest('v1');
      await warned.repository('w').fetchManifest('v2');
    } finally {
      await warned.close();
    }
    expect(warnings).toEqual([`${h.host}: this repository is deprecated`]);
  });

  it('falls back to POST grant_type=password when the realm refuses GET, and sends the token only to the registry', async () => {
    const m = manifest([]);
    const forms: URLSearchParams[] = [];
    h.route('GET', /^\/v2\/pw\/manifests\//, (ctx) => {
      if (ctx.req.headers.authorization === 'Bearer pw-token') return hostile.bytes(m.bytes, MediaType.imageManifest)(ctx);
      return hostile.challenge(`Bearer realm="${h.other.url}/token",service="hostile",scope="repository:pw:pull"`)(ctx);
    });
    h.other.route('GET', /^\/token/, hostile.json(405, {}));
    h.other.route('POST', /^\/token/, async (ctx) => {
      const chunks: Buffer[] = [];
      if (!ctx.req.readableEnded) for await (const c of ctx.req) chunks.push(c as Buffer);
      forms.push(new URLSearchParams(Buffer.concat(chunks).toString()));
      return hostile.json(200, { access_token: 'pw-token', expires_in: 300 })(ctx);
    });
    const got = await client.repository('pw').fetchManifest('v1');
    expect(Buffer.from(got.bytes).equals(m.bytes)).toBe(true);
    const posts = h.other.requests.filter((r) => r.method === 'POST');
    expect(posts.length).toBe(1);
    if (forms[0]?.get('grant_type')) {
      expect(forms[0].get('grant_type')).toBe('password');
      expect(forms[0].get('scope')).toBe('repository:pw:pull');
      expect(forms[0].get('service')).toBe('hostile');
    }
  });

  it('stops when the registry keeps changing its challenge', async () => {
    let n = 0;
    h.route('GET', /^\/v2\/loop\/manifests\//, (ctx) => hostile.challenge(`Bearer realm="${h.other.url}/loop-token",service="s",scope="repository:loop:pull repository:x${n++}:pull"`)(ctx));
    h.other.route('GET', /^\/loop-token/, hostile.tokenEndpoint('loop'));
    await expect(client.repository('loop').fetchManifest('v1')).rejects.toMatchObject({ kind: 'auth', code: 'unauthorized' });
    expect(n).toBeLessThanOrEqual(4);
  });

  it('times out a registry that never answers', async () => {
    h.route('GET', /^\/v2\/hang\/manifests\//, hostile.hang());
    const impatient = new RegistryClient(h.host, { credentials: {}, headersTimeoutMs: 300, retry: { maxAttempts: 2, baseDelayMs: 10 } });
    try {
      await expect(impatient.repository('hang').fetchManifest('v1')).rejects.toMatchObject({ kind: 'network', code: 'timeout' });
    } finally {
      await impatient.close();
    }
    expect(h.requests.filter((r) => r.path.startsWith('/v2/hang/')).length).toBe(2);
  });

  it('falls back to POST + PUT when the single-request upload is refused', async () => {
    const { desc, bytes } = blob(500);
    h.route('HEAD', /^\/v2\/sp\/blobs\/sha256/, hostile.json(404, { errors: [{ code: 'BLOB_UNKNOWN' }] }));
    h.route('POST', /^\/v2\/sp\/blobs\/uploads\/\?digest=/, (ctx) => {
      ctx.req.resume();
      return hostile.json(415, { errors: [{ code: 'UNSUPPORTED', message: 'no monolithic POST' }] })(ctx);
    });
    h.route('POST', /^\/v2\/sp\/blobs\/uploads\/$/, (ctx) => {
      ctx.res.writeHead(202, { Location: '/v2/sp/blobs/uploads/s1', 'Content-Length': 0 });
      ctx.res.end();
    });
    h.route('PUT', /^\/v2\/sp\/blobs\/uploads\/s1\?digest=/, (ctx) => {
      ctx.req.resume();
      ctx.res.writeHead(201, { 'Docker-Content-Digest': desc.digest, 'Content-Length': 0 });
      ctx.res.end();
    });
    await client.repository('sp').push(desc, bytes);
    const posts = h.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v2/sp/'));
    expect(posts.map((r) => r.status)).toEqual([415, 202]);
    const put = h.requests.find((r) => r.method === 'PUT' && r.path.startsWith('/v2/sp/'));
    expect(put?.headers['content-type']).toBe('application/octet-stream');
    expect(put?.bodyBytes).toBe(500);
  });

  it('turns a malformed challenge into a typed error', async () => {
    h.route('GET', /^\/v2\/m\/manifests\//, hostile.challenge('Bearer realm=, ,,="'));
    await expect(client.repository('m').fetchManifest('v1')).rejects.toMatchObject({ name: expect.stringMatching(/Error$/) as string });
    const err = await client.repository('m').fetchManifest('v1').catch((e: unknown) => e);
    expect((err as { code?: string }).code).toMatch(/invalid_response|unauthorized/);
  });
});

describe('realm downgrade', () => {
  let h: HostileRegistry;
  beforeAll(async () => {
    h = await startHostileRegistry({ tls: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('verifies TLS certificates unless insecure is set', async () => {
    const m = manifest([]);
    h.route('GET', /^\/v2\/tls\/manifests\//, hostile.bytes(m.bytes, MediaType.imageManifest));
    const registry = `localhost:${h.host.split(':')[1]}`;
    const strict = new RegistryClient(registry, { plainHttp: false, credentials: {}, retry: { maxAttempts: 1 } });
    const lax = new RegistryClient(registry, { insecure: true, credentials: {}, retry: { maxAttempts: 1 } });
    try {
      await expect(strict.repository('tls').fetchManifest('v1')).rejects.toMatchObject({ kind: 'network' });
      expect(Buffer.from((await lax.repository('tls').fetchManifest('v1')).bytes).equals(m.bytes)).toBe(true);
    } finally {
      await strict.close();
      await lax.close();
    }
    expect(() => new RegistryClient(registry, { plainHttp: true, insecure: true })).toThrow(expect.objectContaining({ code: 'usage' }) as Error);
  });

  it('refuses an http token realm for an https registry', async () => {
    h.route('GET', /^\/v2\/d\/manifests\//, hostile.challenge('Bearer realm="http://auth.example.invalid/token",service="x"'));
    const client = new RegistryClient(`localhost:${h.host.split(':')[1]}`, { plainHttp: false, insecure: true, credentials: { username: 'u', password: 'p' }, retry: { maxAttempts: 1 } });
    try {
      await expect(client.repository('d').fetchManifest('v1')).rejects.toMatchObject({ code: 'insecure_realm', kind: 'auth' });
    } finally {
      await client.close();
    }
  });
});

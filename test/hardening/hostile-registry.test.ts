/**
 * The CLI against registries that lie or attack: bytes that differ from the
 * requested digest, oversized manifests and indexes, endless referrers
 * pagination, redirects and token realms on another host, https realms
 * downgraded to http, huge or malformed WWW-Authenticate, malformed JSON,
 * truncated bodies and wrong Content-Length. Each ends in one line with a
 * stable code, within a deadline, under 200 MiB of child memory, with
 * nothing written. Credentials never follow a redirect to another host.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, runEpack, type Sandbox } from '../harness/cli.js';
import { hostile, sha256 as hsha, startHostileRegistry, type HostileRegistry } from '../harness/hostile-registry.js';
import { buildManyArtifactPack, expectOneLineError, spawnEpack, TIME_BIN, type ManyArtifactPack } from './helpers.js';

const MAX_RSS_KIB = 200 * 1024;
const DEADLINE_MS = 25_000;
const USER = 'hostile-user';
const PASSWORD = 'canary-Pa55-hostile-7f3e';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

interface Layout {
  manifest: Buffer;
  digest: string;
  blobs: Map<string, Buffer>;
  layers: { digest: string; size: number }[];
}

let sandbox: Sandbox;
let pack: ManyArtifactPack;
let layout: Layout;
let h: HostileRegistry;
let tlsH: HostileRegistry;
let configDir: string;
let caFile: string;

/** Reads the one artifact of an OCI layout into memory (the pack is small). */
function readLayout(dir: string): Layout {
  const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const blobs = new Map<string, Buffer>();
  for (const hex of readdirSync(path.join(dir, 'blobs/sha256'))) blobs.set(`sha256:${hex}`, readFileSync(path.join(dir, 'blobs/sha256', hex)));
  const digest = index.manifests[0]!.digest;
  const manifest = blobs.get(digest)!;
  const parsed = JSON.parse(manifest.toString('utf8')) as { layers: { digest: string; size: number }[] };
  return { manifest, digest, blobs, layers: parsed.layers };
}

/** Serves the layout honestly at `<repo>` behind Basic auth (challenge first, like a real registry). */
function serveHonestly(server: HostileRegistry, repo: string): void {
  const authed = (respond: (ctx: Parameters<Parameters<HostileRegistry['route']>[2]>[0]) => void | Promise<void>) =>
    (ctx: Parameters<Parameters<HostileRegistry['route']>[2]>[0]) => {
      if (!ctx.req.headers.authorization) return hostile.challenge('Basic realm="hostile"')(ctx);
      return respond(ctx);
    };
  server.route('GET', new RegExp(`^/v2/${repo}/manifests/(v1|sha256:[0-9a-f]{64})$`), authed((ctx) =>
    hostile.bytes(layout.manifest, OCI_MANIFEST, { 'Docker-Content-Digest': layout.digest })(ctx)));
  server.route('GET', new RegExp(`^/v2/${repo}/blobs/(sha256:[0-9a-f]{64})$`), authed((ctx) => {
    const blob = layout.blobs.get(ctx.match[1]!);
    if (!blob) return hostile.json(404, { errors: [{ code: 'BLOB_UNKNOWN' }] })(ctx);
    return hostile.bytes(blob)(ctx);
  }));
}

beforeAll(async () => {
  sandbox = createSandbox();
  pack = await buildManyArtifactPack(3, { minBytes: 5000, maxBytes: 6000 });
  const dir = path.join(pack.dir, 'layout');
  const pushed = await runEpack(['push', `oci:${dir}:v1`, pack.pack], { sandbox });
  expect(pushed.code, pushed.stderr).toBe(0);
  layout = readLayout(dir);
  h = await startHostileRegistry();
  tlsH = await startHostileRegistry({ tls: true });
  caFile = path.join(pack.dir, 'ca.pem');
  writeFileSync(caFile, tlsH.certificatePem!);
  configDir = mkdtempSync(path.join(pack.dir, 'docker-'));
  const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  const tlsHost = `localhost:${tlsH.host.split(':')[1]}`;
  writeFileSync(path.join(configDir, 'config.json'), JSON.stringify({ auths: { [h.host]: { auth }, [tlsHost]: { auth } } }));
});
afterAll(async () => {
  await h?.close();
  await tlsH?.close();
  sandbox?.dispose();
});

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  elapsedMs: number;
  maxRssKiB?: number;
  written: string[];
}

/** Runs the CLI in an empty working directory (pull writes into it), measured. */
async function epack(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const cwd = await mkdtemp(path.join(tmpdir(), 'epack-hostile-cwd-'));
  const run = spawnEpack(args, { sandbox, cwd, dockerConfigDir: configDir, env, measure: true, timeoutMs: DEADLINE_MS * 2 });
  const r = await run.done;
  return { ...r, written: readdirSync(cwd) };
}

/** One line with a stable code, in time, in bounded memory, nothing written, no secret shown. */
function expectContained(r: Outcome, code: string | RegExp, exitCode: number | readonly number[]): void {
  expectOneLineError({ ...r, signal: null }, code);
  expect(typeof exitCode === 'number' ? [exitCode] : exitCode, r.stderr).toContain(r.code);
  expect(r.elapsedMs).toBeLessThan(DEADLINE_MS);
  if (existsSync(TIME_BIN)) expect(r.maxRssKiB, 'peak RSS measured by /usr/bin/time').toBeGreaterThan(0);
  if (r.maxRssKiB !== undefined) expect(r.maxRssKiB).toBeLessThanOrEqual(MAX_RSS_KIB);
  expect(r.written).toEqual([]);
  expect(r.stderr).not.toContain(PASSWORD);
}

const ref = (repo: string, tagOrDigest = 'v1') => `${h.host}/${repo}${tagOrDigest.startsWith('sha256:') ? '@' : ':'}${tagOrDigest}`;

describe('hostile registry: content that is not what was asked for', () => {
  it('a manifest whose bytes differ from the requested digest', async () => {
    h.route('GET', /^\/v2\/lie-m\/manifests\//, hostile.manifest(Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"a/b","digest":"sha256:' + '1'.repeat(64) + '","size":1},"layers":[]}')));
    expectContained(await epack(['pull', ref('lie-m', layout.digest), '-o', 'out.epack']), 'digest_mismatch', 1);
  });

  it('a tag whose Docker-Content-Digest does not match the bytes', async () => {
    h.route('GET', /^\/v2\/lie-t\/manifests\//, hostile.manifest(layout.manifest, { claimedDigest: hsha('something else') }));
    expectContained(await epack(['pull', ref('lie-t'), '-o', 'out.epack']), 'digest_mismatch', 1);
  });

  it('a blob whose bytes differ from its digest', async () => {
    serveHonestly(h, 'lie-b');
    const victim = layout.layers[1]!;
    h.route('GET', new RegExp(`^/v2/lie-b/blobs/${victim.digest}$`), hostile.wrongDigestBlob(Buffer.alloc(victim.size, 0x41)));
    expectContained(await epack(['pull', ref('lie-b'), '-o', 'out.epack']), 'digest_mismatch', 1);
  });
});

describe('hostile registry: size and pagination bombs', () => {
  it('oversized manifests, declared and chunked, stop at the cap without buffering', async () => {
    h.route('GET', /^\/v2\/big\/manifests\/declared$/, hostile.oversized(64 * 1024 * 1024));
    h.route('GET', /^\/v2\/big\/manifests\/chunked$/, hostile.oversized(64 * 1024 * 1024, { declareLength: false }));
    expectContained(await epack(['pull', ref('big', 'declared'), '-o', 'out.epack']), 'manifest_too_large', 6);
    expectContained(await epack(['pull', ref('big', 'chunked'), '-o', 'out.epack']), 'manifest_too_large', 6);
  });

  it('an oversized index (referrers and tag)', async () => {
    serveHonestly(h, 'bigidx');
    h.route('GET', /^\/v2\/bigidx\/referrers\//, hostile.oversized(64 * 1024 * 1024, { mediaType: OCI_INDEX, declareLength: false }));
    expectContained(await epack(['discover', ref('bigidx')]), /manifest_too_large|invalid_response/, 6);
    h.route('GET', /^\/v2\/bigidx2\/manifests\//, hostile.oversized(64 * 1024 * 1024, { mediaType: OCI_INDEX }));
    expectContained(await epack(['pull', ref('bigidx2'), '-o', 'out.epack']), 'manifest_too_large', 6);
  });

  it('endless referrers pagination', async () => {
    serveHonestly(h, 'endless');
    h.route('GET', /^\/v2\/endless\/referrers\//, hostile.endlessReferrers());
    const r = await epack(['discover', ref('endless')]);
    expectContained(r, 'invalid_response', 6);
    expect(h.requests.filter((q) => q.path.startsWith('/v2/endless/referrers/')).length).toBeLessThan(2000);
  });
});

describe('hostile registry: redirects and realms', () => {
  it('a blob redirect to another host: the pull works and the other host never sees credentials', async () => {
    serveHonestly(h, 'redir');
    h.route('GET', /^\/v2\/redir\/blobs\/(sha256:[0-9a-f]{64})$/, (ctx) => {
      if (!ctx.req.headers.authorization) return hostile.challenge('Basic realm="hostile"')(ctx);
      return hostile.redirect(`${h.other.url}/storage/${ctx.match[1]}?X-Amz-Signature=sig`)(ctx);
    });
    h.other.route('GET', /^\/storage\/(sha256:[0-9a-f]{64})/, (ctx) => hostile.bytes(layout.blobs.get(ctx.match[1]!)!)(ctx));
    const before = h.other.requests.length;
    const r = await epack(['pull', ref('redir'), '-o', 'out.epack', '--debug']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.written).toEqual(['out.epack']);
    const seen = h.other.requests.slice(before);
    expect(seen.length).toBeGreaterThanOrEqual(layout.layers.length);
    expect(seen.every((q) => q.authScheme === undefined && q.headers['authorization'] === undefined)).toBe(true);
    expect(h.requests.some((q) => q.path.startsWith('/v2/redir/') && q.authScheme === 'basic')).toBe(true);
    expect(r.stderr).not.toContain(PASSWORD);
    expect(r.stderr).not.toContain(Buffer.from(`${USER}:${PASSWORD}`).toString('base64'));
  });

  it('a manifest redirect to another host that then asks for credentials gets none', async () => {
    h.route('GET', /^\/v2\/redir-m\/manifests\//, (ctx) => {
      if (!ctx.req.headers.authorization) return hostile.challenge('Basic realm="hostile"')(ctx);
      return hostile.redirect(`${h.other.url}/phish/manifest`)(ctx);
    });
    h.other.route('GET', /^\/phish\//, hostile.challenge('Basic realm="give me your password"'));
    const before = h.other.requests.length;
    const r = await epack(['pull', ref('redir-m'), '-o', 'out.epack']);
    expectContained(r, /unauthorized|\w+/, 4);
    const seen = h.other.requests.slice(before);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((q) => q.authScheme === undefined)).toBe(true);
  });

  it('a token realm on another host: the token goes only to the registry', async () => {
    const token = 'tok-canary-91b2';
    h.route('GET', /^\/v2\/realm\/(manifests|blobs)\//, (ctx) => {
      if (ctx.req.headers.authorization !== `Bearer ${token}`) {
        return hostile.challenge(`Bearer realm="${h.other.url}/token",service="hostile",scope="repository:realm:pull"`)(ctx);
      }
      const m = /\/(manifests|blobs)\/(.+)$/.exec(ctx.req.url ?? '')!;
      if (m[1] === 'manifests') return hostile.bytes(layout.manifest, OCI_MANIFEST, { 'Docker-Content-Digest': layout.digest })(ctx);
      return hostile.bytes(layout.blobs.get(m[2]!)!)(ctx);
    });
    h.other.route('GET', /^\/token/, hostile.tokenEndpoint(token));
    const before = h.other.requests.length;
    const r = await epack(['pull', ref('realm'), '-o', 'out.epack', '--debug']);
    expect(r.code, r.stderr).toBe(0);
    const seen = h.other.requests.slice(before);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((q) => q.path.startsWith('/token') && q.authScheme !== 'bearer')).toBe(true);
    expect(r.stderr).not.toContain(token);
  });

  it('an https registry whose token realm downgrades to http is refused before credentials are sent', async () => {
    // A loopback realm is exempt (traffic that never leaves the host cannot be sniffed): use a routable name.
    tlsH.route('GET', /^\/v2\/down\/manifests\//, hostile.challenge('Bearer realm="http://registry-auth.example.com/token",service="s"'));
    const before = tlsH.other.requests.length;
    const tlsRef = `localhost:${tlsH.host.split(':')[1]}/down:v1`;
    const r = await epack(['pull', tlsRef, '-o', 'out.epack', '--insecure'], { NODE_EXTRA_CA_CERTS: caFile });
    expectContained(r, 'insecure_realm', 4);
    expect(tlsH.other.requests.length).toBe(before);
  });

  it('a huge WWW-Authenticate header', async () => {
    h.route('GET', /^\/v2\/hugechal\/manifests\//, hostile.challenge(`Bearer realm="${h.other.url}/token",service="${'s'.repeat(12_000)}",scope="${'x,'.repeat(1500)}"`));
    h.other.route('GET', /^\/token-huge/, hostile.tokenEndpoint());
    // Bounded either way: refused as a challenge, or the token service refuses the request it makes.
    expectContained(await epack(['pull', ref('hugechal'), '-o', 'out.epack']), /unauthorized|unsupported_auth|invalid_response/, [4, 6]);
  });

  it('malformed WWW-Authenticate headers', async () => {
    for (const [i, header] of ['Bearer', 'Bearer realm=', 'Bearer realm="unterminated', 'Digest nonce="x"', '=====', `Bearer realm="javascript:alert(1)"`].entries()) {
      h.route('GET', new RegExp(`^/v2/badchal${i}/manifests/`), hostile.challenge(header));
      const r = await epack(['pull', ref(`badchal${i}`), '-o', 'out.epack']);
      expectContained(r, /unauthorized|unsupported_auth|invalid_response|insecure_realm/, [4, 6]);
    }
  });
});

describe('hostile registry: broken bodies', () => {
  it('malformed JSON manifest', async () => {
    h.route('GET', /^\/v2\/badjson\/manifests\//, hostile.malformedJson());
    expectContained(await epack(['pull', ref('badjson'), '-o', 'out.epack']), /invalid_manifest|invalid_response|digest_mismatch/, 6);
  });

  it('malformed JSON in a referrers index', async () => {
    serveHonestly(h, 'badidx');
    h.route('GET', /^\/v2\/badidx\/referrers\//, hostile.malformedJson(OCI_INDEX));
    expectContained(await epack(['discover', ref('badidx')]), /invalid_manifest|invalid_response/, 6);
  });

  it('a truncated manifest and a truncated blob', async () => {
    h.route('GET', /^\/v2\/trunc-m\/manifests\//, hostile.truncated(layout.manifest.subarray(0, 100), { declaredLength: layout.manifest.length }));
    expectContained(await epack(['pull', ref('trunc-m'), '-o', 'out.epack']), /body_interrupted|network_error/, [5, 6]);
    serveHonestly(h, 'trunc-b');
    const victim = layout.layers[0]!;
    h.route('GET', new RegExp(`^/v2/trunc-b/blobs/${victim.digest}$`), hostile.truncated(layout.blobs.get(victim.digest)!.subarray(0, 1000), { declaredLength: victim.size, contentType: 'application/octet-stream' }));
    expectContained(await epack(['pull', ref('trunc-b'), '-o', 'out.epack']), /body_interrupted|network_error|size_mismatch/, [1, 5, 6]);
  });

  it('a wrong Content-Length (shorter than the body)', async () => {
    h.route('GET', /^\/v2\/wrongcl\/manifests\//, hostile.wrongContentLength(layout.manifest, 50));
    expectContained(await epack(['pull', ref('wrongcl'), '-o', 'out.epack']), /digest_mismatch|invalid_manifest|invalid_response|network_error/, [5, 6]);
    serveHonestly(h, 'wrongcl-b');
    const victim = layout.layers[2]!;
    h.route('GET', new RegExp(`^/v2/wrongcl-b/blobs/${victim.digest}$`), hostile.wrongContentLength(layout.blobs.get(victim.digest)!, victim.size - 10, 'application/octet-stream'));
    expectContained(await epack(['pull', ref('wrongcl-b'), '-o', 'out.epack']), /size_mismatch|digest_mismatch/, 1);
  });
});

/**
 * Faults between epack and a real registry (docker-registry 2.8 and olareg):
 * the fault proxy resets connections mid-body, answers 500/502/503 and 429
 * with Retry-After, stalls and slows links. Pushes and pulls of a 50-artifact
 * pack still complete; the registry is then checked digest by digest, and no
 * tag ever points at an incomplete artifact. A push killed with SIGKILL and
 * re-run uploads only what is missing; a pull killed leaves nothing behind.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, runEpack, type Sandbox } from '../harness/cli.js';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';
import { registryAvailable, startRegistry, stopAllRegistries, type RegistryKind, type RunningRegistry } from '../harness/registries.js';
import { buildManyArtifactPack, checkArtifactDirect, sleep, spawnEpack, tagIsCompleteOrAbsent, type ManyArtifactPack } from './helpers.js';

const KINDS: RegistryKind[] = ['distribution2', 'olareg'];
const UPLOAD_PUT = /\/blobs\/uploads\//;
const BLOB_GET = /\/blobs\/sha256:/;

let pack: ManyArtifactPack;
let sandbox: Sandbox;

beforeAll(async () => {
  pack = await buildManyArtifactPack(50);
  sandbox = createSandbox();
});
afterAll(async () => {
  await stopAllRegistries();
  sandbox?.dispose();
});

/** Polls a tag while something runs; every time it exists, all its blobs must be complete. */
function watchTag(registryUrl: string, repo: string, tag: string): { stop(): Promise<string[]> } {
  const problems: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const state = await tagIsCompleteOrAbsent(registryUrl, repo, tag).catch((e: Error) => `watch failed: ${e.message}`);
      if (state !== 'absent' && state !== 'complete') problems.push(state);
      await sleep(50);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return problems;
    },
  };
}

/**
 * The digests a request log shows committed by an upload: a monolithic PUT or
 * a single POST with ?digest= answered 201 (docker-registry answers such a
 * POST with 202, an open session, and the PUT follows).
 */
function uploadedDigests(proxy: FaultProxy): string[] {
  return proxy.requests
    .filter((r) => (r.method === 'PUT' || r.method === 'POST') && UPLOAD_PUT.test(r.path) && r.status === 201)
    .map((r) => new URL(r.path, 'http://x').searchParams.get('digest'))
    .filter((d): d is string => d !== null);
}

for (const kind of KINDS) {
  describe.skipIf(!registryAvailable(kind, 'anonymous'))(`faults on ${kind}`, () => {
    let reg: RunningRegistry | undefined;
    let proxy: FaultProxy;

    beforeAll(async () => {
      reg = await startRegistry(kind);
      if (reg) proxy = await startFaultProxy(reg.url);
    });
    afterAll(async () => {
      await proxy?.close();
      await reg?.stop();
    });

    it('push and pull of a 50-artifact pack complete through resets, 5xx, 429, stalls and slow links', async (ctx) => {
      if (!reg) return ctx.skip();
      const repo = 'hard/faults';
      proxy.reset();
      // Uploads: a reset mid-body, 500/502/503, a 429 with Retry-After.
      // Uploads are a single POST with the body where the registry takes it (olareg), else POST + PUT.
      proxy.addRule({ method: /^(POST|PUT)$/, path: UPLOAD_PUT, nth: [2, 9], fault: { kind: 'reset-request', afterBytes: 512 } });
      proxy.addRule({ method: /^(POST|PUT)$/, path: UPLOAD_PUT, nth: 5, fault: { kind: 'status', status: 500 } });
      proxy.addRule({ method: 'POST', path: UPLOAD_PUT, nth: [3, 20], fault: { kind: 'status', status: 502 } });
      proxy.addRule({ method: 'POST', path: UPLOAD_PUT, nth: 11, fault: { kind: 'retry-after', seconds: 1 } });
      proxy.addRule({ method: 'HEAD', path: BLOB_GET, nth: [4, 30], fault: { kind: 'status', status: 503 } });
      proxy.addRule({ method: 'PUT', path: /\/manifests\//, nth: 1, fault: { kind: 'status', status: 503 } });
      proxy.addRule({ method: 'PUT', path: /\/manifests\//, nth: 2, fault: { kind: 'retry-after', seconds: 1 } });
      proxy.addRule({ method: 'POST', path: UPLOAD_PUT, nth: 15, fault: { kind: 'stall', ms: 1500 } });

      const watcher = watchTag(reg.url, repo, 'v1');
      const push = await runEpack(['push', `${proxy.host}/${repo}:v1`, pack.pack, '--json'], { sandbox, timeoutMs: 80_000 });
      const problems = await watcher.stop();
      expect(push.code, push.stderr).toBe(0);
      expect(problems).toEqual([]);
      const pushed = JSON.parse(push.stdout) as { digest: string; blobsPushed: number };
      const faulted = proxy.requests.filter((r) => r.fault !== undefined).map((r) => r.fault);
      expect(faulted).toEqual(expect.arrayContaining(['reset-request', 'status 500', 'status 502', 'status 503', 'retry-after 1', 'stall']));

      // Digest by digest, straight from the registry.
      const byTag = await checkArtifactDirect(reg.url, repo, 'v1');
      expect(byTag.digest).toBe(pushed.digest);
      expect(byTag.manifest.layers).toHaveLength(50);
      await checkArtifactDirect(reg.url, repo, pushed.digest);

      // Pull back through a reset mid-body, 5xx, 429, a stall, a stalled body and a slow link.
      proxy.reset();
      proxy.addRule({ method: 'GET', path: BLOB_GET, nth: [1, 7], fault: { kind: 'reset-response' } });
      proxy.addRule({ method: 'GET', path: BLOB_GET, nth: 3, fault: { kind: 'status', status: 500 } });
      proxy.addRule({ method: 'GET', path: BLOB_GET, nth: 12, fault: { kind: 'status', status: 502 } });
      proxy.addRule({ method: 'GET', path: BLOB_GET, nth: 5, fault: { kind: 'retry-after', seconds: 1 } });
      proxy.addRule({ method: 'GET', path: BLOB_GET, nth: 9, fault: { kind: 'stall', ms: 1500 } });
      proxy.addRule({ method: 'GET', path: BLOB_GET, nth: 14, fault: { kind: 'stall-body', afterBytes: 100, ms: 1500 } });
      proxy.addRule({ method: 'GET', path: BLOB_GET, nth: [16, 17], fault: { kind: 'slow', bytesPerSecond: 16 * 1024 } });
      proxy.addRule({ method: 'GET', path: /\/manifests\//, nth: 1, fault: { kind: 'status', status: 503 } });
      const outDir = await mkdtemp(path.join(tmpdir(), 'epack-hard-pull-'));
      const out = path.join(outDir, 'pulled.epack');
      const pull = await runEpack(['pull', `${proxy.host}/${repo}:v1`, '-o', out, '--json'], { sandbox, timeoutMs: 80_000 });
      expect(pull.code, pull.stderr).toBe(0);
      expect((await readFile(out)).equals(await readFile(pack.pack))).toBe(true);
      expect(await readdir(outDir)).toEqual(['pulled.epack']);
      const pullFaults = proxy.requests.filter((r) => r.fault !== undefined).map((r) => r.fault);
      expect(pullFaults).toEqual(expect.arrayContaining(['reset-response', 'status 500', 'status 502', 'status 503', 'retry-after 1', 'stall', 'stall-body', 'slow']));
    }, 200_000);

    it('a push whose uploads keep failing leaves no tag', async (ctx) => {
      if (!reg) return ctx.skip();
      const repo = 'hard/never';
      proxy.reset();
      proxy.addRule({ method: 'PUT', path: UPLOAD_PUT, nth: 'all', fault: { kind: 'status', status: 503 } });
      proxy.addRule({ method: 'POST', path: UPLOAD_PUT, nth: 'all', fault: { kind: 'status', status: 503 } });
      const push = await runEpack(['push', `${proxy.host}/${repo}:v1`, pack.pack], { sandbox, timeoutMs: 80_000 });
      expect(push.code).toBe(5);
      expect(push.stderr.trim().split('\n')).toHaveLength(1);
      expect(proxy.requests.some((r) => r.method === 'PUT' && /\/manifests\//.test(r.path))).toBe(false);
      expect(await tagIsCompleteOrAbsent(reg.url, repo, 'v1')).toBe('absent');
    });

    it('a push killed at a random moment and re-run uploads only what is missing', async (ctx) => {
      if (!reg) return ctx.skip();
      const repo = 'hard/killed-push';
      proxy.reset();
      // Slow every upload a little so the kill lands mid-push (the POST that opens it: a stall
      // before forwarding must not hold a request body).
      proxy.addRule({ method: 'POST', path: UPLOAD_PUT, nth: 'all', fault: { kind: 'stall', ms: 120 } });
      const killAfterUploads = 3 + Math.floor(Math.random() * 35);
      const watcher = watchTag(reg.url, repo, 'v1');
      const run = spawnEpack(['push', `${proxy.host}/${repo}:v1`, pack.pack], { sandbox });
      while (run.child.exitCode === null && uploadedDigests(proxy).length < killAfterUploads) await sleep(10);
      await sleep(Math.floor(Math.random() * 100));
      run.child.kill('SIGKILL');
      const killed = await run.done;
      expect(killed.signal, `the push finished before the kill (after ${killAfterUploads} uploads)`).toBe('SIGKILL');
      await sleep(300); // let requests already in flight at the registry settle
      expect(await tagIsCompleteOrAbsent(reg.url, repo, 'v1')).toBe('absent');

      // What the registry holds now, asked directly.
      const layersBefore = new Set<string>();
      const firstRun = new Set(uploadedDigests(proxy));
      for (const digest of firstRun) {
        const head = await fetch(`${reg.url}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
        if (head.status === 200) layersBefore.add(digest);
      }
      expect(layersBefore.size).toBeGreaterThanOrEqual(Math.min(killAfterUploads, 50) - 4);

      proxy.reset();
      const rerun = await runEpack(['push', `${proxy.host}/${repo}:v1`, pack.pack, '--json'], { sandbox, timeoutMs: 80_000 });
      expect(rerun.code, rerun.stderr).toBe(0);
      const result = JSON.parse(rerun.stdout) as { blobsPushed: number; blobsSkipped: number };
      const second = uploadedDigests(proxy);
      expect(second.filter((d) => layersBefore.has(d))).toEqual([]);
      expect(new Set(second).size).toBe(second.length);
      expect(result.blobsSkipped).toBeGreaterThanOrEqual(layersBefore.size);
      expect(result.blobsPushed + result.blobsSkipped).toBe(51);
      expect(await watcher.stop()).toEqual([]);
      const checked = await checkArtifactDirect(reg.url, repo, 'v1');
      expect(checked.blobs).toBe(51);
    });

    it('a pull killed at a random moment leaves no file and no temp file in the output directory', async (ctx) => {
      if (!reg) return ctx.skip();
      const repo = 'hard/killed-pull';
      proxy.reset();
      const push = await runEpack(['push', `${proxy.host}/${repo}:v1`, pack.pack], { sandbox, timeoutMs: 80_000 });
      expect(push.code, push.stderr).toBe(0);
      for (let round = 0; round < 2; round++) {
        proxy.reset();
        proxy.addRule({ method: 'GET', path: BLOB_GET, nth: 'all', fault: { kind: 'slow', bytesPerSecond: 256 * 1024 } });
        const outDir = await mkdtemp(path.join(tmpdir(), 'epack-hard-kill-'));
        const out = path.join(outDir, 'pulled.epack');
        const killAfterBlobs = 2 + Math.floor(Math.random() * 45);
        const run = spawnEpack(['pull', `${proxy.host}/${repo}:v1`, '-o', out], { sandbox });
        while (run.child.exitCode === null && proxy.requests.filter((r) => r.method === 'GET' && BLOB_GET.test(r.path)).length < killAfterBlobs) await sleep(5);
        run.child.kill('SIGKILL');
        const killed = await run.done;
        expect(killed.signal).toBe('SIGKILL');
        expect(existsSync(out)).toBe(false);
        expect(await readdir(outDir)).toEqual([]);
      }
    });

    // docker-registry 2.8 can answer a manifest PUT with MANIFEST_BLOB_UNKNOWN while a concurrent
    // writer rewrites a blob's link file: the answer is retried before it is believed.
    it('a manifest PUT answered MANIFEST_BLOB_UNKNOWN is retried; one that keeps failing leaves no tag', async (ctx) => {
      if (!reg) return ctx.skip();
      const unknownBlob = { kind: 'status', status: 400, headers: { 'content-type': 'application/json' }, body: '{"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry"}]}' } as const;
      const manifestPuts = () => proxy.requests.filter((r) => r.method === 'PUT' && /\/manifests\//.test(r.path)).length;
      proxy.reset();
      proxy.addRule({ method: 'PUT', path: /\/manifests\//, nth: 1, fault: unknownBlob });
      const once = await runEpack(['push', `${proxy.host}/hard/blob-unknown:v1`, pack.pack], { sandbox, timeoutMs: 80_000 });
      expect(once.code, once.stderr).toBe(0);
      expect(manifestPuts()).toBe(2); // the refused one, then the retry (by tag: manifest and tag in one PUT)
      expect((await checkArtifactDirect(reg.url, 'hard/blob-unknown', 'v1')).blobs).toBe(51);

      proxy.reset();
      proxy.addRule({ method: 'PUT', path: /\/manifests\//, nth: 'all', fault: unknownBlob });
      const always = await runEpack(['push', `${proxy.host}/hard/blob-unknown:v2`, pack.pack], { sandbox, timeoutMs: 80_000 });
      expect(always.code).toBe(6);
      expect(always.stderr).toMatch(/manifest_blob_unknown/);
      expect(manifestPuts()).toBe(4);
      expect(await tagIsCompleteOrAbsent(reg.url, 'hard/blob-unknown', 'v2')).toBe('absent');
    });
  });
}

/**
 * olareg 0.2.2 updates its referrers list with an unlocked read-modify-write,
 * so one of two concurrent pushes can vanish from the API's answer. The proxy
 * shows that answer deterministically: the listing right after the push omits
 * the new referrer. epack pushes the manifest again and finds it listed; a
 * registry that never lists it gets a warning, not a silent success.
 */
describe.skipIf(!registryAvailable('olareg', 'anonymous'))('a referrers API that drops an entry (olareg behind the proxy)', () => {
  let reg: RunningRegistry | undefined;
  let proxy: FaultProxy;
  const REFERRERS_GET = /\/referrers\/sha256:/;
  const dropAll = (original: Buffer): string => JSON.stringify({ ...(JSON.parse(original.toString('utf8')) as object), manifests: [] });

  beforeAll(async () => {
    reg = await startRegistry('olareg');
    if (reg) proxy = await startFaultProxy(reg.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await reg?.stop();
  });

  async function attachOnce(repo: string): Promise<{ code: number | null; stderr: string; manifestPuts: number }> {
    const push = await runEpack(['push', `${proxy.host}/${repo}:v1`, pack.pack], { sandbox, timeoutMs: 80_000 });
    expect(push.code, push.stderr).toBe(0);
    const dir = await mkdtemp(path.join(tmpdir(), 'epack-drop-'));
    const note = path.join(dir, 'note.json');
    await writeFile(note, '{"note":1}');
    const before = proxy.requests.length;
    const run = await runEpack(['attach', `${proxy.host}/${repo}:v1`, `${note}:application/json`, '--artifact-type', 'application/vnd.acme.note.v1'], { sandbox });
    const manifestPuts = proxy.requests.slice(before).filter((r) => r.method === 'PUT' && /\/manifests\/sha256:/.test(r.path)).length;
    return { code: run.code, stderr: run.stderr, manifestPuts };
  }

  it('the first listing after the push omits the referrer: epack pushes it again and discover lists it', async (ctx) => {
    if (!reg) return ctx.skip();
    proxy.reset();
    // The first referrers GET is the capability probe, the second the confirmation.
    proxy.addRule({ method: 'GET', path: REFERRERS_GET, nth: 2, fault: { kind: 'rewrite', body: dropAll } });
    const run = await attachOnce('hard/dropped-once');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/warning/);
    expect(run.manifestPuts).toBe(2);
    const discover = await runEpack(['discover', `${reg.host}/hard/dropped-once:v1`, '--json'], { sandbox });
    const tree = JSON.parse(discover.stdout) as { referrers: { artifactType?: string }[] };
    expect(tree.referrers.map((r) => r.artifactType)).toContain('application/vnd.acme.note.v1');
  });

  it('a registry that never lists the referrer: attach warns on stderr', async (ctx) => {
    if (!reg) return ctx.skip();
    proxy.reset();
    proxy.addRule({ method: 'GET', path: REFERRERS_GET, nth: [2, 3, 4, 5, 6], fault: { kind: 'rewrite', body: dropAll } });
    const run = await attachOnce('hard/dropped-always');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^warning: .*stored sha256:[0-9a-f]{64} but its referrers API does not list it/m);
    expect(run.manifestPuts).toBe(5);
  });
});

/**
 * Helpers of the hardening suites: a CLI run that can be killed at a moment
 * the test picks (and measured for peak memory), packs of many small
 * artifacts, and direct registry checks that bypass our client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { expect } from 'vitest';
import { buildPack } from '../../packages/oci-pack/src/pack/build.js';
import { EPACK_BIN, type RunResult, type Sandbox } from '../harness/cli.js';

export const TIME_BIN = '/usr/bin/time';

export interface LiveRun {
  child: ChildProcess;
  done: Promise<RunResult & { elapsedMs: number; maxRssKiB?: number }>;
}

/**
 * Spawns `node epack.js <args>` in a sandbox; with `measure`, under
 * `/usr/bin/time -f %M` so the peak RSS (KiB) of the child is reported.
 */
export function spawnEpack(
  args: readonly string[],
  options: { sandbox: Sandbox; cwd?: string; env?: Record<string, string>; dockerConfigDir?: string; measure?: boolean; timeoutMs?: number },
): LiveRun {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(DOCKER_|REGISTRY_AUTH_FILE$|XDG_|SIGSTORE_|COSIGN_|HTTPS?_PROXY$|NO_PROXY$)/i.test(k)) env[k] = v;
  }
  Object.assign(env, options.sandbox.env, { NO_COLOR: '1', TERM: 'dumb' }, options.env ?? {});
  if (options.dockerConfigDir) env['DOCKER_CONFIG'] = options.dockerConfigDir;
  const measure = options.measure === true && existsSync(TIME_BIN);
  const command = measure ? TIME_BIN : process.execPath;
  const argv = measure ? ['-f', 'EPACK_MAXRSS_KIB=%M', process.execPath, EPACK_BIN, ...args] : [EPACK_BIN, ...args];
  const started = Date.now();
  const child = spawn(command, argv, { cwd: options.cwd ?? options.sandbox.home, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => err.push(d));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const done = new Promise<RunResult & { elapsedMs: number; maxRssKiB?: number }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let stderr = Buffer.concat(err).toString('utf8');
      let maxRssKiB: number | undefined;
      const m = /(?:Command (?:exited|terminated)[^\n]*\n)?EPACK_MAXRSS_KIB=(\d+)\n?$/.exec(stderr);
      if (measure && m) {
        maxRssKiB = Number(m[1]);
        stderr = stderr.slice(0, m.index);
      }
      const result = { code: code ?? -1, signal, stdout: Buffer.concat(out).toString('utf8'), stderr, elapsedMs: Date.now() - started };
      resolve(maxRssKiB === undefined ? result : { ...result, maxRssKiB });
    });
  });
  return { child, done };
}

export interface ManyArtifactPack {
  dir: string;
  pack: string;
  /** The evidence files by path inside the pack. */
  files: Map<string, Buffer>;
}

/** A pack of `count` small artifacts with distinct random content. */
export async function buildManyArtifactPack(count: number, options: { minBytes?: number; maxBytes?: number; seed?: string } = {}): Promise<ManyArtifactPack> {
  const dir = await mkdtemp(path.join(tmpdir(), 'epack-hard-'));
  const evidence = path.join(dir, 'evidence');
  await mkdir(evidence, { recursive: true });
  const files = new Map<string, Buffer>();
  const min = options.minBytes ?? 2048;
  const max = options.maxBytes ?? 12 * 1024;
  for (let i = 0; i < count; i++) {
    const name = `item-${String(i).padStart(3, '0')}.bin`;
    const size = min + Math.floor(Math.random() * (max - min));
    const content = Buffer.concat([Buffer.from(`${options.seed ?? ''}#${i}\n`), randomBytes(size)]);
    await writeFile(path.join(evidence, name), content);
    files.set(name, content);
  }
  const pack = path.join(dir, 'many.epack');
  await buildPack({ out: pack, inputs: [evidence], stream: 'acme/hardening', sources: ['ci@1.0.0'], generatedAt: '2026-11-01T12:00:00Z', cwd: dir });
  return { dir, pack, files };
}

export const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

interface Desc {
  digest: string;
  size: number;
  mediaType?: string;
}

export interface CheckedArtifact {
  digest: string;
  manifest: { config: Desc; layers: Desc[]; subject?: Desc; artifactType?: string; annotations?: Record<string, string> };
  blobs: number;
}

/**
 * Fetches `<repo>:<tagOrDigest>` straight from the registry (anonymous) and
 * every blob it names, checking each digest and size against the bytes.
 */
export async function checkArtifactDirect(registryUrl: string, repo: string, ref: string): Promise<CheckedArtifact> {
  const res = await fetch(`${registryUrl}/v2/${repo}/manifests/${ref}`, { headers: { Accept: MANIFEST_ACCEPT } });
  expect(res.status, `manifest ${repo}:${ref}`).toBe(200);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const digest = sha256(bytes);
  if (ref.startsWith('sha256:')) expect(digest).toBe(ref);
  const manifest = JSON.parse(Buffer.from(bytes).toString('utf8')) as CheckedArtifact['manifest'];
  const blobs = [manifest.config, ...manifest.layers];
  for (const blob of blobs) {
    const b = await fetch(`${registryUrl}/v2/${repo}/blobs/${blob.digest}`);
    expect(b.status, `blob ${blob.digest}`).toBe(200);
    const content = new Uint8Array(await b.arrayBuffer());
    expect(sha256(content), `bytes of ${blob.digest}`).toBe(blob.digest);
    expect(content.byteLength).toBe(blob.size);
  }
  return { digest, manifest, blobs: blobs.length };
}

/** Whether `<repo>:<tag>` exists now; when it does, every blob it names must be complete. */
export async function tagIsCompleteOrAbsent(registryUrl: string, repo: string, tag: string): Promise<'absent' | 'complete' | string> {
  const res = await fetch(`${registryUrl}/v2/${repo}/manifests/${tag}`, { headers: { Accept: MANIFEST_ACCEPT } });
  if (res.status === 404) {
    await res.arrayBuffer();
    return 'absent';
  }
  if (res.status !== 200) return `manifest answered ${res.status}`;
  const manifest = (await res.json()) as CheckedArtifact['manifest'];
  for (const blob of [manifest.config, ...manifest.layers]) {
    const b = await fetch(`${registryUrl}/v2/${repo}/blobs/${blob.digest}`, { method: 'HEAD' });
    if (b.status !== 200) return `tag ${tag} points at a manifest whose blob ${blob.digest} answers ${b.status}`;
    if (Number(b.headers.get('content-length')) !== blob.size) return `blob ${blob.digest} has the wrong size`;
  }
  return 'complete';
}

/** Every file below `dir` (relative paths), with its size. */
export async function snapshotTree(dir: string): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const abs = path.join(d, entry.name);
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        found.set(`${r}/`, 0);
        await walk(abs, r);
      } else found.set(r, (await stat(abs).catch(() => ({ size: -1 }))).size);
    }
  };
  await walk(dir, '');
  return found;
}

/** Asserts a one-line `epack: <code>: …` error on stderr and nothing on stdout. */
export function expectOneLineError(r: RunResult, code: string | RegExp, exitCode?: number): string {
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  const codePattern = typeof code === 'string' ? code : code.source;
  expect(lines[0], r.stderr).toMatch(new RegExp(`^epack: (?:${codePattern}): \\S`));
  expect(r.stdout).toBe('');
  if (exitCode !== undefined) expect(r.code, r.stderr).toBe(exitCode);
  return lines[0]!;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

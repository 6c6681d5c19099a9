/**
 * Extracting artifacts to a directory (pack.md §7.1, §7.5): every
 * destination is checked to lie inside the output directory, no path
 * component may be a symlink, existing files are kept unless `force`, and
 * each file is written to a temporary name and renamed into place only after
 * its size and digest were verified.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, realpath, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PackError, UsageError } from '../error.js';
import { ARTIFACTS_PREFIX } from './entries.js';
import { validateArtifactPath } from './paths.js';
import type { EmbeddedArtifact, PackReader } from './types.js';

export interface ExtractOptions {
  /** Artifact paths to extract (with or without `artifacts/`). */
  paths?: readonly string[];
  /** Extract every embedded artifact. */
  all?: boolean;
  /** Destination directory (created if missing). Files keep their `artifacts/...` path below it. */
  outDir: string;
  /** Replace existing files. */
  force?: boolean;
}

export interface ExtractedFile {
  path: string;
  /** Absolute destination. */
  file: string;
  size: number;
  digest: string;
}

export async function extractPack(reader: PackReader, opts: ExtractOptions): Promise<ExtractedFile[]> {
  const selected = selectArtifacts(reader, opts);
  await mkdir(opts.outDir, { recursive: true });
  const root = await realpath(opts.outDir);
  const plan = selected.map((a) => ({ artifact: a, file: destination(root, a.path) }));
  for (const { file, artifact } of plan) {
    await assertNoSymlinks(root, file);
    if (!opts.force && (await exists(file))) {
      throw new UsageError('output_exists', `${path.relative(process.cwd(), file) || file} already exists (from ${artifact.path})`, { hint: 'pass --force to overwrite' });
    }
  }
  const done: ExtractedFile[] = [];
  for (const { artifact, file } of plan) {
    await mkdir(path.dirname(file), { recursive: true });
    await assertNoSymlinks(root, file);
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      // the reader's stream fails before it ends when size or digest differ,
      // so a bad artifact never reaches its final name
      await pipeline(await reader.openArtifact(artifact.path), createWriteStream(tmp, { flags: 'wx', mode: 0o644 }));
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    done.push({ path: artifact.path, file, size: artifact.size, digest: artifact.digest });
  }
  return done;
}

function selectArtifacts(reader: PackReader, opts: ExtractOptions): EmbeddedArtifact[] {
  if (opts.all) return [...reader.artifacts];
  const wanted = opts.paths ?? [];
  if (wanted.length === 0) throw new UsageError('nothing_to_extract', 'name the artifacts to extract, or pass --all', { hint: 'epack list artifacts <pack> shows them' });
  const byPath = new Map(reader.artifacts.map((a) => [a.path, a]));
  return wanted.map((p) => {
    const key = p.startsWith(ARTIFACTS_PREFIX) ? p : ARTIFACTS_PREFIX + p;
    const a = byPath.get(key);
    if (!a) throw new PackError('artifact_not_found', `${p} is not an artifact of the pack`, { hint: 'epack list artifacts <pack> shows the paths' });
    return a;
  });
}

function destination(root: string, artifactPath: string): string {
  validateArtifactPath(artifactPath);
  const file = path.resolve(root, ...artifactPath.split('/'));
  if (!file.startsWith(root + path.sep)) throw new PackError('path_traversal', `${artifactPath} would be written outside ${root}`);
  return file;
}

/** No existing component between root and file may be a symlink (no following links out). */
async function assertNoSymlinks(root: string, file: string): Promise<void> {
  const parts = path.relative(root, file).split(path.sep);
  let current = root;
  for (const part of parts) {
    current = path.join(current, part);
    const st = await lstat(current).catch(() => undefined);
    if (!st) return;
    if (st.isSymbolicLink()) throw new PackError('unsafe_output_path', `${current} is a symbolic link; refusing to write through it`);
  }
}

async function exists(p: string): Promise<boolean> {
  return (await lstat(p).catch(() => undefined)) !== undefined;
}

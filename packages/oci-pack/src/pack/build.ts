/**
 * Building a pack from files: resolves inputs (files, directories, globs,
 * stdin) to artifact paths, hashes and types every artifact, writes the
 * manifest (serializeManifest) and the archive (writePack). Same inputs and
 * the same generated_at give the same bytes.
 *
 * Where inputs land (all under `artifacts/`):
 * - a file: `artifacts/<file name>`;
 * - a directory: `artifacts/<directory name>/<path inside it>` (for `.` the
 *   paths inside it); hidden VCS/OS clutter (`.git`, `.DS_Store`, `._*`,
 *   `__MACOSX`) is skipped, symlinked directories are not followed;
 * - a glob (`reports/**\/*.json`): `artifacts/<path below the glob's fixed
 *   prefix>`;
 * - `-f src:dest`: exactly `dest` (prefixed with `artifacts/` unless it
 *   already starts with it); `src` may be `-` for stdin.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NotFoundError, PackError, UsageError } from '../error.js';
import { detectFileContentType } from './detect.js';
import { computePackDigest, createSha256 } from './digest.js';
import { ARTIFACTS_PREFIX } from './entries.js';
import { resolveLimits } from './limits.js';
import { serializeManifest, SPEC_VERSION } from './manifest.js';
import { checkCaseCollisions, validateArtifactPath } from './paths.js';
import { formatTimestamp, isValidTimestamp } from './timestamp.js';
import type { EmbeddedArtifact, PackLimits, PackManifest, PackSource } from './types.js';
import { writePack, type WritePackResult } from './write.js';
import { sourceDateEpoch } from './zip-write.js';

export interface BuildPackOptions {
  /** The pack file to write. */
  out: string;
  /** Files, directories, globs; `-` only together with a `-f -:dest` mapping. */
  inputs?: readonly string[];
  stream: string;
  /** `name@version` / `name`, or source objects. */
  sources?: readonly (string | PackSource)[];
  /** `src:dest` mappings (`-f`); `src` may be `-` for stdin. */
  mappings?: readonly string[];
  /** `path=type` overrides (path as in the pack, with or without `artifacts/`), or a map. */
  contentTypes?: readonly string[] | Readonly<Record<string, string>>;
  /** Where `-` reads from (default process.stdin). */
  stdin?: Readable;
  /** generated_at; default SOURCE_DATE_EPOCH, else now. */
  generatedAt?: string | Date;
  /** Replace an existing output file. */
  force?: boolean;
  /** Base for relative inputs (default process.cwd()). */
  cwd?: string;
  limits?: Partial<PackLimits>;
}

export interface BuiltArtifact {
  path: string;
  size: number;
  digest: string;
  content_type: string;
  /** Where the bytes came from (a file path or `-`). */
  source: string;
}

export interface BuildPackResult extends WritePackResult {
  generatedAt: string;
  artifactList: BuiltArtifact[];
}

interface PlannedArtifact {
  packPath: string;
  file: string;
  /** The user's spelling, for messages. */
  origin: string;
}

const SKIPPED_NAMES = new Set(['.git', '.hg', '.svn', '.DS_Store', '__MACOSX', 'Thumbs.db']);

export async function buildPack(opts: BuildPackOptions): Promise<BuildPackResult> {
  const cwd = opts.cwd ?? process.cwd();
  const limits = resolveLimits(opts.limits);
  if (!opts.stream || typeof opts.stream !== 'string') {
    throw new UsageError('missing_stream', 'a stream identifier is required', { hint: 'pass --stream <id>, for example --stream acme/prod' });
  }
  const out = path.resolve(cwd, opts.out);
  if (!opts.force && (await exists(out))) {
    throw new UsageError('output_exists', `${opts.out} already exists`, { hint: 'pass --force to replace it' });
  }
  const inputs = opts.inputs ?? [];
  const mappings = opts.mappings ?? [];
  if (inputs.length === 0 && mappings.length === 0) {
    throw new UsageError('no_inputs', 'nothing to pack: give files, directories or globs', { hint: 'epack build out.epack ./reports --stream acme/prod' });
  }
  const generatedAt = resolveGeneratedAt(opts.generatedAt);
  const spooled: string[] = [];
  try {
    const planned: PlannedArtifact[] = [];
    for (const input of inputs) {
      if (input === '-') throw new UsageError('stdin_needs_name', 'stdin (-) needs a name inside the pack', { hint: 'use -f -:name.json' });
      planned.push(...(await expandInput(input, cwd, out)));
    }
    for (const mapping of mappings) planned.push(await planMapping(mapping, cwd, opts.stdin ?? process.stdin, spooled));
    checkPlan(planned, limits);

    const overrides = contentTypeOverrides(opts.contentTypes);
    const artifacts: (EmbeddedArtifact & { content_type: string })[] = [];
    const built: BuiltArtifact[] = [];
    let total = 0;
    for (const p of planned) {
      const { digest, size } = await hashFile(p.file, limits.maxArtifactSize, p.packPath);
      total += size;
      if (total > limits.maxPackSize) throw new PackError('pack_too_large', `the artifacts exceed the pack size limit of ${limits.maxPackSize} bytes`);
      const contentType = overrides.take(p.packPath) ?? (await detectFileContentType(p.file, p.packPath));
      artifacts.push({ type: 'embedded', path: p.packPath, digest, size, content_type: contentType });
      built.push({ path: p.packPath, size, digest, content_type: contentType, source: p.origin });
    }
    overrides.assertAllUsed();
    artifacts.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
    built.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));

    const manifest: PackManifest = {
      spec_version: SPEC_VERSION,
      stream: opts.stream,
      generated_at: generatedAt,
      pack_digest: computePackDigest(artifacts),
      sources: (opts.sources ?? []).map(parseSource),
      artifacts,
    };
    const manifestBytes = serializeManifest(manifest);
    const files = new Map(planned.map((p) => [p.packPath, p.file]));
    const result = await writePack(
      out,
      {
        manifestBytes,
        artifacts: artifacts.map((a) => ({ path: a.path, size: a.size, open: async () => createReadStream(files.get(a.path)!) })),
      },
      { limits },
    );
    return { ...result, path: opts.out, generatedAt, artifactList: built };
  } finally {
    for (const file of spooled) await rm(file, { force: true });
  }
}

/** `name@version` (last `@` not at the start) or `name`. */
export function parseSource(spec: string | PackSource): PackSource {
  if (typeof spec !== 'string') return spec;
  const at = spec.lastIndexOf('@');
  const name = at > 0 ? spec.slice(0, at) : spec;
  const version = at > 0 ? spec.slice(at + 1) : undefined;
  if (!name || version === '') throw new UsageError('invalid_source', `invalid source "${spec}"`, { hint: 'use name@version or name, e.g. --source trivy@0.58.1' });
  return version ? { name, version } : { name };
}

function resolveGeneratedAt(value: string | Date | undefined): string {
  if (value instanceof Date) return formatTimestamp(value);
  if (typeof value === 'string') {
    if (!isValidTimestamp(value)) throw new UsageError('invalid_timestamp', `generated_at must be YYYY-MM-DDTHH:MM:SSZ, got "${value}"`);
    return value;
  }
  return formatTimestamp(sourceDateEpoch() ?? new Date());
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

function toPackPath(rel: string, origin: string): string {
  const posix = rel.split(path.sep).join('/');
  const packPath = posix.startsWith(ARTIFACTS_PREFIX) ? posix : ARTIFACTS_PREFIX + posix;
  try {
    validateArtifactPath(packPath);
  } catch (err) {
    if (err instanceof PackError) {
      throw new PackError(err.code, `${origin}: ${err.message}`, { cause: err, hint: 'rename the file or map it with -f src:dest', ...(err.details ? { details: err.details } : {}) });
    }
    throw err;
  }
  return packPath;
}

const GLOB_CHARS = /[*?[\]{}]/;

async function expandInput(input: string, cwd: string, out: string): Promise<PlannedArtifact[]> {
  const abs = path.resolve(cwd, input);
  let st;
  try {
    st = await stat(abs);
  } catch (err) {
    if (GLOB_CHARS.test(input)) return expandGlob(input, cwd, out);
    throw await missingInput(input, abs, err);
  }
  if (st.isFile()) return [{ packPath: toPackPath(path.basename(abs), input), file: abs, origin: input }];
  if (!st.isDirectory()) throw new UsageError('unsupported_input', `${input} is not a regular file or directory`);
  const files = await walk(abs, out);
  if (files.length === 0) {
    throw new UsageError('empty_directory', `${input} contains no files`, { hint: 'check the directory, or name the files to pack' });
  }
  const base = path.resolve(cwd) === abs ? abs : path.dirname(abs);
  return files.map((f) => ({ packPath: toPackPath(path.relative(base, f), f), file: f, origin: path.relative(cwd, f) || f }));
}

async function missingInput(input: string, abs: string, err: unknown): Promise<Error> {
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== 'ENOENT' && code !== 'ENOTDIR') return new UsageError('unreadable_input', `${input}: ${(err as Error).message}`, { cause: err });
  const suggestion = await closestSibling(abs);
  return new NotFoundError('input_not_found', `${input}: no such file or directory`, {
    hint: suggestion ? `did you mean ${path.join(path.dirname(input), suggestion)}?` : 'check the path',
    details: { input },
  });
}

/** The most similar name in the same directory (edit distance <= 3), if any. */
async function closestSibling(abs: string): Promise<string | undefined> {
  try {
    const want = path.basename(abs);
    const names = await readdir(path.dirname(abs));
    let best: { name: string; d: number } | undefined;
    for (const name of names) {
      const d = editDistance(want.toLowerCase(), name.toLowerCase());
      if (d <= Math.min(3, Math.max(1, Math.floor(want.length / 3))) && (!best || d < best.d)) best = { name, d };
    }
    return best?.name;
  } catch {
    return undefined;
  }
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

async function walk(dir: string, out: string): Promise<string[]> {
  const found: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (SKIPPED_NAMES.has(e.name) || e.name.startsWith('._')) continue;
    const full = path.join(dir, e.name);
    if (full === out || isOwnTempFile(full, out)) continue;
    if (e.isDirectory()) found.push(...(await walk(full, out)));
    else if (e.isFile()) found.push(full);
    else if (e.isSymbolicLink()) {
      const target = await stat(full).catch(() => undefined);
      if (target?.isFile()) found.push(full);
    }
  }
  return found;
}

function isOwnTempFile(full: string, out: string): boolean {
  return path.dirname(full) === path.dirname(out) && path.basename(full).startsWith(`.${path.basename(out)}.`);
}

async function expandGlob(pattern: string, cwd: string, out: string): Promise<PlannedArtifact[]> {
  // fs.glob is stable from Node 22.17; imported lazily so older runtimes fail only here
  const { glob } = await import('node:fs/promises');
  const matches: string[] = [];
  for await (const m of glob(pattern, { cwd })) matches.push(m);
  const base = globBase(pattern);
  const files: PlannedArtifact[] = [];
  for (const m of matches.sort()) {
    const abs = path.resolve(cwd, m);
    if (abs === out) continue;
    const st = await stat(abs).catch(() => undefined);
    if (!st?.isFile()) continue;
    const rel = path.relative(path.resolve(cwd, base), abs);
    files.push({ packPath: toPackPath(rel, m), file: abs, origin: m });
  }
  if (files.length === 0) throw new UsageError('glob_no_match', `${pattern} matches no files`, { hint: 'check the pattern (quote it so the shell does not expand it)' });
  return files;
}

/** The leading path segments of a glob that contain no glob characters. */
function globBase(pattern: string): string {
  const segments = pattern.split('/');
  const fixed: string[] = [];
  for (const s of segments.slice(0, -1)) {
    if (GLOB_CHARS.test(s)) break;
    fixed.push(s);
  }
  return fixed.join('/') || '.';
}

async function planMapping(mapping: string, cwd: string, stdin: Readable, spooled: string[]): Promise<PlannedArtifact> {
  const colon = mapping.lastIndexOf(':');
  if (colon <= 0 || colon === mapping.length - 1) {
    throw new UsageError('invalid_mapping', `invalid file mapping "${mapping}"`, { hint: 'use -f <source>:<path in pack>, e.g. -f ./out/scan.json:scans/trivy.json' });
  }
  const src = mapping.slice(0, colon);
  const dest = mapping.slice(colon + 1);
  const packPath = toPackPath(dest, mapping);
  if (src === '-') {
    const file = path.join(tmpdir(), `epack-stdin-${randomBytes(6).toString('hex')}`);
    spooled.push(file);
    await pipeline(stdin, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
    return { packPath, file, origin: '-' };
  }
  const abs = path.resolve(cwd, src);
  let st;
  try {
    st = await stat(abs);
  } catch (err) {
    throw await missingInput(src, abs, err);
  }
  if (!st.isFile()) throw new UsageError('unsupported_input', `${src} is not a regular file`, { hint: '-f maps one file; pass directories as plain inputs' });
  return { packPath, file: abs, origin: src };
}

function checkPlan(planned: PlannedArtifact[], limits: PackLimits): void {
  const seen = new Map<string, string>();
  for (const p of planned) {
    const other = seen.get(p.packPath);
    if (other !== undefined) {
      throw new UsageError('duplicate_path', `${other} and ${p.origin} would both be stored as ${p.packPath}`, { hint: 'rename one with -f src:dest' });
    }
    seen.set(p.packPath, p.origin);
  }
  checkCaseCollisions(planned.map((p) => p.packPath));
  if (planned.length > limits.maxArtifactCount) throw new PackError('too_many_artifacts', `${planned.length} artifacts, the limit is ${limits.maxArtifactCount}`);
}

async function hashFile(file: string, maxSize: number, packPath: string): Promise<{ digest: string; size: number }> {
  const hash = createSha256();
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    if (hash.bytes > maxSize) throw new PackError('artifact_too_large', `${packPath} is larger than the artifact size limit of ${maxSize} bytes`);
  }
  return { digest: hash.digest(), size: hash.bytes };
}

const MEDIA_TYPE_RE = /^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/;

interface Overrides {
  take(packPath: string): string | undefined;
  assertAllUsed(): void;
}

function contentTypeOverrides(spec: BuildPackOptions['contentTypes']): Overrides {
  const map = new Map<string, string>();
  let fallback: string | undefined;
  const entries: [string, string][] = [];
  if (Array.isArray(spec)) {
    for (const s of spec as readonly string[]) {
      const eq = s.indexOf('=');
      if (eq < 0 && MEDIA_TYPE_RE.test(s)) {
        // a bare type applies to every artifact (as epack-go's --content-type does)
        if (fallback !== undefined) throw new UsageError('invalid_content_type', 'only one --content-type without a path may be given');
        fallback = s;
        continue;
      }
      if (eq <= 0 || eq === s.length - 1) throw new UsageError('invalid_content_type', `invalid --content-type "${s}"`, { hint: 'use path=type, e.g. scans/x.json=application/sarif+json' });
      entries.push([s.slice(0, eq), s.slice(eq + 1)]);
    }
  } else entries.push(...Object.entries((spec ?? {}) as Record<string, string>));
  for (const [p, type] of entries) {
    if (!MEDIA_TYPE_RE.test(type)) throw new UsageError('invalid_content_type', `"${type}" is not a media type`);
    map.set(p.startsWith(ARTIFACTS_PREFIX) ? p : ARTIFACTS_PREFIX + p, type);
  }
  const used = new Set<string>();
  return {
    take(packPath) {
      const t = map.get(packPath);
      if (t !== undefined) used.add(packPath);
      return t ?? fallback;
    },
    assertAllUsed() {
      for (const p of map.keys()) {
        if (!used.has(p)) throw new UsageError('unknown_artifact', `--content-type names ${p}, which is not in the pack`, { hint: 'use the path inside the pack' });
      }
    },
  };
}

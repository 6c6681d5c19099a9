/**
 * Rules for ZIP entries of a pack, independent of any ZIP library: what a
 * name may be and where (pack.md §2.2, §5.2, §6.1), what an entry's type
 * and sizes may be (§2.3.2.1, §7.2, §7.3), and whether the set of entries
 * matches the manifest. The ZIP reader calls these for every entry before it
 * extracts anything.
 */
import { PackError } from '../error.js';
import { validateArtifactPath, checkCaseCollisions } from './paths.js';
import type { EmbeddedArtifact } from './types.js';

export const MANIFEST_PATH = 'manifest.json';
export const ARTIFACTS_PREFIX = 'artifacts/';
export const ATTESTATIONS_PREFIX = 'attestations/';
export const ATTESTATION_SUFFIX = '.sigstore.json';

export type EntryRole = 'manifest' | 'artifact' | 'attestation' | 'directory';

function reject(code: string, name: string, message: string, reason: string = code, related: string[] = []): never {
  throw new PackError(code, `ZIP entry ${JSON.stringify(name)}: ${message}`, { details: { entry: name, reason, related } });
}

/** macOS Finder metadata: `__MACOSX/…`, AppleDouble `._x`, `.DS_Store` (pack.md §7.3). */
export function checkNotMacMetadata(name: string): void {
  const segments = name.split('/');
  if (segments[0] === '__MACOSX') reject('apple_double', name, 'macOS resource fork folder (__MACOSX) is not allowed');
  if (segments.some((s) => s.startsWith('._'))) reject('apple_double', name, 'AppleDouble (._) files are not allowed');
  if (segments.includes('.DS_Store')) reject('apple_metadata', name, '.DS_Store files are not allowed');
}

/**
 * Checks one entry name and says what it is. Directory entries end in `/`.
 * Codes: path codes of validateArtifactPath (`..` also relates to
 * `path_traversal`), `apple_double`/`apple_metadata`, `manifest_not_at_root`,
 * `attestation_wrong_location`, `attestation_not_direct_child`,
 * `invalid_attestation_filename`, `extra_top_level_entry`.
 */
export function classifyEntryName(name: string): EntryRole {
  const isDir = name.endsWith('/');
  const path = isDir ? name.slice(0, -1) : name;
  try {
    validateArtifactPath(path);
  } catch (err) {
    if (err instanceof PackError && err.details?.['reason'] === 'dot_dot_segment') {
      reject('path_traversal', name, '".." segments escape the extraction folder', 'path_traversal', ['invalid_path']);
    }
    throw err;
  }
  checkNotMacMetadata(path);
  const segments = path.split('/');
  const top = segments[0];
  if (isDir) {
    if (top === 'artifacts') return 'directory';
    if (top === 'attestations') {
      if (segments.length > 1) reject('attestation_not_direct_child', name, 'attestations/ must not have subfolders');
      return 'directory';
    }
    reject('extra_top_level_entry', name, 'only manifest.json, artifacts/ and attestations/ may be at the top level');
  }
  if (path === MANIFEST_PATH) return 'manifest';
  if (top === 'artifacts' && segments.length > 1) return 'artifact';
  if (top === 'attestations' && segments.length > 1) {
    if (segments.length > 2) reject('attestation_not_direct_child', name, 'attestations must be direct children of attestations/');
    checkAttestationFileName(path);
    return 'attestation';
  }
  if (segments[segments.length - 1] === MANIFEST_PATH) {
    reject('manifest_not_at_root', name, 'manifest.json must be at the root of the archive');
  }
  if (path.endsWith(ATTESTATION_SUFFIX)) {
    reject('attestation_wrong_location', name, 'attestations belong in attestations/');
  }
  const related = segments.length === 1 ? ['artifact_outside_directory'] : [];
  reject('extra_top_level_entry', name, 'only manifest.json, artifacts/ and attestations/ may be at the top level', 'extra_top_level_entry', related);
}

/** `attestations/<name>.sigstore.json` with a non-empty name. */
export function checkAttestationFileName(path: string): void {
  const file = path.slice(ATTESTATIONS_PREFIX.length);
  if (!path.startsWith(ATTESTATIONS_PREFIX) || file.includes('/')) {
    reject('attestation_wrong_location', path, 'attestations must be direct children of attestations/');
  }
  if (!file.endsWith(ATTESTATION_SUFFIX) || file.length === ATTESTATION_SUFFIX.length) {
    reject('invalid_attestation_filename', path, `attestation files are named <name>${ATTESTATION_SUFFIX}`, 'invalid_attestation_filename', [
      'invalid_attestation_extension',
    ]);
  }
}

/** What a ZIP entry's header says about it. */
export interface EntryAttributes {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
  /** Unix mode from the external attributes when the entry was made on Unix (`attr >>> 16`). */
  unixMode?: number;
  /** Whether the MS-DOS directory attribute (0x10) is set. */
  dosDirectory?: boolean;
}

const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;
const S_IFSOCK = 0o140000;

export type UnixFileType = 'file' | 'directory' | 'symlink' | 'char_device' | 'block_device' | 'fifo' | 'socket' | 'unknown';

export function unixFileType(mode: number): UnixFileType {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return 'file';
    case S_IFDIR:
      return 'directory';
    case S_IFLNK:
      return 'symlink';
    case S_IFCHR:
      return 'char_device';
    case S_IFBLK:
      return 'block_device';
    case S_IFIFO:
      return 'fifo';
    case S_IFSOCK:
      return 'socket';
    default:
      return 'unknown';
  }
}

/**
 * Rejects anything but regular files and directories (`symlink`,
 * `device_file`, `non_regular_file`) and directory entries that are not empty or whose
 * attributes contradict the trailing slash (`invalid_directory_entry`,
 * `directory_slash_mismatch`). A mode of 0 (no Unix type) is a regular file.
 */
export function checkEntryAttributes(entry: EntryAttributes): void {
  const { name } = entry;
  const type = entry.unixMode !== undefined && (entry.unixMode & S_IFMT) !== 0 ? unixFileType(entry.unixMode) : undefined;
  checkEntryType(name, type);
  const slash = name.endsWith('/');
  const attrSaysDir = type === 'directory' || entry.dosDirectory === true;
  if (slash) {
    if (type === 'file') reject('directory_slash_mismatch', name, 'has regular-file attributes but ends with "/"');
    if (entry.compressedSize !== 0 || entry.uncompressedSize !== 0) {
      reject('invalid_directory_entry', name, 'a directory entry must have no content');
    }
  } else if (attrSaysDir) {
    reject('directory_slash_mismatch', name, 'has directory attributes but does not end with "/"');
  }
}

/** Rejects symlinks, hard links, devices, FIFOs, sockets (pack.md §7.3). */
export function checkEntryType(name: string, type: UnixFileType | 'hardlink' | undefined): void {
  switch (type) {
    case undefined:
    case 'file':
    case 'directory':
      return;
    case 'symlink':
      reject('symlink', name, 'symbolic links are not allowed', 'symlink', ['zip_symlink']);
      break;
    case 'hardlink':
      reject('hardlink', name, 'hard links are not allowed', 'hardlink', ['zip_special_file']);
      break;
    case 'char_device':
    case 'block_device':
      reject('device_file', name, 'device files are not allowed', 'device_file', ['zip_special_file']);
      break;
    default:
      reject('non_regular_file', name, `${type} entries are not allowed`, 'non_regular_file', ['zip_special_file']);
  }
}

/**
 * Below this many uncompressed bytes an entry cannot be a meaningful bomb,
 * so small, highly repetitive files (a few KB of spaces) are not rejected.
 */
export const COMPRESSION_RATIO_GRACE_BYTES = 64 * 1024;

/** Throws `compression_bomb` (the runner spec's `zip_bomb`) when uncompressed/compressed exceeds the ratio limit. */
export function checkCompressionRatio(name: string, compressedSize: number, uncompressedSize: number, maxRatio: number): void {
  if (uncompressedSize <= COMPRESSION_RATIO_GRACE_BYTES) return;
  if (uncompressedSize > compressedSize * maxRatio) {
    const ratio = compressedSize === 0 ? 'infinite' : `${Math.round(uncompressedSize / compressedSize)}:1`;
    reject('compression_bomb', name, `compression ratio ${ratio} exceeds the limit of ${maxRatio}:1`, 'compression_bomb', ['zip_bomb']);
  }
}

/** A ZIP entry as the structure check needs it. */
export interface PackEntry {
  name: string;
}

/**
 * Checks the whole entry list against the structure rules and, when given,
 * the manifest's embedded artifacts: `duplicate_path` (byte-equal names, or
 * file names colliding on Windows), `missing_manifest`, `manifest_not_at_root`,
 * `missing_artifacts_directory`, `missing_embedded_artifact`,
 * `unlisted_artifact` (the vectors' `extra_artifact_not_in_manifest`), plus every per-name code of classifyEntryName.
 * Returns the sorted attestation paths.
 */
export function checkPackStructure(entries: readonly (PackEntry | string)[], artifacts?: readonly Pick<EmbeddedArtifact, 'path'>[]): string[] {
  const names = entries.map((e) => (typeof e === 'string' ? e : e.name));
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) reject('duplicate_path', name, 'appears more than once in the archive');
    seen.add(name);
  }
  let hasManifest = false;
  let hasArtifactsDir = false;
  const artifactFiles: string[] = [];
  const attestations: string[] = [];
  const files: string[] = [];
  const misplacedManifest = names.find((n) => n !== MANIFEST_PATH && n.endsWith('/' + MANIFEST_PATH));
  if (!names.includes(MANIFEST_PATH)) {
    if (misplacedManifest) reject('manifest_not_at_root', misplacedManifest, 'manifest.json must be at the root of the archive');
    throw new PackError('missing_manifest', 'the archive has no manifest.json at its root');
  }
  for (const name of names) {
    const role = classifyEntryName(name);
    if (name.startsWith(ARTIFACTS_PREFIX)) hasArtifactsDir = true;
    if (role !== 'directory') files.push(name);
    if (role === 'manifest') hasManifest = true;
    else if (role === 'artifact') artifactFiles.push(name);
    else if (role === 'attestation') attestations.push(name);
  }
  if (!hasManifest) throw new PackError('missing_manifest', 'the archive has no manifest.json at its root');
  if (!hasArtifactsDir) throw new PackError('missing_artifacts_directory', 'the archive has no artifacts/ directory');
  checkCaseCollisions(files);
  if (artifacts) {
    const listed = new Set(artifacts.map((a) => a.path));
    const present = new Set(artifactFiles);
    const missing = artifacts.filter((a) => !present.has(a.path)).map((a) => a.path);
    if (missing.length > 0) {
      throw new PackError('missing_embedded_artifact', `the manifest lists ${missing.length} artifact(s) missing from the archive: ${missing.join(', ')}`, {
        details: { paths: missing },
      });
    }
    const extra = artifactFiles.filter((p) => !listed.has(p));
    if (extra.length > 0) {
      throw new PackError('unlisted_artifact', `the archive has file(s) under artifacts/ the manifest does not list: ${extra.join(', ')}`, {
        details: { paths: extra, reason: 'extra_artifact_not_in_manifest' },
      });
    }
  }
  return attestations.sort();
}

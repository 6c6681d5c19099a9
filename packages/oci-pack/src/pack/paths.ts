/**
 * Path rules of the Evidence Pack spec (pack.md §2.3): what a ZIP entry or
 * manifest path may be so that extracting it is safe on every OS and two
 * readers never disagree about which file a path names.
 */
import { PackError } from '../error.js';

export const MAX_PATH_BYTES = 240;
export const MAX_SEGMENT_BYTES = 80;

const RESERVED_BASE_NAMES = new Set([
  'con', 'prn', 'aux', 'nul',
  'com1', 'com2', 'com3', 'com4', 'com5', 'com6', 'com7', 'com8', 'com9',
  'lpt1', 'lpt2', 'lpt3', 'lpt4', 'lpt5', 'lpt6', 'lpt7', 'lpt8', 'lpt9',
]);

function invalid(path: string, why: string, code = 'invalid_path'): never {
  throw new PackError(code, `invalid path ${JSON.stringify(path)}: ${why}`, { details: { path } });
}

/** Whether a string has a lone UTF-16 surrogate (cannot be encoded as UTF-8). */
function hasLoneSurrogate(s: string): boolean {
  return /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

/**
 * Throws a PackError unless `path` is a valid pack path. Codes:
 * `path_not_nfc` (changes under NFC), `reserved_name` (Windows device name,
 * with or without extension), `invalid_path` (everything else).
 */
export function validateArtifactPath(path: string): void {
  if (typeof path !== 'string' || path.length === 0) invalid(String(path), 'empty path');
  if (hasLoneSurrogate(path)) invalid(path, 'not valid UTF-8');
  if (path.includes('\\')) invalid(path, 'backslashes are not allowed (use forward slashes)');
  // C0 controls, DEL and C1 controls.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(path)) invalid(path, 'control characters are not allowed');
  if (path.startsWith('//')) invalid(path, 'UNC paths are not allowed');
  if (path.startsWith('/')) invalid(path, 'absolute paths are not allowed');
  if (/^[A-Za-z]:/.test(path)) invalid(path, 'drive letters are not allowed');
  if (path.includes(':')) invalid(path, 'colons are not allowed');
  if (path.endsWith('/')) invalid(path, 'trailing slash');
  if (path.normalize('NFC') !== path) invalid(path, 'not in Unicode NFC form', 'path_not_nfc');
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) invalid(path, `longer than ${MAX_PATH_BYTES} bytes`);
  for (const segment of path.split('/')) validateSegment(path, segment);
}

function validateSegment(path: string, segment: string): void {
  if (segment === '') invalid(path, 'empty path segment');
  if (segment === '.' || segment === '..') invalid(path, `"${segment}" segments are not allowed`);
  if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) invalid(path, `segment longer than ${MAX_SEGMENT_BYTES} bytes`);
  if (segment.endsWith('.') || segment.endsWith(' ')) invalid(path, 'segments must not end with a dot or a space');
  if (isReservedName(segment)) invalid(path, `"${segment}" is a reserved Windows device name`, 'reserved_name');
}

/** Windows device names, case-insensitive, also with any extension (`con.txt`). */
export function isReservedName(segment: string): boolean {
  const dot = segment.indexOf('.');
  const base = (dot === -1 ? segment : segment.slice(0, dot)).trimEnd().toLowerCase();
  return RESERVED_BASE_NAMES.has(base);
}

/** Non-throwing form of {@link validateArtifactPath}: the error code, or undefined when valid. */
export function pathError(path: string): string | undefined {
  try {
    validateArtifactPath(path);
    return undefined;
  } catch (err) {
    if (err instanceof PackError) return err.code;
    throw err;
  }
}

/**
 * The key under which Windows/macOS treat two paths as the same file: NFC then
 * Unicode case folding (approximated by lower(upper(x)), which folds ß/ẞ, Σ/ς
 * and Kelvin/Ångström signs the way case-insensitive filesystems do).
 */
export function caseFoldKey(path: string): string {
  return path.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');
}

/** Throws `case_collision` when two distinct paths collide under case folding. */
export function checkCaseCollisions(paths: readonly string[]): void {
  const seen = new Map<string, string>();
  for (const p of paths) {
    const key = caseFoldKey(p);
    const other = seen.get(key);
    if (other !== undefined && other !== p) {
      throw new PackError('case_collision', `paths ${JSON.stringify(other)} and ${JSON.stringify(p)} differ only in case`, {
        details: { paths: [other, p] },
      });
    }
    seen.set(key, p);
  }
}

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

function invalid(path: string, reason: string, why: string, code = 'invalid_path'): never {
  throw new PackError(code, `invalid path ${JSON.stringify(path)}: ${why}`, { details: { path, reason } });
}

/** Whether a string has a lone UTF-16 surrogate (cannot be encoded as UTF-8). */
function hasLoneSurrogate(s: string): boolean {
  return /\p{Cs}/u.test(s);
}

/**
 * Throws a PackError unless `path` is a valid pack path (pack.md §2.3).
 * Codes: `path_not_nfc` (changes under NFC), `reserved_name` (Windows device
 * name, with or without extension), `invalid_path` (everything else). The
 * error's `details.reason` names the rule (`dot_dot_segment`, `backslash`, …).
 */
export function validateArtifactPath(path: string): void {
  if (typeof path !== 'string' || path.length === 0) invalid(String(path), 'empty_path', 'empty path');
  if (hasLoneSurrogate(path)) invalid(path, 'invalid_utf8', 'not valid UTF-8');
  if (/^[\\/]{2}/.test(path)) invalid(path, 'unc_path', 'UNC and device paths are not allowed');
  if (/^[A-Za-z]:/.test(path)) invalid(path, 'drive_letter', 'drive letters are not allowed');
  if (path.includes('\\')) invalid(path, 'backslash', 'backslashes are not allowed (use forward slashes)');
  // C0 controls, DEL and C1 controls.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(path)) invalid(path, 'control_char', 'control characters are not allowed');
  if (path.startsWith('/')) invalid(path, 'leading_slash', 'absolute paths are not allowed');
  if (path.endsWith('/')) invalid(path, 'trailing_slash', 'a file path must not end with a slash');
  if (path.includes(':')) invalid(path, 'colon', 'colons are not allowed');
  if (path.normalize('NFC') !== path) invalid(path, 'not_nfc', 'not in Unicode NFC form', 'path_not_nfc');
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) invalid(path, 'path_too_long', `longer than ${MAX_PATH_BYTES} bytes`);
  for (const segment of path.split('/')) validateSegment(path, segment);
}

function validateSegment(path: string, segment: string): void {
  if (segment === '') invalid(path, 'empty_segment', 'empty path segment');
  if (segment === '.') invalid(path, 'dot_segment', '"." segments are not allowed');
  if (segment === '..') invalid(path, 'dot_dot_segment', '".." segments are not allowed (path traversal)');
  if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) invalid(path, 'segment_too_long', `segment longer than ${MAX_SEGMENT_BYTES} bytes`);
  if (segment.endsWith('.') || segment.endsWith(' ')) invalid(path, 'trailing_dot_or_space', 'segments must not end with a dot or a space');
  if (isReservedName(segment)) invalid(path, 'reserved_name', `"${segment}" is a reserved Windows device name`, 'reserved_name');
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
 * The spec's Windows-canonical form (pack.md §4.2.2): per segment strip
 * trailing dots and spaces, then lowercase. Two paths with the same form are
 * the same file on Windows (and on default macOS volumes).
 */
export function windowsCanonicalPath(path: string): string {
  return path
    .split('/')
    .map((segment) => segment.replace(/[. ]+$/, '').toLowerCase())
    .join('/');
}

/**
 * Throws `duplicate_path` when two paths are equal or collide under the
 * Windows-canonical comparison (case, trailing dots and spaces).
 */
export function checkCaseCollisions(paths: readonly string[]): void {
  const seen = new Map<string, string>();
  for (const p of paths) {
    const key = windowsCanonicalPath(p);
    const other = seen.get(key);
    if (other !== undefined) {
      const how = other === p ? 'appears twice' : `collides with ${JSON.stringify(other)} on case-insensitive file systems`;
      throw new PackError('duplicate_path', `path ${JSON.stringify(p)} ${how}`, { details: { paths: [other, p] } });
    }
    seen.set(key, p);
  }
}

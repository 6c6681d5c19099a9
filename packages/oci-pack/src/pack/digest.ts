/**
 * Digests of the Evidence Pack spec: artifact digests (`sha256:<hex>`), the
 * pack digest over embedded artifacts and the manifest digest (raw hex sha256
 * of the JCS form of manifest.json) that attestations sign.
 */
import { createHash, type Hash } from 'node:crypto';
import { PackError } from '../error.js';
import { canonicalize } from './jcs.js';
import { isJsonObject, parseStrictJson, type JsonValue } from './json.js';

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
const HEX_RE = /^[0-9a-f]{64}$/;

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Streaming sha256: feed chunks, then read the hex digest once. */
export interface Sha256Stream {
  update(chunk: Uint8Array | string): Sha256Stream;
  /** Total bytes fed so far. */
  readonly bytes: number;
  hex(): string;
  /** `sha256:<hex>` */
  digest(): string;
}

export function createSha256(): Sha256Stream {
  const hash: Hash = createHash('sha256');
  let total = 0;
  let done: string | undefined;
  const stream: Sha256Stream = {
    update(chunk) {
      if (done !== undefined) throw new Error('sha256 already finalized');
      total += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      hash.update(chunk);
      return stream;
    },
    get bytes() {
      return total;
    },
    hex() {
      done ??= hash.digest('hex');
      return done;
    },
    digest() {
      return 'sha256:' + stream.hex();
    },
  };
  return stream;
}

/** `sha256:` followed by 64 lowercase hex digits. */
export function isValidDigest(s: unknown): s is string {
  return typeof s === 'string' && DIGEST_RE.test(s);
}

/** 64 lowercase hex digits (a manifest digest). */
export function isHexSha256(s: unknown): s is string {
  return typeof s === 'string' && HEX_RE.test(s);
}

/**
 * Compares two strings as their UTF-8 bytes would compare (the spec's "raw
 * UTF-8 byte" order), without encoding them: UTF-8 byte order is code point
 * order, and UTF-16 units give code point order once surrogates are moved
 * above U+E000-U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x += x >= 0xe000 ? -0x800 : 0x2000;
    if (y >= 0xd800) y += y >= 0xe000 ? -0x800 : 0x2000;
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/**
 * pack_digest = 'sha256:' + sha256 over `{path}\t{digest}\n` for every
 * embedded artifact, sorted by the raw UTF-8 bytes of the path.
 */
export function computePackDigest(artifacts: readonly { path: string; digest: string }[]): string {
  return 'sha256:' + sha256Hex(packDigestInput(artifacts));
}

/** The exact text pack_digest hashes: `{path}\t{digest}\n` lines sorted by UTF-8 bytes. */
export function packDigestInput(artifacts: readonly { path: string; digest: string }[]): string {
  return [...artifacts]
    .sort((a, b) => compareUtf8(a.path, b.path))
    .map((a) => `${a.path}\t${a.digest}\n`)
    .join('');
}

/**
 * Raw hex sha256 of the JCS form of manifest.json (strictly parsed; a
 * manifest must be a JSON object: `invalid_manifest` otherwise).
 */
export function computeManifestDigest(manifestBytes: Uint8Array): string {
  const value = parseStrictJson(manifestBytes);
  if (!isJsonObject(value)) throw new PackError('invalid_manifest', 'manifest.json must be a JSON object');
  return sha256Hex(canonicalize(value));
}

/** Raw hex sha256 of the JCS form of any JSON value. */
export function jcsDigest(value: JsonValue): string {
  return sha256Hex(canonicalize(value));
}

/** Throws `invalid_digest` unless `s` is `sha256:<64 lowercase hex>`. */
export function assertValidDigest(s: unknown, where: string): asserts s is string {
  if (!isValidDigest(s)) throw new PackError('invalid_digest', `${where}: ${JSON.stringify(s)} is not sha256:<64 lowercase hex>`);
}

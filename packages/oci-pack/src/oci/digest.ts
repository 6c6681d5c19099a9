/**
 * OCI content digests (image-spec descriptor.md): `sha256:<64 hex>` and
 * `sha512:<128 hex>`, lowercase. Also a streaming verifier that checks size
 * and digest while content flows through it.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { UsageError, VerificationError } from '../error.js';

export type DigestAlgorithm = 'sha256' | 'sha512';

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
}

const DIGEST_RE = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isDigest(value: string): boolean {
  return DIGEST_RE.test(value);
}

/** Splits a digest into algorithm and hex; throws `invalid_digest` for anything else. */
export function parseDigest(value: string): ParsedDigest {
  if (!DIGEST_RE.test(value)) {
    const shown = value.length > 160 ? `${value.slice(0, 160)}…` : value;
    throw new UsageError('invalid_digest', `"${shown}" is not a digest`, {
      hint: 'a digest is sha256:<64 lowercase hex> or sha512:<128 lowercase hex>',
    });
  }
  const colon = value.indexOf(':');
  return { algorithm: value.slice(0, colon) as DigestAlgorithm, hex: value.slice(colon + 1) };
}

export function digestOf(bytes: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

export interface ExpectedContent {
  digest: string;
  size: number;
}

export function sizeMismatchError(expected: ExpectedContent, actual: number, where: string): VerificationError {
  const relation = actual > expected.size ? 'longer' : 'shorter';
  return new VerificationError('size_mismatch', `${where}: content of ${expected.digest} is ${relation} than the expected ${expected.size} bytes`, {
    details: { digest: expected.digest, expectedSize: expected.size, actualSize: actual },
  });
}

export function digestMismatchError(expected: ExpectedContent, actual: string, where: string): VerificationError {
  return new VerificationError('digest_mismatch', `${where}: content hashes to ${actual}, expected ${expected.digest}`, {
    details: { expected: expected.digest, actual },
  });
}

/** Throws `size_mismatch` / `digest_mismatch` when `bytes` are not the expected content. */
export function verifyBytes(expected: ExpectedContent, bytes: Uint8Array, where: string): void {
  if (bytes.byteLength !== expected.size) throw sizeMismatchError(expected, bytes.byteLength, where);
  const actual = digestOf(bytes, parseDigest(expected.digest).algorithm);
  if (actual !== expected.digest) throw digestMismatchError(expected, actual, where);
}

/**
 * A pass-through stream that hashes and counts what flows through it. It
 * errors (instead of ending) with `size_mismatch` as soon as more than
 * `expected.size` bytes arrive, or at the end when the size or digest is off.
 * The last chunk is held back until the digest is checked, so a reader (an
 * upload's request body, a file being written) never receives the complete
 * content of a blob that does not verify: the mismatch is always reported
 * here, never raced by a registry's own DIGEST_INVALID.
 */
export class DigestVerifier extends Transform {
  private readonly hash: Hash;
  private seen = 0;
  private held: Buffer | undefined;

  constructor(
    private readonly expected: ExpectedContent,
    private readonly where: string,
    private readonly onProgress?: (bytes: number) => void,
  ) {
    super();
    this.hash = createHash(parseDigest(expected.digest).algorithm);
  }

  /** Bytes that passed so far. */
  get bytesSeen(): number {
    return this.seen;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.byteLength;
    if (this.seen > this.expected.size) {
      done(sizeMismatchError(this.expected, this.seen, this.where));
      return;
    }
    this.hash.update(chunk);
    this.onProgress?.(this.seen);
    const previous = this.held;
    this.held = chunk;
    done(null, previous);
  }

  override _flush(done: TransformCallback): void {
    if (this.seen !== this.expected.size) {
      done(sizeMismatchError(this.expected, this.seen, this.where));
      return;
    }
    const actual = `${parseDigest(this.expected.digest).algorithm}:${this.hash.digest('hex')}`;
    if (actual !== this.expected.digest) {
      done(digestMismatchError(this.expected, actual, this.where));
      return;
    }
    done(null, this.held);
  }
}

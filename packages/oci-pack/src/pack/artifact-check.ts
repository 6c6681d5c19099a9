/**
 * Streaming size and digest check of one artifact against its manifest
 * entry. Every path that hands out artifact bytes (pack reader, pack writer,
 * extract) goes through it.
 */
import type { Readable } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';
import { PackError } from '../error.js';
import { createSha256 } from './digest.js';
import type { EmbeddedArtifact, PackReader } from './types.js';

/** `source` piped through an {@link ArtifactCheck}; errors of either side end both. */
export function checked(source: Readable, artifact: EmbeddedArtifact): Readable {
  const check = new ArtifactCheck(artifact);
  source.once('error', (err) => check.destroy(err));
  check.once('close', () => source.destroy());
  return source.pipe(check);
}

/**
 * Passes bytes through, failing unless they have the manifest's size and
 * digest. The last chunk is held back until the digest is known, so a
 * consumer (an upload) never receives all the bytes of content that fails.
 */
export class ArtifactCheck extends Transform {
  private readonly hash = createSha256();
  private held: Buffer | undefined;

  constructor(private readonly artifact: EmbeddedArtifact) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    if (this.hash.bytes > this.artifact.size) {
      return cb(new PackError('size_mismatch', `${this.artifact.path} has more than the ${this.artifact.size} bytes the manifest records`, { details: { path: this.artifact.path } }));
    }
    const previous = this.held;
    this.held = chunk;
    cb(null, previous);
  }

  override _flush(cb: TransformCallback): void {
    const a = this.artifact;
    if (this.hash.bytes !== a.size) return cb(new PackError('size_mismatch', `${a.path} has ${this.hash.bytes} bytes, the manifest records ${a.size}`, { details: { path: a.path } }));
    const digest = this.hash.digest();
    if (digest !== a.digest) return cb(new PackError('digest_mismatch', `${a.path} has digest ${digest}, the manifest records ${a.digest}`, { details: { path: a.path, expected: a.digest, actual: digest } }));
    cb(null, this.held);
  }
}

const verifyingOpens = new WeakSet<object>();

/**
 * Records an `openArtifact` implementation whose streams pass through an
 * {@link ArtifactCheck} (or an equal check of the same digest and size that
 * also holds back the last chunk). An upload of such a stream need not hash it
 * again; a reader that replaces `openArtifact` is not trusted by this.
 */
export function registerVerifyingOpen(open: PackReader['openArtifact']): void {
  verifyingOpens.add(open);
}

export function opensVerified(reader: Pick<PackReader, 'openArtifact'>): boolean {
  return verifyingOpens.has(reader.openArtifact);
}

/**
 * Streaming size and digest check of one artifact against its manifest
 * entry. Every path that hands out artifact bytes (pack reader, pack writer,
 * extract) goes through it.
 */
import type { Readable } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';
import { PackError } from '../error.js';
import { createSha256 } from './digest.js';
import type { EmbeddedArtifact } from './types.js';

/** `source` piped through an {@link ArtifactCheck}; errors of either side end both. */
export function checked(source: Readable, artifact: EmbeddedArtifact): Readable {
  const check = new ArtifactCheck(artifact);
  source.once('error', (err) => check.destroy(err));
  check.once('close', () => source.destroy());
  return source.pipe(check);
}

/** Passes bytes through, failing unless they have the manifest's size and digest. */
export class ArtifactCheck extends Transform {
  private readonly hash = createSha256();

  constructor(private readonly artifact: EmbeddedArtifact) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    if (this.hash.bytes > this.artifact.size) {
      return cb(new PackError('size_mismatch', `${this.artifact.path} has more than the ${this.artifact.size} bytes the manifest records`, { details: { path: this.artifact.path } }));
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const a = this.artifact;
    if (this.hash.bytes !== a.size) return cb(new PackError('size_mismatch', `${a.path} has ${this.hash.bytes} bytes, the manifest records ${a.size}`, { details: { path: a.path } }));
    const digest = this.hash.digest();
    if (digest !== a.digest) return cb(new PackError('digest_mismatch', `${a.path} has digest ${digest}, the manifest records ${a.digest}`, { details: { path: a.path, expected: a.digest, actual: digest } }));
    cb();
  }
}

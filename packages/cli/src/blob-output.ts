/**
 * Writes a verified stream to a file atomically: a temp file beside the
 * target, renamed into place only when the stream ended without error.
 */
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EpackError, UsageError } from '@epack/oci-pack/error';

export async function writeBlobAtomically(stream: Readable, file: string): Promise<void> {
  const target = path.resolve(file);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.epack-tmp-${randomBytes(6).toString('hex')}`);
  try {
    await pipeline(stream, createWriteStream(temp, { flags: 'wx', flush: true }));
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    if (err instanceof EpackError) throw err;
    throw new UsageError('output_not_writable', `cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
}

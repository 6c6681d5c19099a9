import { EpackError } from '../../error.js';

/** Reads a whole stream when it is at most `max` bytes; refuses larger ones. */
export async function readBounded(source: AsyncIterable<Uint8Array>, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += chunk.length;
    if (size > max) {
      throw new EpackError('input', 'artifact_too_large_to_summarize', `larger than ${max} bytes; not summarized`);
    }
    parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  }
  return Buffer.concat(parts, size);
}

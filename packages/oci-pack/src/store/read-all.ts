import { UsageError } from '../error.js';

/** Reads a whole stream into memory: only for manifests, which are small and bounded. */
export async function readAll(stream: AsyncIterable<Uint8Array>, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.byteLength;
    if (total > limit) {
      if ('destroy' in stream && typeof stream.destroy === 'function') (stream.destroy as () => void)();
      throw new UsageError('content_too_large', `content is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

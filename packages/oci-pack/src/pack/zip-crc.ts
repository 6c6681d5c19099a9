/**
 * yazl computes CRC-32 through the `buffer-crc32` package, a byte-at-a-time
 * JavaScript loop (~340 MB/s here), which made CRC the slowest step of
 * writing a pack: about 3 s per GiB on build and on pull. Node's
 * `zlib.crc32` (zlib's native code, ~4 GB/s) computes the same function, so
 * the `unsigned` entry point yazl calls (`crc32.unsigned(chunk, previous)`,
 * looked up on every call) is pointed at it. Readers already use
 * `zlib.crc32`; every written pack is read back through them in the tests.
 */
import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';

type Crc32Module = { unsigned: (buf: Buffer | string, previous?: number | Buffer) => number };

let installed = false;

export function useNativeCrc32ForYazl(): void {
  if (installed) return;
  installed = true;
  const fromHere = createRequire(import.meta.url);
  let module: Partial<Crc32Module>;
  try {
    const fromYazl = createRequire(fromHere.resolve('yazl'));
    module = fromYazl('buffer-crc32') as Partial<Crc32Module>;
  } catch {
    return; // a yazl without buffer-crc32 computes CRC its own way
  }
  if (typeof module.unsigned !== 'function') return;
  module.unsigned = (buf, previous) => {
    const data = typeof buf === 'string' ? Buffer.from(buf) : buf;
    const start = Buffer.isBuffer(previous) ? previous.readUInt32BE(0) : (previous ?? 0) >>> 0;
    return zlib.crc32(data, start);
  };
}

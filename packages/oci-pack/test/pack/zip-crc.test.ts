import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { writeZipAtomic } from '../../src/pack/zip-write.js';

const fromYazl = createRequire(createRequire(import.meta.url).resolve('yazl'));
const bufferCrc32 = fromYazl('buffer-crc32') as { unsigned: (buf: Buffer, previous?: number) => number };

describe('CRC-32 of written entries', () => {
  it('yazl computes CRC-32 natively once the writer is loaded, chunk by chunk like the JavaScript one', () => {
    expect(bufferCrc32.unsigned(Buffer.from('123456789'))).toBe(0xcbf43926);
    const data = randomBytes(1 << 20);
    let chained = 0;
    for (let at = 0; at < data.length; at += 65_537) chained = bufferCrc32.unsigned(data.subarray(at, at + 65_537), chained);
    expect(chained).toBe(zlib.crc32(data));
  });

  it('the central directory records the CRC-32 of each stored and deflated entry', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'epack-crc-'));
    const out = path.join(dir, 'x.zip');
    const stored = randomBytes(300_000);
    const deflated = Buffer.from('evidence '.repeat(40_000));
    await writeZipAtomic(out, [
      { kind: 'file', name: 'a.bin', size: stored.length, compress: false, open: async () => Readable.from([stored]) },
      { kind: 'file', name: 'b.txt', size: deflated.length, compress: true, open: async () => Readable.from([deflated]) },
    ]);
    const zip = await readFile(out);
    const crcs: number[] = [];
    for (let at = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); at >= 0; at = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at + 4)) crcs.push(zip.readUInt32LE(at + 16));
    expect(crcs).toEqual([zlib.crc32(stored), zlib.crc32(deflated)]);
  });
});

/** Generates benchmark inputs: incompressible files of given sizes. */
import { randomFillSync } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';

const CHUNK = 4 * 1024 * 1024;

export async function writeRandomFile(file: string, size: number): Promise<void> {
  if (existsSync(file) && statSync(file).size === size) return;
  mkdirSync(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  const buf = Buffer.allocUnsafe(CHUNK);
  for (let left = size; left > 0; ) {
    const n = Math.min(CHUNK, left);
    randomFillSync(buf, 0, n);
    if (!out.write(buf.subarray(0, n))) await once(out, 'drain');
    left -= n;
  }
  out.end();
  await once(out, 'finish');
}

/** A folder of `count` random files of `size` bytes each: f0000.bin, f0001.bin, ... */
export async function randomFolder(dir: string, count: number, size: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `f${String(i).padStart(4, '0')}.bin`;
    await writeRandomFile(path.join(dir, name), size);
    names.push(name);
  }
  return names;
}

/** Generates benchmark inputs: folders of incompressible files. */
import { randomFillSync } from 'node:crypto';
import { cpSync, createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import * as path from 'node:path';

const CHUNK = 4 * 1024 * 1024;

/** Writes `size` random bytes to `file`; an existing file of that size is kept (inputs are reused between runs). */
export async function writeRandomFile(file: string, size: number): Promise<void> {
  if (existsSync(file) && statSync(file).size === size) return;
  mkdirSync(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  for (let left = size; left > 0; ) {
    const n = Math.min(CHUNK, left);
    // a fresh buffer per write: a pending write still owns the previous one
    const chunk = randomFillSync(Buffer.allocUnsafe(n));
    if (!out.write(chunk)) await once(out, 'drain');
    left -= n;
  }
  out.end();
  await once(out, 'finish');
}

/**
 * A folder holding exactly `count` random files of `size` bytes each:
 * f0000.bin, f0001.bin, ... Files left over from a run with other sizes are removed.
 */
export async function randomFolder(dir: string, count: number, size: number): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `f${String(i).padStart(4, '0')}.bin`);
  mkdirSync(dir, { recursive: true });
  const wanted = new Set(names);
  for (const stray of readdirSync(dir)) if (!wanted.has(stray)) rmSync(path.join(dir, stray), { recursive: true, force: true });
  for (const name of names) await writeRandomFile(path.join(dir, name), size);
  return names;
}

/** A copy of `dir` in which f0000.bin has new random content (W3: one artifact changed). */
export async function copyWithOneChange(dir: string, changedDir: string): Promise<void> {
  rmSync(changedDir, { recursive: true, force: true });
  cpSync(dir, changedDir, { recursive: true });
  const first = path.join(changedDir, 'f0000.bin');
  const size = statSync(first).size;
  rmSync(first);
  await writeRandomFile(first, size);
}

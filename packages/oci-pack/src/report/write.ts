/** Writes index.html into a folder, atomically (temp file in the same folder, then rename). */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { EpackError } from '../error.js';
import type { PackReader } from '../pack/types.js';
import { renderReport } from './render.js';
import type { ReportModel, ReportOptions } from './types.js';

export interface WrittenReport {
  /** Absolute path of the index.html written. */
  path: string;
  bytes: number;
  model: ReportModel;
}

export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, data, { flag: 'wx' });
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

export async function writeReport(outDir: string, pack: PackReader, options: ReportOptions = {}): Promise<WrittenReport> {
  const dir = path.resolve(outDir);
  const rendered = await renderReport(pack, options);
  try {
    await mkdir(dir, { recursive: true });
    for (const [name, bytes] of Object.entries(rendered.assets ?? {})) await writeFileAtomic(path.join(dir, name), bytes);
    const file = path.join(dir, 'index.html');
    await writeFileAtomic(file, rendered.html);
    return { path: file, bytes: Buffer.byteLength(rendered.html), model: rendered.model };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new EpackError('input', 'report_write_failed', `cannot write the report to ${dir}: ${(err as Error).message}`, {
      cause: err,
      hint: code === 'EACCES' || code === 'EPERM' ? 'choose a folder you can write to with -o' : undefined,
    });
  }
}

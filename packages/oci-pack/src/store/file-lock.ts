/**
 * A lock file shared by processes on one machine (or one shared
 * filesystem): created with O_EXCL, holding the owner's pid, host and
 * time. A lock whose owner process is gone (same host) or that is older
 * than `staleMs` is taken over, so a crashed writer cannot block a layout
 * for ever.
 */
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { EpackError } from '../error.js';

export interface FileLockOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** A lock older than this is stale (default 60 s; index updates take milliseconds). */
  staleMs?: number;
}

export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const release = await acquire(lockPath, options.timeoutMs ?? 30_000, options.staleMs ?? 60_000);
  try {
    return await fn();
  } finally {
    await release();
  }
}

async function acquire(lockPath: string, timeoutMs: number, staleMs: number): Promise<() => Promise<void>> {
  const token = `${process.pid} ${hostname()} ${Date.now()} ${randomBytes(6).toString('hex')}`;
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      try {
        await handle.writeFile(token);
      } finally {
        await handle.close();
      }
      return async () => {
        // Only remove the lock if it is still ours (it may have been taken over as stale).
        const current = await readFile(lockPath, 'utf8').catch(() => undefined);
        if (current === token) await unlink(lockPath).catch(() => undefined);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (await isStale(lockPath, staleMs)) {
      // Rename first so that only one waiter removes a given stale lock.
      const aside = `${lockPath}.stale-${randomBytes(6).toString('hex')}`;
      if (await rename(lockPath, aside).then(() => true, () => false)) await unlink(aside).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) {
      throw new EpackError('input', 'layout_locked', `${lockPath} is held by another process`, {
        hint: `if no other epack process is running, delete ${lockPath}`,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay));
    delay = Math.min(delay * 2, 50);
  }
}

async function isStale(lockPath: string, staleMs: number): Promise<boolean> {
  const [info, content] = await Promise.all([stat(lockPath).catch(() => undefined), readFile(lockPath, 'utf8').catch(() => undefined)]);
  if (!info) return false; // gone already: retry at once
  if (Date.now() - info.mtimeMs > staleMs) return true;
  if (content === undefined || content === '') return false; // being written right now
  const [pid, host] = content.split(' ');
  if (host !== hostname() || !pid) return false;
  return !processAlive(Number(pid));
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

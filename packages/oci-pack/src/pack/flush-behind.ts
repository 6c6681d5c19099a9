/**
 * Starts writing a file's data to disk while it is still being written.
 * Packs are fsynced before they are renamed into place; without this the
 * kernel holds the whole file dirty in memory and the final fsync writes all
 * of it while the caller waits (0.7 s per GiB here, longer on slow disks).
 * Every `everyBytes` of growth one `fdatasync` runs on libuv's thread pool,
 * never more than one at a time, so the final fsync only has the tail left.
 * A failure here is not an error: the final fsync reports what matters.
 */
import { fdatasync } from 'node:fs';

export interface GrowingFile {
  /** The open descriptor, once there is one. */
  readonly fd: number | null | undefined;
  /** Bytes written so far. */
  readonly bytesWritten: number;
}

export class FlushBehind {
  private flushedAt = 0;
  private inFlight = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly file: GrowingFile,
    private readonly everyBytes = 64 * 1024 * 1024,
    checkEveryMs = 100,
  ) {
    this.timer = setInterval(() => this.check(), checkEveryMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    const fd = this.file.fd;
    const written = this.file.bytesWritten;
    if (this.inFlight || typeof fd !== 'number' || written - this.flushedAt < this.everyBytes) return;
    this.inFlight = true;
    this.flushedAt = written;
    fdatasync(fd, () => {
      this.inFlight = false;
    });
  }
}

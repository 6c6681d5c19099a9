/**
 * Progress bars for push and pull: bytes and blobs, on stderr, only when
 * stderr is a terminal and neither --json nor --quiet is set. Otherwise a
 * no-op, so scripts and CI logs stay clean.
 */
import type { Output } from './output.js';

export interface TransferSnapshot {
  blobsTotal: number;
  blobsDone: number;
  bytesTotal: number;
  bytesDone: number;
}

export interface TransferProgress {
  update(snapshot: TransferSnapshot): void;
  stop(): void;
}

const NOOP: TransferProgress = { update() {}, stop() {} };

export async function transferProgress(out: Output, verb: string): Promise<TransferProgress> {
  if (!out.isTTY || out.json || out.quiet) return NOOP;
  const mod = await import('cli-progress');
  const progress = (mod as unknown as { default?: typeof mod }).default ?? mod;
  const bars = new progress.MultiBar(
    {
      stream: out.stderrStream,
      hideCursor: true,
      clearOnComplete: true,
      fps: 10,
      format: `${verb.padEnd(7)} {bar} {percentage}% | {done}/{all} {unit}`,
      barsize: 30,
    },
    progress.Presets.shades_classic,
  );
  // Created on the first snapshot, so the first frame already shows the totals (not 0 B/0 B).
  let created: { bytes: ReturnType<typeof bars.create>; blobs: ReturnType<typeof bars.create> } | undefined;
  return {
    update(s) {
      created ??= {
        bytes: bars.create(Math.max(1, s.bytesTotal), 0, { done: formatBytes(0), all: formatBytes(s.bytesTotal), unit: '' }),
        blobs: bars.create(Math.max(1, s.blobsTotal), 0, { done: 0, all: s.blobsTotal, unit: 'blobs' }),
      };
      const { bytes, blobs } = created;
      bytes.setTotal(Math.max(1, s.bytesTotal));
      bytes.update(Math.min(s.bytesDone, s.bytesTotal), { done: formatBytes(s.bytesDone), all: formatBytes(s.bytesTotal), unit: '' });
      blobs.setTotal(Math.max(1, s.blobsTotal));
      blobs.update(Math.min(s.blobsDone, s.blobsTotal), { done: s.blobsDone, all: s.blobsTotal, unit: 'blobs' });
    },
    stop() {
      // A transfer shorter than one frame interval would otherwise never be drawn.
      if (created) bars.update();
      bars.stop();
    },
  };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}

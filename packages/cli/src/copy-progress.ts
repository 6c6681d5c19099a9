/**
 * Turns graph-copy events into the shared transfer progress bars (a TTY
 * only; nothing with --json, --quiet or when stderr is not a terminal).
 */
import type { CopyEvent } from '@epack/oci-pack/store';
import type { Output } from './output.js';
import { transferProgress, type TransferSnapshot } from './transfer-progress.js';

export { formatBytes } from './transfer-progress.js';

export interface CopyProgress {
  onEvent(event: CopyEvent): void;
  stop(): void;
}

export async function copyProgress(out: Output, verb: string): Promise<CopyProgress> {
  const bars = await transferProgress(out, verb);
  const snapshot: TransferSnapshot = { blobsTotal: 0, blobsDone: 0, bytesTotal: 0, bytesDone: 0 };
  const perNode = new Map<string, number>();
  const advance = (digest: string, bytes: number): void => {
    const before = perNode.get(digest) ?? 0;
    if (bytes > before) {
      snapshot.bytesDone += bytes - before;
      perNode.set(digest, bytes);
    }
  };
  return {
    onEvent(event) {
      const { descriptor } = event;
      switch (event.type) {
        case 'found':
          snapshot.blobsTotal++;
          snapshot.bytesTotal += descriptor.size;
          break;
        case 'skipped':
          // The node and its subtree are not transferred.
          snapshot.blobsTotal--;
          snapshot.bytesTotal -= descriptor.size;
          break;
        case 'bytes':
          advance(descriptor.digest, event.bytes ?? 0);
          break;
        case 'copied':
          advance(descriptor.digest, descriptor.size);
          snapshot.blobsDone++;
          break;
        case 'referrer':
          break;
      }
      bars.update(snapshot);
    },
    stop() {
      bars.stop();
    },
  };
}

/**
 * A blob's content stream that fails (a pack file on a dying disk, a ZIP
 * entry that cannot be inflated) rejects the push with a typed error, whether
 * it fails before the upload starts (while the client waits for HEAD/POST) or
 * mid-body, monolithic or chunked; the process never sees an unhandled
 * 'error' event, and the registry commits no blob and no tag.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EpackError } from '../../src/error.js';
import type { RegistryClient } from '../../src/registry/client.js';
import { registryMatrix, startRegistry, stopAllRegistries, type RunningRegistry } from '../../../../test/harness/registries.js';
import { blob, clientFor, collect } from './helpers.js';

afterAll(async () => {
  await stopAllRegistries();
});

/** Yields `good` bytes in small pieces, then fails; or fails right away on the next tick. */
function failingStream(good: Buffer, when: 'immediately' | 'midway'): Readable {
  if (when === 'immediately') {
    const stream = new Readable({ read() {} });
    setImmediate(() => stream.destroy(new Error('EIO: disk went away')));
    return stream;
  }
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= good.byteLength / 2) {
        setTimeout(() => this.destroy(new Error('EIO: disk went away')), 5);
        return;
      }
      const next = good.subarray(offset, offset + 4096);
      offset += next.byteLength;
      setTimeout(() => this.push(next), 1);
    },
  });
}

const unhandled: unknown[] = [];
const onUncaught = (err: unknown): void => {
  unhandled.push(err);
};
beforeAll(() => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
});
afterAll(() => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
});

for (const { kind, auth } of [...registryMatrix({ kinds: ['distribution2', 'olareg'], auths: ['anonymous'] }), ...registryMatrix({ kinds: ['distribution2'], auths: ['basic'] })]) {
  describe(`${kind}/${auth}`, () => {
    let reg: RunningRegistry | undefined;
    let client: RegistryClient;
    let chunked: RegistryClient;
    beforeAll(async () => {
      reg = await startRegistry(kind, { auth });
      if (!reg) return;
      client = clientFor(reg);
      chunked = clientFor(reg, { monolithicMaxBytes: 16 * 1024, chunkSize: 16 * 1024 });
    });
    afterAll(async () => {
      await client?.close();
      await chunked?.close();
      await reg?.stop();
    });

    for (const mode of ['monolithic', 'chunked'] as const) {
      for (const when of ['immediately', 'midway'] as const) {
        it(`${mode}: a source failing ${when} rejects with read_failed; nothing is committed`, async (ctx) => {
          if (!reg) return ctx.skip();
          const repoName = `acme/source-errors-${mode}-${when}`;
          const repo = (mode === 'chunked' ? chunked : client).repository(repoName);
          const content = blob(mode === 'chunked' ? 80 * 1024 : 48 * 1024);
          const err = await repo.push(content.desc, failingStream(content.bytes, when)).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(EpackError);
          expect(err).toMatchObject({ code: 'read_failed', kind: 'input' });
          expect((err as Error).message).toContain('disk went away');
          await new Promise((r) => setTimeout(r, 50));
          expect(unhandled).toEqual([]);
          expect(await repo.exists(content.desc)).toBe(false);
          const tags = await collect(repo.tags()).catch((e: unknown) => (e instanceof EpackError && e.kind === 'not_found' ? [] : Promise.reject(e)));
          expect(tags).toEqual([]);
          // The client still works: the same blob uploads from a good stream.
          await repo.push(content.desc, Readable.from([content.bytes]));
          expect(await repo.exists(content.desc)).toBe(true);
        }, 20_000);
      }
    }
  });
}

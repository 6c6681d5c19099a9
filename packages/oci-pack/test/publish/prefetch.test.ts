import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Prefetcher } from '../../src/publish/prefetch.js';

interface Item {
  key: string;
  size: number;
}

const items = (sizes: number[]): Item[] => sizes.map((size, i) => ({ key: `a${i}`, size }));

async function text(stream: Readable): Promise<string> {
  let s = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) s += chunk.toString();
  return s;
}

/** A fetcher that records calls and how many are in flight. */
function recorder(fail?: string) {
  const calls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fetch = async (item: Item): Promise<Readable> => {
    calls.push(item.key);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 2));
    inFlight--;
    if (item.key === fail) throw new Error(`boom ${item.key}`);
    return Readable.from([Buffer.from(`content of ${item.key}`)]);
  };
  return { calls, fetch, max: () => maxInFlight };
}

describe('Prefetcher', () => {
  it('hands out every item in order, fetching each once, with a bounded window', async () => {
    const list = items(Array(20).fill(10));
    const rec = recorder();
    const p = new Prefetcher(list, rec.fetch, { window: 3 });
    for (const item of list) expect(await text(await p.open(item))).toBe(`content of ${item.key}`);
    p.close();
    expect([...rec.calls].sort()).toEqual(list.map((i) => i.key).sort());
    expect(rec.calls).toHaveLength(20);
    expect(rec.max()).toBeLessThanOrEqual(4);
  });

  it('streams large items on demand instead of holding them', async () => {
    const list = items([10, 5000, 10]);
    const rec = recorder();
    const p = new Prefetcher(list, rec.fetch, { maxBlobBytes: 100 });
    await text(await p.open(list[0]!));
    // a1 is too large to prefetch; a2 was fetched ahead
    expect([...rec.calls].sort()).toEqual(['a0', 'a2']);
    await text(await p.open(list[1]!));
    await text(await p.open(list[2]!));
    expect(rec.calls).toHaveLength(3);
    expect(rec.calls[2]).toBe('a1');
    p.close();
  });

  it('reports a failed prefetch when that item is asked for, not before', async () => {
    const list = items([10, 10, 10]);
    const rec = recorder('a2');
    const p = new Prefetcher(list, rec.fetch);
    await expect(text(await p.open(list[0]!))).resolves.toBe('content of a0');
    await expect(text(await p.open(list[1]!))).resolves.toBe('content of a1');
    await expect(p.open(list[2]!)).rejects.toThrow('boom a2');
    await p.close();
  });

  it('aborts fetches in flight when closed', async () => {
    const seen: AbortSignal[] = [];
    const p = new Prefetcher(items([10, 10]), async (_item, signal) => {
      seen.push(signal);
      return Readable.from([Buffer.from('x')]);
    });
    await p.open({ key: 'a0', size: 10 });
    await p.close();
    expect(seen.length).toBe(2);
    expect(seen.every((s) => s.aborted)).toBe(true);
  });

  describe('with a staging folder', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'prefetch-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('downloads large items ahead into files, at most stagedBlobs at once, and removes each once read', async () => {
      const list = items([5000, 5000, 5000, 5000, 5000, 10]);
      const rec = recorder();
      const p = new Prefetcher(list, rec.fetch, { maxBlobBytes: 100, stagingDir: dir, stagedBlobs: 2 });
      expect(await text(await p.open(list[0]!))).toBe('content of a0');
      // a0 streamed directly; a1 and a2 staged; a5 (small) fetched into memory
      await new Promise((r) => setTimeout(r, 20));
      expect([...rec.calls].sort()).toEqual(['a0', 'a1', 'a2', 'a5']);
      expect(readdirSync(dir)).toHaveLength(2);
      for (const item of list.slice(1)) expect(await text(await p.open(item))).toBe(`content of ${item.key}`);
      expect(rec.calls).toHaveLength(6);
      await new Promise((r) => setTimeout(r, 20));
      expect(readdirSync(dir)).toEqual([]);
      await p.close();
    });

    it('reports a failed staged download when that item is asked for, and leaves no file after close', async () => {
      const list = items([5000, 5000, 5000]);
      const rec = recorder('a1');
      const p = new Prefetcher(list, rec.fetch, { maxBlobBytes: 100, stagingDir: dir, stagedBlobs: 2 });
      expect(await text(await p.open(list[0]!))).toBe('content of a0');
      await expect(p.open(list[1]!)).rejects.toThrow('boom a1');
      await p.close();
      expect(readdirSync(dir)).toEqual([]);
    });
  });
});

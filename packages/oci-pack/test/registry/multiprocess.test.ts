/**
 * Fallback referrers written by several processes at once (no shared lock,
 * no conditional PUT on distribution 2.8): every entry must be listed.
 * Needs the built library (`pnpm build`).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registry/client.js';
import { IN_CI } from '../../../../test/harness/tools.js';
import { startRegistry, stopAllRegistries, type RunningRegistry } from '../../../../test/harness/registries.js';
import { collect, EMPTY_JSON, emptyConfig, manifest } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const distIndex = path.resolve(here, '../../dist/registry/index.js');
const haveDist = existsSync(distIndex);
if (!haveDist) {
  if (IN_CI) throw new Error(`${distIndex} is missing: run pnpm build first`);
  process.stderr.write(`SKIP multiprocess referrers: ${distIndex} is missing (run pnpm build)\n`);
}

afterAll(async () => {
  await stopAllRegistries();
});

function runWriter(args: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, 'fixtures/push-referrers.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(`writer exited ${code}: ${err}`))));
  });
}

describe.skipIf(!haveDist)('fallback referrers from 4 processes (distribution2)', () => {
  let reg: RunningRegistry | undefined;
  beforeAll(async () => {
    reg = await startRegistry('distribution2');
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('lists every referrer', async (ctx) => {
    if (!reg) return ctx.skip();
    const client = new RegistryClient(reg.host, { credentials: {} });
    try {
      const repo = client.repository('acme/multi');
      await repo.push(emptyConfig, EMPTY_JSON);
      const subject = manifest([], { artifactType: 'application/vnd.example.subject' });
      await repo.pushReference(subject.desc, subject.bytes, 'v1');
      const results = await Promise.all(
        ['a', 'b', 'c', 'd'].map((label) => runWriter([distIndex, reg!.host, 'acme/multi', JSON.stringify(subject.desc), '4', label])),
      );
      const pushed = results.flat();
      expect(pushed).toHaveLength(16);
      const listed = await collect(repo.referrers(subject.desc));
      expect(listed.map((d) => d.digest).sort()).toEqual([...pushed].sort());
    } finally {
      await client.close();
    }
  });
});

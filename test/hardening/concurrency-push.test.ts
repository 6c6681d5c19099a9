/**
 * 8 `epack push` processes at once, of packs that share most of their blobs,
 * into one repository: all succeed, the registry holds every blob intact
 * (checked digest by digest) and each pack pulls back byte-identical.
 */
import { mkdtemp, readFile, writeFile, copyFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPack } from '../../packages/oci-pack/src/pack/build.js';
import { createSandbox, runEpack, type Sandbox } from '../harness/cli.js';
import { registryAvailable, startRegistry, stopAllRegistries, type RegistryKind, type RunningRegistry } from '../harness/registries.js';
import { buildManyArtifactPack, checkArtifactDirect, type ManyArtifactPack } from './helpers.js';

const PUSHERS = 8;

let sandbox: Sandbox;
let shared: ManyArtifactPack;

beforeAll(async () => {
  sandbox = createSandbox();
  shared = await buildManyArtifactPack(6, { minBytes: 3000, maxBytes: 8000, seed: 'shared' });
});
afterAll(async () => {
  await stopAllRegistries();
  sandbox?.dispose();
});

const KINDS: RegistryKind[] = ['olareg', 'distribution2'];

for (const kind of KINDS) {
  describe.skipIf(!registryAvailable(kind, 'anonymous'))(kind, () => {
    let reg: RunningRegistry | undefined;
    beforeAll(async () => {
      reg = await startRegistry(kind);
    });
    afterAll(async () => {
      await reg?.stop();
    });

    it(`${PUSHERS} processes push packs sharing blobs into one repository; all pull back intact`, async (ctx) => {
      if (!reg) return ctx.skip();
      const dir = await mkdtemp(path.join(tmpdir(), 'epack-pushers-'));
      const packs: string[] = [];
      for (let i = 0; i < PUSHERS; i++) {
        const evidence = path.join(dir, `evidence-${i}`);
        await mkdir(evidence, { recursive: true });
        for (const name of shared.files.keys()) await copyFile(path.join(shared.dir, 'evidence', name), path.join(evidence, name));
        await writeFile(path.join(evidence, `own-${i}.json`), JSON.stringify({ pusher: i }));
        const pack = path.join(dir, `p${i}.epack`);
        await buildPack({ out: pack, inputs: [evidence], stream: 'acme/concurrent', sources: [], generatedAt: '2026-11-01T12:00:00Z', cwd: dir });
        packs.push(pack);
      }
      const repo = 'hard/shared';
      const runs = await Promise.all(packs.map((pack, i) => runEpack(['push', `${reg!.host}/${repo}:p${i}`, pack, '--json'], { sandbox, timeoutMs: 90_000 })));
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      await Promise.all(
        packs.map(async (pack, i) => {
          const checked = await checkArtifactDirect(reg!.url, repo, `p${i}`);
          expect(checked.manifest.layers).toHaveLength(shared.files.size + 1);
          const out = path.join(dir, `pulled-${i}.epack`);
          const pull = await runEpack(['pull', `${reg!.host}/${repo}:p${i}`, '-o', out], { sandbox, timeoutMs: 90_000 });
          expect(pull.code, pull.stderr).toBe(0);
          expect((await readFile(out)).equals(await readFile(pack))).toBe(true);
        }),
      );
    }, 240_000); // many node processes on 2 shared cores: generous for a loaded machine
  });
}

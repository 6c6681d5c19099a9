/**
 * 16 `epack attach` processes at once to one subject (olareg with the
 * referrers API; docker-registry 2.8 and olareg-noref with the
 * sha256-<hex> tag fallback): `epack discover --json` lists all of them
 * afterwards. (8 concurrent pushes: concurrency-push.test.ts.)
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, runEpack, type Sandbox } from '../harness/cli.js';
import { registryAvailable, startRegistry, stopAllRegistries, type RegistryKind, type RunningRegistry } from '../harness/registries.js';
import { buildManyArtifactPack, type ManyArtifactPack } from './helpers.js';

const ATTACHERS = 16;
const NOTE_TYPE = 'application/vnd.acme.hardening.note.v1';

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

interface DiscoverNode {
  digest: string;
  artifactType?: string;
  referrers: DiscoverNode[];
}

const KINDS: { kind: RegistryKind; mode: string }[] = [
  { kind: 'olareg', mode: 'referrers API' },
  { kind: 'distribution2', mode: 'tag fallback' },
  { kind: 'olareg-noref', mode: 'tag fallback' },
];

for (const { kind, mode } of KINDS) {
  describe.skipIf(!registryAvailable(kind, 'anonymous'))(`${kind} (${mode})`, () => {
    let reg: RunningRegistry | undefined;
    beforeAll(async () => {
      reg = await startRegistry(kind);
    });
    afterAll(async () => {
      await reg?.stop();
    });

    it(`${ATTACHERS} processes attach to one subject; discover lists all of them`, async (ctx) => {
      if (!reg) return ctx.skip();
      const subject = `${reg.host}/hard/subject:v1`;
      const pushed = await runEpack(['push', subject, shared.pack], { sandbox });
      expect(pushed.code, pushed.stderr).toBe(0);
      const dir = await mkdtemp(path.join(tmpdir(), 'epack-attach-'));
      const files = await Promise.all(
        Array.from({ length: ATTACHERS }, async (_, i) => {
          const file = path.join(dir, `note-${i}.json`);
          await writeFile(file, JSON.stringify({ note: i, kind }));
          return file;
        }),
      );
      const runs = await Promise.all(
        files.map((file) => runEpack(['attach', subject, `${file}:application/json`, '--artifact-type', NOTE_TYPE, '--json'], { sandbox, timeoutMs: 90_000 })),
      );
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      const attached = runs.map((r) => (JSON.parse(r.stdout) as { digest: string }).digest);
      expect(new Set(attached).size).toBe(ATTACHERS);

      const discover = await runEpack(['discover', subject, '--json'], { sandbox });
      expect(discover.code, discover.stderr).toBe(0);
      const tree = JSON.parse(discover.stdout) as DiscoverNode;
      const listed = tree.referrers.filter((r) => r.artifactType === NOTE_TYPE).map((r) => r.digest);
      expect([...listed].sort()).toEqual([...attached].sort());

      if (!reg.referrersApi) {
        // The tag fallback really was used: the sha256-<hex> index lists every attached manifest.
        const tag = tree.digest.replace(':', '-');
        const res = await fetch(`${reg.url}/v2/hard/subject/manifests/${tag}`, { headers: { Accept: 'application/vnd.oci.image.index.v1+json' } });
        expect(res.status).toBe(200);
        const index = (await res.json()) as { manifests: { digest: string }[] };
        expect(index.manifests.map((m) => m.digest).sort()).toEqual(expect.arrayContaining([...attached].sort()));
      }
    }, 240_000); // 16 node processes on 2 shared cores: generous for a loaded CI machine
  });
}

/**
 * Interop with peer clients: what epack pushes, crane and oras read; what
 * oras pushes (with the pack media types) epack pulls byte-identical, and
 * anything else oras pushes is refused as not a pack.
 */
import { readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushPackFile } from '../../packages/oci-pack/src/publish/transfer.js';
import { createSandbox, peerAvailable, runEpack, runTool, type Sandbox } from '../harness/cli.js';
import { startRegistry, stopAllRegistries, type RunningRegistry } from '../harness/registries.js';
import { DEMO_EVIDENCE, buildDemoPacks, type DemoPacks } from './fixtures.js';

let packs: DemoPacks;
let reg: RunningRegistry | undefined;
let sandbox: Sandbox;

beforeAll(async () => {
  packs = await buildDemoPacks();
  reg = await startRegistry('distribution2', { auth: 'basic' });
  sandbox = createSandbox();
  if (reg) {
    await pushPackFile({
      target: `${reg.host}/acme/evidence:2026-11`,
      packPath: packs.v1,
      annotations: { 'com.acme.team': 'platform' },
      env: {},
      targetOptions: { configPath: path.join(reg.dockerConfigDir, 'config.json') },
    });
  }
});
afterAll(async () => {
  await stopAllRegistries();
  sandbox?.dispose();
});

const epack = (args: string[], cwd = packs.dir) => runEpack(args, { sandbox, cwd, ...(reg ? { dockerConfigDir: reg.dockerConfigDir } : {}) });
const oneLine = (stderr: string) => {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
};

describe('interop with oras and crane', () => {
  it.runIf(peerAvailable('crane', 'publish interop') && peerAvailable('oras', 'publish interop'))('is readable by crane and oras', async (ctx) => {
    if (!reg) return ctx.skip();
    const ref = `${reg.host}/acme/evidence:2026-11`;
    const creds = ['--username', reg.username!, '--password', reg.password!];
    const manifest = await runTool('crane', ['manifest', '--insecure', ref], { sandbox, dockerConfigDir: reg.dockerConfigDir });
    expect(manifest.code, manifest.stderr).toBe(0);
    const parsed = JSON.parse(manifest.stdout);
    expect(parsed.artifactType).toBe('application/vnd.evidencepack.pack.v1');
    expect(parsed.config.mediaType).toBe('application/vnd.evidencepack.manifest.v1+json');
    expect(parsed.annotations['com.acme.team']).toBe('platform');

    const dir = path.join(packs.dir, 'oras-out');
    await mkdir(dir, { recursive: true });
    const pull = await runTool('oras', ['pull', '--plain-http', ...creds, ref, '-o', dir], { sandbox });
    expect(pull.code, pull.stderr).toBe(0);
    for (const f of ['sbom.cdx.json', 'scan.sarif', 'junit.xml', 'posture.json']) {
      expect((await readFile(path.join(dir, 'artifacts/demo-evidence', f))).equals(await readFile(path.join(DEMO_EVIDENCE, f)))).toBe(true);
    }
  });

  it.runIf(peerAvailable('oras', 'publish interop'))('pulls a pack that oras pushed with the pack media types, byte-identical', async (ctx) => {
    if (!reg) return ctx.skip();
    const dir = path.join(packs.dir, 'oras-push');
    const extract = await epack(['extract', packs.v1, '--all', '-o', dir]);
    expect(extract.code, extract.stderr).toBe(0);
    const { openPack } = await import('../../packages/oci-pack/src/pack/read.js');
    const pack = await openPack(packs.v1);
    await writeFile(path.join(dir, 'manifest.json'), pack.manifestBytes);
    const files = pack.artifacts.map((a) => `${a.path}:${a.content_type ?? 'application/octet-stream'}`);
    await pack.close();
    const creds = ['--username', reg.username!, '--password', reg.password!];
    const ref = `${reg.host}/acme/from-oras:v1`;
    const push = await runTool(
      'oras',
      ['push', '--plain-http', ...creds, ref, '--artifact-type', 'application/vnd.evidencepack.pack.v1', '--config', 'manifest.json:application/vnd.evidencepack.manifest.v1+json', ...files],
      { sandbox, cwd: dir },
    );
    expect(push.code, push.stderr).toBe(0);
    const out = path.join(packs.dir, 'from-oras.epack');
    const pull = await epack(['pull', ref, '-o', out]);
    expect(pull.code, pull.stderr).toBe(0);
    expect((await readFile(out)).equals(await readFile(packs.v1))).toBe(true);
  });

  it('refuses to pull a non-pack artifact: exit 2, not_a_pack, no file', async (ctx) => {
    if (!reg || !peerAvailable('oras', 'publish non-pack')) return ctx.skip();
    await writeFile(path.join(sandbox.home, 'hello.txt'), 'hello\n');
    const creds = ['--username', reg.username!, '--password', reg.password!];
    const push = await runTool('oras', ['push', '--plain-http', ...creds, `${reg.host}/acme/other:v1`, 'hello.txt:text/plain'], { sandbox, cwd: sandbox.home });
    expect(push.code, push.stderr).toBe(0);
    const dir = path.join(packs.dir, 'nonpack');
    await mkdir(dir);
    const pull = await epack(['pull', `${reg.host}/acme/other:v1`, '-o', path.join(dir, 'x.epack')]);
    expect(pull.code).toBe(2);
    expect(oneLine(pull.stderr)).toMatch(/not_a_pack: .*acme\/other@sha256:[0-9a-f]{64} is not an Evidence Pack/);
    expect(readdirSync(dir)).toEqual([]);
  });

});

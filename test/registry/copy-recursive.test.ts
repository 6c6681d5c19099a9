/**
 * `epack copy -r` between two registries (olareg with the referrers API ->
 * docker-registry 2.8 with basic auth and the tag schema) and from there into
 * an `oci:` layout: every referrer, at every level, arrives; oras reads the
 * layout. A copy that fails half-way leaves no tag behind.
 */
import { readFileSync, writeFileSync, readdirSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, peerAvailable, runEpack, runTool, type RunResult, type Sandbox } from '../harness/cli.js';
import { startRegistry, stopAllRegistries, type RunningRegistry } from '../harness/registries.js';

interface TreeNode {
  digest: string;
  artifactType?: string;
  referrers: TreeNode[];
}

const haveOras = peerAvailable('oras', 'copy -r');

function shape(node: TreeNode): unknown {
  return { digest: node.digest, artifactType: node.artifactType, referrers: node.referrers.map(shape) };
}

describe('copy -r across registries and into oci:', () => {
  let olareg: RunningRegistry | undefined;
  let dist: RunningRegistry | undefined;
  let sandbox: Sandbox;
  let configDir = '';
  let src = '';
  let expected: unknown;

  const epack = (args: string[]): Promise<RunResult> => runEpack(args, { sandbox, dockerConfigDir: configDir, cwd: sandbox.home });
  const ok = (r: RunResult): RunResult => {
    expect(r.code, r.stderr).toBe(0);
    return r;
  };

  beforeAll(async () => {
    [olareg, dist] = await Promise.all([startRegistry('olareg'), startRegistry('distribution2', { auth: 'basic' })]);
    sandbox = createSandbox();
    if (!olareg || !dist || !haveOras) return;
    // One Docker config with both registries' credentials.
    configDir = path.join(sandbox.home, 'both');
    mkdirSync(configDir);
    const auths = Object.assign(
      {},
      ...[olareg, dist].map((r) => (JSON.parse(readFileSync(path.join(r.dockerConfigDir, 'config.json'), 'utf8')) as { auths: object }).auths),
    ) as object;
    writeFileSync(path.join(configDir, 'config.json'), JSON.stringify({ auths }));
    src = `${olareg.host}/team/pack`;
    for (const [name, text] of [['pack.json', '{"p":1}'], ['sig.json', '{"s":1}'], ['sbom.json', '{"b":1}'], ['countersig.json', '{"c":1}']] as const) {
      writeFileSync(path.join(sandbox.home, name), text);
    }
    ok(await runTool('oras', ['push', '--plain-http', `${src}:v1`, 'pack.json:application/json'], { sandbox, cwd: sandbox.home }));
    const sig = ok(await epack(['attach', `${src}:v1`, 'sig.json', '--artifact-type', 'application/vnd.test.sig'])).stdout.trim();
    ok(await epack(['attach', `${src}:v1`, 'sbom.json', '--artifact-type', 'application/vnd.test.sbom']));
    ok(await epack(['attach', `${src}@${sig}`, 'countersig.json', '--artifact-type', 'application/vnd.test.countersig']));
    const tree = JSON.parse(ok(await epack(['discover', `${src}:v1`, '--json'])).stdout) as TreeNode;
    expect(tree.referrers).toHaveLength(2);
    expect(tree.referrers.find((r) => r.digest === sig)?.referrers).toHaveLength(1);
    expected = shape(tree);
  });
  afterAll(async () => {
    await stopAllRegistries();
    sandbox?.dispose();
  });

  it('copies every referrer, recursively, to another registry (tag schema there)', async (ctx) => {
    if (!olareg || !dist || !haveOras) return ctx.skip();
    const dst = `${dist.host}/backup/pack`;
    const result = JSON.parse(ok(await epack(['copy', '-r', '--concurrency', '3', `${src}:v1`, `${dst}:v1`, '--json'])).stdout) as { referrers: unknown[]; tags: string[] };
    expect(result.referrers).toHaveLength(3);
    expect(result.tags).toEqual(['v1']);
    const tree = JSON.parse(ok(await epack(['discover', `${dst}:v1`, '--json'])).stdout) as TreeNode;
    expect(shape(tree)).toEqual(expected);
  });

  it('copies them on into an oci: layout that oras can read', async (ctx) => {
    if (!olareg || !dist || !haveOras) return ctx.skip();
    const layout = path.join(sandbox.home, 'layout');
    ok(await epack(['copy', '-r', `${dist.host}/backup/pack:v1`, `oci:${layout}`]));
    const tree = JSON.parse(ok(await epack(['discover', `oci:${layout}:v1`, '--json'])).stdout) as TreeNode;
    expect(shape(tree)).toEqual(expected);
    const oras = ok(await runTool('oras', ['discover', '--oci-layout', `${layout}:v1`, '--format', 'json'], { sandbox }));
    const orasTree = JSON.parse(oras.stdout) as TreeNode;
    expect(orasTree.referrers.map((r) => r.digest).sort()).toEqual(tree.referrers.map((r) => r.digest).sort());
  });

  it('a copy that fails half-way leaves no tag at the destination', async (ctx) => {
    if (!olareg || !dist || !haveOras) return ctx.skip();
    const layout = path.join(sandbox.home, 'broken');
    ok(await epack(['copy', `${src}:v1`, `oci:${layout}:v1`]));
    // Corrupt the pack's layer on disk: the copy must notice while streaming it.
    const manifest = JSON.parse(ok(await epack(['manifest', 'fetch', `oci:${layout}:v1`])).stdout) as { layers: { digest: string }[] };
    const layerFile = path.join(layout, 'blobs/sha256', manifest.layers[0]!.digest.slice('sha256:'.length));
    writeFileSync(layerFile, '{"p":2}');
    const dst = `${dist.host}/broken/pack`;
    const failed = await epack(['copy', `oci:${layout}:v1`, `${dst}:v1`]);
    expect(failed.code).toBe(1);
    expect(failed.stderr.trim().split('\n')).toHaveLength(1);
    expect(failed.stderr).toMatch(/^epack: digest_mismatch: /);
    const resolve = await epack(['resolve', `${dst}:v1`]);
    expect(resolve.code).toBe(3);
    expect(readdirSync(path.join(layout, 'blobs/sha256')).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});

/**
 * The registry commands on a local OCI layout (`oci:<dir>`), no server:
 * attach, discover (text tree and JSON), tag, resolve, manifest and blob
 * fetch, copy between layouts; oras reads the result.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, peerAvailable, runEpack, runTool, type RunResult, type Sandbox } from '../harness/cli.js';

const haveOras = peerAvailable('oras', 'layout CLI');

describe.skipIf(!haveOras)('registry commands on oci: layouts', () => {
  let sandbox: Sandbox;
  let root = '';
  const epack = (args: string[]): Promise<RunResult> => runEpack(args, { sandbox, cwd: sandbox.home });
  const ok = (r: RunResult): RunResult => {
    expect(r.code, r.stderr).toBe(0);
    return r;
  };

  beforeAll(async () => {
    sandbox = createSandbox();
    writeFileSync(path.join(sandbox.home, 'pack.json'), '{"pack":1}');
    writeFileSync(path.join(sandbox.home, 'sig.json'), '{"sig":1}');
    ok(await runTool('oras', ['push', '--oci-layout', 'store:v1', 'pack.json:application/json'], { sandbox, cwd: sandbox.home }));
    root = ok(await epack(['resolve', 'oci:store:v1'])).stdout.trim();
  });
  afterAll(() => sandbox?.dispose());

  it('attach, discover (tree and JSON), and oras sees the referrer', async () => {
    const sig = ok(await epack(['attach', 'oci:store:v1', 'sig.json:application/vnd.dev.sigstore.bundle.v0.3+json', '--artifact-type', 'application/vnd.test.sig'])).stdout.trim();
    const counter = ok(await epack(['attach', `oci:store@${sig}`, 'sig.json', '--artifact-type', 'application/vnd.test.counter'])).stdout.trim();
    const tree = ok(await epack(['discover', 'oci:store:v1'])).stdout;
    expect(tree).toBe(
      [`oci:store@${root}`, '└── application/vnd.test.sig', `    └── ${sig}`, '        └── application/vnd.test.counter', `            └── ${counter}`, ''].join('\n'),
    );
    const shallow = JSON.parse(ok(await epack(['discover', 'oci:store:v1', '--depth', '1', '--json'])).stdout) as { referrers: { referrers: unknown[] }[] };
    expect(shallow.referrers).toHaveLength(1);
    expect(shallow.referrers[0]!.referrers).toEqual([]);
    const oras = JSON.parse(ok(await runTool('oras', ['discover', '--oci-layout', 'store:v1', '--format', 'json'], { sandbox, cwd: sandbox.home })).stdout) as {
      referrers: { digest: string; referrers: { digest: string }[] }[];
    };
    expect(oras.referrers.map((r) => [r.digest, r.referrers.map((x) => x.digest)])).toEqual([[sig, [counter]]]);
  });

  it('tag, manifest fetch, blob fetch to stdout, copy -r to another layout', async () => {
    ok(await epack(['tag', 'oci:store:v1', 'stable']));
    expect(ok(await epack(['resolve', 'oci:store:stable'])).stdout.trim()).toBe(root);
    const manifest = ok(await epack(['manifest', 'fetch', 'oci:store:stable'])).stdout;
    const orasManifest = ok(await runTool('oras', ['manifest', 'fetch', '--oci-layout', 'store:v1'], { sandbox, cwd: sandbox.home })).stdout;
    expect(manifest).toBe(orasManifest);
    const layer = (JSON.parse(manifest) as { layers: { digest: string }[] }).layers[0]!.digest;
    expect(ok(await epack(['blob', 'fetch', `oci:store@${layer}`])).stdout).toBe(readFileSync(path.join(sandbox.home, 'pack.json'), 'utf8'));
    const copy = JSON.parse(ok(await epack(['copy', '-r', 'oci:store:stable', 'oci:backup', '--json'])).stdout) as { tags: string[]; referrers: unknown[] };
    expect(copy.tags).toEqual(['stable']);
    expect(copy.referrers).toHaveLength(2);
    const missing = await epack(['resolve', 'oci:backup:v1']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^epack: tag_not_found: /);
  });
});

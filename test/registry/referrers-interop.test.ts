/**
 * Referrers interop with real peers, both ways: what `oras attach` writes,
 * `epack discover` lists; what `epack attach` writes, `oras discover` and
 * `regctl artifact list` list. olareg in both --distribution-spec modes
 * (API, tag schema); docker-registry 2.8 in tag mode (it has no API).
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, peerAvailable, runEpack, runTool, type RunResult, type Sandbox } from '../harness/cli.js';
import { startRegistry, stopAllRegistries, type RegistryKind, type RunningRegistry } from '../harness/registries.js';

const havePeers = peerAvailable('oras', 'referrers interop') && peerAvailable('regctl', 'referrers interop');

interface TreeNode {
  digest: string;
  artifactType?: string;
  referrers: TreeNode[];
}

afterAll(async () => {
  await stopAllRegistries();
});

const CASES: { kind: RegistryKind; spec: 'v1.1-referrers-api' | 'v1.1-referrers-tag' }[] = [
  { kind: 'olareg', spec: 'v1.1-referrers-api' },
  { kind: 'olareg', spec: 'v1.1-referrers-tag' },
  { kind: 'distribution2', spec: 'v1.1-referrers-tag' },
];

describe.each(CASES)('$kind with --distribution-spec $spec', ({ kind, spec }) => {
  let reg: RunningRegistry | undefined;
  let sandbox: Sandbox;
  let ref = '';
  let root = '';

  const ok = (r: RunResult): RunResult => {
    expect(r.code, r.stderr).toBe(0);
    return r;
  };

  beforeAll(async () => {
    reg = await startRegistry(kind);
    sandbox = createSandbox();
    if (!reg || !havePeers) return;
    ref = `${reg.host}/interop/pack`;
    writeFileSync(path.join(sandbox.home, 'pack.json'), '{"pack":true}');
    writeFileSync(path.join(sandbox.home, 'theirs.txt'), 'attached by oras');
    writeFileSync(path.join(sandbox.home, 'ours.txt'), 'attached by epack');
    ok(await runTool('oras', ['push', '--plain-http', `${ref}:v1`, 'pack.json:application/json'], { sandbox, cwd: sandbox.home }));
    root = ok(await runEpack(['resolve', `${ref}:v1`], { sandbox })).stdout.trim();
  });
  afterAll(async () => {
    await reg?.stop();
    sandbox?.dispose();
  });

  it('epack discover lists what oras attach wrote', async (ctx) => {
    if (!reg || !havePeers) return ctx.skip();
    const attach = ok(
      await runTool('oras', ['attach', '--plain-http', '--distribution-spec', spec, '--artifact-type', 'application/vnd.test.oras', `${ref}:v1`, 'theirs.txt', '--format', 'json'], {
        sandbox,
        cwd: sandbox.home,
      }),
    );
    const theirs = (JSON.parse(attach.stdout) as { digest: string }).digest;
    const tree = JSON.parse(ok(await runEpack(['discover', '--distribution-spec', spec, `${ref}:v1`, '--json'], { sandbox })).stdout) as TreeNode;
    expect(tree.referrers.map((r) => [r.digest, r.artifactType])).toContainEqual([theirs, 'application/vnd.test.oras']);
  });

  it('oras discover and regctl artifact list list what epack attach wrote', async (ctx) => {
    if (!reg || !havePeers) return ctx.skip();
    const ours = ok(
      await runEpack(['attach', '--distribution-spec', spec, `${ref}:v1`, 'ours.txt:text/plain', '--artifact-type', 'application/vnd.test.epack'], { sandbox, cwd: sandbox.home }),
    ).stdout.trim();
    if (spec === 'v1.1-referrers-tag') {
      // The tag schema: the referrers index lives at sha256-<hex>.
      const tags = ok(await runTool('oras', ['repo', 'tags', '--plain-http', ref], { sandbox })).stdout.split('\n');
      expect(tags).toContain(`sha256-${root.slice('sha256:'.length)}`);
    }
    const oras = ok(await runTool('oras', ['discover', '--plain-http', '--distribution-spec', spec, `${ref}@${root}`, '--format', 'json'], { sandbox }));
    const orasTree = JSON.parse(oras.stdout) as { referrers: { digest: string; artifactType: string }[] };
    expect(orasTree.referrers.map((r) => [r.digest, r.artifactType])).toContainEqual([ours, 'application/vnd.test.epack']);
    const regctl = ok(
      await runTool('regctl', ['--host', `reg=${reg.host},tls=disabled`, 'artifact', 'list', `${ref}@${root}`, '--format', '{{jsonPretty .Manifest}}'], { sandbox }),
    );
    const listed = JSON.parse(regctl.stdout) as { manifests: { digest: string; artifactType?: string }[] };
    expect(listed.manifests.map((m) => [m.digest, m.artifactType])).toContainEqual([ours, 'application/vnd.test.epack']);
    // Our discover sees both, in the same mode.
    const tree = JSON.parse(ok(await runEpack(['discover', '--distribution-spec', spec, `${ref}:v1`, '--json'], { sandbox })).stdout) as TreeNode;
    expect(tree.referrers.map((r) => r.artifactType).sort()).toEqual(['application/vnd.test.epack', 'application/vnd.test.oras']);
  });
});

/**
 * Failures of the registry commands: one line on stderr with a stable code,
 * the documented exit code (2 bad input, 3 not found, 4 auth, 5 network),
 * and nothing half-written at a copy's destination.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, peerAvailable, runEpack, runTool, type RunResult, type Sandbox } from '../harness/cli.js';
import { freePort } from '../harness/process.js';
import { hostile, startHostileRegistry } from '../harness/hostile-registry.js';
import { startRegistry, stopAllRegistries, type RunningRegistry } from '../harness/registries.js';

function expectFailure(r: RunResult, exitCode: number, code: string): void {
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^epack: ${code}: \\S`));
  expect(r.stdout).toBe('');
  expect(r.code).toBe(exitCode);
}

describe('registry command failures', () => {
  let anon: RunningRegistry | undefined;
  let basic: RunningRegistry | undefined;
  let sandbox: Sandbox;
  let wrongConfig = '';

  beforeAll(async () => {
    [anon, basic] = await Promise.all([startRegistry('distribution2'), startRegistry('olareg', { auth: 'token' })]);
    sandbox = createSandbox();
    if (basic) {
      const dir = path.join(sandbox.home, 'wrong');
      mkdirSync(dir);
      wrongConfig = path.join(dir, 'config.json');
      const auth = Buffer.from(`${basic.username}:not-the-password`).toString('base64');
      writeFileSync(wrongConfig, JSON.stringify({ auths: { [basic.host]: { auth } } }));
    }
  });
  afterAll(async () => {
    await stopAllRegistries();
    sandbox?.dispose();
  });

  it('malformed references exit 2 with invalid_reference', async () => {
    expectFailure(await runEpack(['resolve', 'Upper/Case:v1'], { sandbox }), 2, 'invalid_reference');
    expectFailure(await runEpack(['discover', 'localhost:5000/repo:bad tag'], { sandbox }), 2, 'invalid_reference');
    expectFailure(await runEpack(['copy', 'oci:', 'oci:./x'], { sandbox }), 2, 'invalid_reference');
    const json = await runEpack(['resolve', 'https://ghcr.io/a/b:v1', '--json'], { sandbox });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'invalid_reference', kind: 'input' } });
  });

  it('an unknown registry (connection refused) exits 5', async () => {
    const port = await freePort();
    expectFailure(await runEpack(['resolve', `127.0.0.1:${port}/nobody/home:v1`], { sandbox }), 5, 'network_error');
  });

  it('a missing repository or tag exits 3', async (ctx) => {
    if (!anon) return ctx.skip();
    const missingRepo = await runEpack(['resolve', `${anon.host}/no/such-repo:v1`], { sandbox });
    expect(missingRepo.code, missingRepo.stderr).toBe(3);
    expect(missingRepo.stderr.trim().split('\n')).toHaveLength(1);
    expectFailure(await runEpack(['blob', 'fetch', `${anon.host}/no/such-repo@sha256:${'0'.repeat(64)}`, '-o', 'x'], { sandbox }), 3, '\\w+');
  });

  it('a wrong password exits 4, and a copy to it leaves nothing tagged', async (ctx) => {
    if (!basic || !anon || !peerAvailable('oras', 'errors')) return ctx.skip();
    const refused = await runEpack(['resolve', '--registry-config', wrongConfig, `${basic.host}/team/pack:v1`], { sandbox });
    expect(refused.code, refused.stderr).toBe(4);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).not.toContain('not-the-password');
    // A source that works, a destination that refuses: no tag appears there.
    writeFileSync(path.join(sandbox.home, 'f.json'), '{}');
    expect((await runTool('oras', ['push', '--plain-http', `${anon.host}/ok/pack:v1`, 'f.json'], { sandbox, cwd: sandbox.home })).code).toBe(0);
    const copy = await runEpack(['copy', '--registry-config', wrongConfig, `${anon.host}/ok/pack:v1`, `${basic.host}/team/pack:v1`], { sandbox });
    expect(copy.code, copy.stderr).toBe(4);
    const check = await runEpack(['resolve', `${basic.host}/team/pack:v1`], { sandbox, dockerConfigDir: basic.dockerConfigDir });
    expect(check.code, check.stderr).toBe(3);
  });

  it('a server answering HTML instead of manifests exits 6, and a copy from it writes nothing', async () => {
    const h = await startHostileRegistry();
    try {
      h.route('GET', /^\/v2\/web\/page\/manifests\//, hostile.bytes('<html>Sign in</html>', 'text/html', { 'Docker-Content-Digest': `sha256:${'1'.repeat(64)}` }));
      const ref = `${h.host}/web/page:v1`;
      for (const args of [['resolve', ref], ['discover', ref], ['manifest', 'fetch', ref]]) {
        expectFailure(await runEpack(args, { sandbox }), 6, 'invalid_manifest');
      }
      const layout = path.join(sandbox.home, 'from-html');
      expectFailure(await runEpack(['copy', ref, `oci:${layout}:v1`], { sandbox }), 6, 'invalid_manifest');
      expect(existsSync(path.join(layout, 'index.json'))).toBe(false);
    } finally {
      await h.close();
    }
  });

  it('bad flag values exit 2', async () => {
    expectFailure(await runEpack(['copy', '--concurrency', '0', 'oci:a:v1', 'oci:b'], { sandbox }), 2, 'invalid_concurrency');
    expectFailure(await runEpack(['discover', '--depth', '0', 'oci:a:v1'], { sandbox }), 2, 'invalid_depth');
    expectFailure(await runEpack(['tag', 'oci:a:v1', 'bad tag'], { sandbox }), 2, 'invalid_tag');
  });
});

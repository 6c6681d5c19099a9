/**
 * inspect, list, diff and extract of registry references take the shared
 * registry flags: here `--registry-config` on a basic-auth docker-registry 2.8
 * with no credentials anywhere else.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEpack } from '../harness/cli.js';
import { startRegistry, stopAllRegistries, type RunningRegistry } from '../harness/registries.js';
import { DEMO_EVIDENCE, buildDemoPacks, type DemoPacks } from './fixtures.js';

let packs: DemoPacks;
let reg: RunningRegistry | undefined;

beforeAll(async () => {
  packs = await buildDemoPacks();
  reg = await startRegistry('distribution2', { auth: 'basic' });
});
afterAll(async () => {
  await stopAllRegistries();
});

const epack = (args: string[]) => runEpack(args, { cwd: packs.dir, ...(reg ? { dockerConfigDir: reg.dockerConfigDir } : {}) });
const oneLine = (stderr: string) => {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
};

describe('references as packs with registry flags', () => {
  it('inspect, list, diff and extract of references take the registry flags (--registry-config on a basic-auth registry)', async (ctx) => {
    if (!reg) return ctx.skip();
    const repo = `${reg.host}/acme/flags`;
    for (const [tag, file] of [['v1', packs.v1], ['v2', packs.v2]] as const) {
      const push = await epack(['push', `${repo}:${tag}`, file]);
      expect(push.code, push.stderr).toBe(0);
    }
    // A fresh sandbox per call: no DOCKER_CONFIG credentials, only the file the flag names.
    const bare = (args: string[]) => runEpack(args, { cwd: packs.dir });
    const config = ['--registry-config', path.join(reg.dockerConfigDir, 'config.json')];
    const denied = await bare(['inspect', `${repo}:v1`]);
    expect(denied.code).toBe(4);
    oneLine(denied.stderr);

    const inspect = await bare(['inspect', `${repo}:v1`, '--json', ...config]);
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(JSON.parse(inspect.stdout)).toMatchObject({ stream: 'acme/demo', counts: { artifacts: 4 } });
    const list = await bare(['list', 'artifacts', `${repo}:v1`, '--plain-http', ...config]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('artifacts/demo-evidence/sbom.cdx.json');
    const diff = await bare(['diff', `${repo}:v1`, `${repo}:v2`, '--json', ...config]);
    expect(diff.code, diff.stderr).toBe(0);
    expect(JSON.parse(diff.stdout)).toMatchObject({ changed: [{ path: 'artifacts/demo-evidence/scan.sarif' }], unchanged: 3 });
    const dest = path.join(packs.dir, 'flags-extracted');
    const extract = await bare(['extract', `${repo}:v1`, 'demo-evidence/junit.xml', '-o', dest, ...config]);
    expect(extract.code, extract.stderr).toBe(0);
    expect((await readFile(path.join(dest, 'artifacts/demo-evidence/junit.xml'))).equals(await readFile(path.join(DEMO_EVIDENCE, 'junit.xml')))).toBe(true);
  }, 60_000);
});

/** `epack login` / `epack logout` end to end (built CLI, isolated HOME). */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, runEpack, type Sandbox } from '../harness/cli.js';
import { startRegistry, stopAllRegistries, type RunningRegistry } from '../harness/registries.js';

afterAll(async () => {
  await stopAllRegistries();
});

describe('epack login/logout (distribution2, basic)', () => {
  let reg: RunningRegistry | undefined;
  let sandbox: Sandbox;
  beforeAll(async () => {
    reg = await startRegistry('distribution2', { auth: 'basic' });
    sandbox = createSandbox();
  });
  afterAll(async () => {
    await reg?.stop();
    sandbox?.dispose();
  });

  it('stores credentials from --password-stdin and removes them on logout', async (ctx) => {
    if (!reg) return ctx.skip();
    const ok = await runEpack(['login', reg.host, '-u', reg.username!, '--password-stdin', '--json'], { sandbox, input: `${reg.password}\n` });
    expect(ok.stderr).not.toContain(reg.password!);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ registry: reg.host, username: reg.username, storedIn: { kind: 'file' } });
    const config = JSON.parse(readFileSync(path.join(sandbox.dockerConfigDir, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    expect(Buffer.from(config.auths[reg.host]!.auth, 'base64').toString()).toBe(`${reg.username}:${reg.password}`);

    const out = await runEpack(['logout', reg.host], { sandbox });
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`Removed credentials for ${reg.host}`);
  });

  it('exits 4 for a wrong password, without echoing it', async (ctx) => {
    if (!reg) return ctx.skip();
    const bad = await runEpack(['login', reg.host, '-u', reg.username!, '--password-stdin', '--debug'], { sandbox, input: 'wrong-pass-123' });
    expect(bad.code).toBe(4);
    expect(bad.stderr).toContain('unauthorized');
    expect(bad.stderr).not.toContain('wrong-pass-123');
    // The advice fits a login: not "run epack login".
    const line = bad.stderr.split('\n').find((l) => l.startsWith('epack:'));
    expect(line).toContain('(check the username and password)');
    expect(bad.stderr).not.toContain('run epack login');
  });

  it('exits 2 without a password', async (ctx) => {
    if (!reg) return ctx.skip();
    const bad = await runEpack(['login', reg.host, '-u', 'x'], { sandbox, input: '' });
    expect(bad.code).toBe(2);
  });
});

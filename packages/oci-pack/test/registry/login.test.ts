/** login/logout round trips against real registries in basic and token mode. */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registry/client.js';
import { login, logout } from '../../src/registry/auth/login.js';
import { registryMatrix, startRegistry, stopAllRegistries, type RunningRegistry } from '../../../../test/harness/registries.js';
import { blob } from './helpers.js';

const root = mkdtempSync(path.join(tmpdir(), 'epack-login-'));
afterAll(async () => {
  await stopAllRegistries();
  rmSync(root, { recursive: true, force: true });
});

const matrix = registryMatrix({ kinds: ['distribution2', 'olareg'], auths: ['basic', 'token'] });

describe.each(matrix)('$kind/$auth', ({ kind, auth }) => {
  let reg: RunningRegistry | undefined;
  beforeAll(async () => {
    reg = await startRegistry(kind, { auth });
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('logs in, uses the stored credentials, logs out', async (ctx) => {
    if (!reg) return ctx.skip();
    const dockerConfig = path.join(root, `${kind}-${auth}`);
    const env = { DOCKER_CONFIG: dockerConfig };
    const traces: string[] = [];
    const result = await login(reg.host, { username: reg.username!, password: reg.password!, env, onDebug: (l) => traces.push(l) });
    expect(result).toMatchObject({ registry: reg.host, username: reg.username, storedIn: { kind: 'file' } });
    const file = path.join(dockerConfig, 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { auths: object }).auths)).toEqual([reg.host]);
    // Secrets never reach the debug trace.
    const trace = traces.join('\n');
    expect(trace).not.toContain(reg.password!);
    expect(trace).not.toContain(Buffer.from(`${reg.username}:${reg.password}`).toString('base64'));

    const client = new RegistryClient(reg.host, { credentialEnv: { env } });
    try {
      const { desc, bytes } = blob(100);
      await client.repository('acme/login').push(desc, bytes);
      expect(await client.repository('acme/login').exists(desc)).toBe(true);
    } finally {
      await client.close();
    }

    expect(await logout(reg.host, { env })).toEqual({ registry: reg.host, removed: true });
    expect(await logout(reg.host, { env })).toEqual({ registry: reg.host, removed: false });
    const anonymous = new RegistryClient(reg.host, { credentialEnv: { env } });
    try {
      const { desc, bytes } = blob(100);
      await expect(anonymous.repository('acme/login').push(desc, bytes)).rejects.toMatchObject({ kind: 'auth' });
    } finally {
      await anonymous.close();
    }
  });

  it('refuses a wrong password and stores nothing', async (ctx) => {
    if (!reg) return ctx.skip();
    const dockerConfig = path.join(root, `${kind}-${auth}-wrong`);
    const err = await login(reg.host, { username: reg.username!, password: 'not-the-password', env: { DOCKER_CONFIG: dockerConfig } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'auth', code: 'unauthorized' });
    expect(String((err as Error).message)).not.toContain('not-the-password');
    expect(() => statSync(path.join(dockerConfig, 'config.json'))).toThrow();
  });
});

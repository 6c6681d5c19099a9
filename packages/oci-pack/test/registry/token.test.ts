/** Bearer token flow against distribution 2.8 and our token server: caching, merged scopes, refresh tokens. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registry/client.js';
import { startRegistry, stopAllRegistries, type RunningRegistry } from '../../../../test/harness/registries.js';
import { blob, EMPTY_JSON, emptyConfig, manifest } from './helpers.js';

afterAll(async () => {
  await stopAllRegistries();
});

describe('distribution2/token', () => {
  let reg: RunningRegistry | undefined;
  beforeAll(async () => {
    reg = await startRegistry('distribution2', { auth: 'token' });
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('caches tokens per merged scope set', async (ctx) => {
    if (!reg?.tokenServer) return ctx.skip();
    const ts = reg.tokenServer;
    const before = ts.requests.length;
    const client = new RegistryClient(reg.host, { credentials: { username: reg.username!, password: reg.password! } });
    try {
      const repo = client.repository('acme/tok');
      for (let i = 0; i < 5; i++) {
        const { desc, bytes } = blob(100 + i);
        await repo.push(desc, bytes);
      }
      await repo.push(emptyConfig, EMPTY_JSON);
      const m = manifest([]);
      await repo.pushReference(m.desc, m.bytes, 'v1');
      await repo.resolve('v1');
      await repo.fetchManifest('v1');
    } finally {
      await client.close();
    }
    const made = ts.requests.slice(before);
    // One token for pull,push and one for pull, not one per request.
    expect(made.length).toBeLessThanOrEqual(3);
    expect(made.every((r) => r.status === 200 && r.account === reg!.username)).toBe(true);
    expect(made.some((r) => r.scopes.includes('repository:acme/tok:pull,push'))).toBe(true);
  });

  it('uses an identity (refresh) token via POST grant_type=refresh_token', async (ctx) => {
    if (!reg?.tokenServer) return ctx.skip();
    const ts = reg.tokenServer;
    const url = new URL(ts.realm);
    url.searchParams.set('service', ts.service);
    url.searchParams.set('offline_token', 'true');
    const res = await fetch(url, { headers: { authorization: `Basic ${Buffer.from(`${reg.username}:${reg.password}`).toString('base64')}` } });
    const refresh = ((await res.json()) as { refresh_token?: string }).refresh_token;
    expect(refresh).toBeTruthy();
    const before = ts.requests.length;
    const client = new RegistryClient(reg.host, { credentials: { identityToken: refresh! } });
    try {
      const { desc, bytes } = blob(321);
      await client.repository('acme/refresh').push(desc, bytes);
      expect(await client.repository('acme/refresh').exists(desc)).toBe(true);
    } finally {
      await client.close();
    }
    const made = ts.requests.slice(before);
    expect(made.length).toBeGreaterThan(0);
    expect(made.every((r) => r.method === 'POST' && r.grantType === 'refresh_token' && r.status === 200)).toBe(true);
  });

  it('rejects a bad refresh token with AuthError', async (ctx) => {
    if (!reg?.tokenServer) return ctx.skip();
    const client = new RegistryClient(reg.host, { credentials: { identityToken: 'not-a-refresh-token' } });
    try {
      await expect(client.repository('acme/refresh').resolve('v1')).rejects.toMatchObject({ kind: 'auth', code: 'unauthorized' });
    } finally {
      await client.close();
    }
  });
});

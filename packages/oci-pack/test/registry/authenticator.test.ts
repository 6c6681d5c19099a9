import { describe, expect, it } from 'vitest';
import { Authenticator, type TokenRequest } from '../../src/registry/auth/authenticator.js';
import type { Credential } from '../../src/registry/auth/types.js';

function setup(credential: Credential | undefined, respond: (r: TokenRequest) => { status: number; text: string }, origin = 'https://r.example') {
  const sent: TokenRequest[] = [];
  let now = 1_000_000;
  const auth = new Authenticator({
    registry: 'r.example',
    origin: new URL(origin),
    credentials: () => Promise.resolve(credential),
    send: (r) => {
      sent.push(r);
      return Promise.resolve(respond(r));
    },
    now: () => now,
  });
  return { auth, sent, advance: (ms: number) => (now += ms) };
}

const challenge = 'Bearer realm="https://auth.example/token",service="reg",scope="repository:acme/x:pull"';
const ok = (token: string, expiresIn = 300) => ({ status: 200, text: JSON.stringify({ token, expires_in: expiresIn }) });

describe('Authenticator', () => {
  it('fetches a token for merged scopes with Basic credentials and caches it until expiry', async () => {
    let n = 0;
    const { auth, sent, advance } = setup({ username: 'u', password: 'p' }, () => ok(`t${++n}`));
    expect(await auth.authorization(['repository:acme/x:push'])).toBeUndefined();
    await auth.challenge(challenge, ['repository:acme/x:push'], undefined);
    expect(sent).toHaveLength(1);
    const url = sent[0]!.url;
    expect(url.origin + url.pathname).toBe('https://auth.example/token');
    expect(url.searchParams.get('service')).toBe('reg');
    expect(url.searchParams.getAll('scope')).toEqual(['repository:acme/x:pull,push']);
    expect(sent[0]!.headers['authorization']).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(await auth.authorization(['repository:acme/x:push'])).toBe('Bearer t1');
    expect(await auth.authorization(['repository:acme/x:push'])).toBe('Bearer t1');
    expect(sent).toHaveLength(1);
    // Another scope set: another token.
    expect(await auth.authorization(['repository:acme/y:pull'])).toBe('Bearer t2');
    advance(295_000); // within 10 s of expiry: refreshed
    expect(await auth.authorization(['repository:acme/x:push'])).toBe('Bearer t3');
  });

  it('exchanges an identity token with POST grant_type=refresh_token', async () => {
    const { auth, sent } = setup({ identityToken: 'refresh-1' }, () => ({ status: 200, text: JSON.stringify({ access_token: 'acc', expires_in: 60 }) }));
    await auth.challenge(challenge, [], undefined);
    expect(sent[0]!.method).toBe('POST');
    const form = new URLSearchParams(sent[0]!.body);
    expect(Object.fromEntries(form)).toEqual({ grant_type: 'refresh_token', refresh_token: 'refresh-1', service: 'reg', scope: 'repository:acme/x:pull', client_id: 'epack' });
    expect(sent[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(await auth.authorization([])).toBe('Bearer acc');
  });

  it('falls back to POST grant_type=password when GET is refused', async () => {
    const { auth, sent } = setup({ username: 'u', password: 'p' }, (r) => (r.method === 'GET' ? { status: 405, text: '' } : ok('pw')));
    await auth.challenge(challenge, [], undefined);
    expect(sent.map((r) => r.method)).toEqual(['GET', 'POST']);
    expect(Object.fromEntries(new URLSearchParams(sent[1]!.body))).toMatchObject({ grant_type: 'password', username: 'u', password: 'p' });
  });

  it('fetches anonymous tokens without credentials and sends a registrytoken as is', async () => {
    const anon = setup(undefined, () => ok('anon'));
    await anon.auth.challenge(challenge, [], undefined);
    expect(anon.sent[0]!.headers['authorization']).toBeUndefined();
    const direct = setup({ registryToken: 'given' }, () => ok('never'));
    await direct.auth.challenge(challenge, [], undefined);
    expect(direct.sent).toHaveLength(0);
    expect(await direct.auth.authorization([])).toBe('Bearer given');
  });

  it('fails when the same token is refused again, as denied for insufficient_scope', async () => {
    const { auth } = setup({ username: 'u', password: 'p' }, () => ok('t'));
    await auth.challenge(challenge, [], undefined);
    const sent = await auth.authorization([]);
    await expect(auth.challenge(`${challenge},error="insufficient_scope"`, [], sent)).rejects.toMatchObject({ kind: 'auth', code: 'denied' });
  });

  it('reports rejected credentials and token-service failures with typed errors', async () => {
    const rejected = setup({ username: 'u', password: 'bad' }, () => ({ status: 401, text: '' }));
    const err = await rejected.auth.challenge(challenge, [], undefined).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'auth', code: 'unauthorized' });
    expect(String((err as Error).message)).not.toContain('bad');
    const broken = setup(undefined, () => ({ status: 200, text: '<html>' }));
    await expect(broken.auth.challenge(challenge, [], undefined)).rejects.toMatchObject({ code: 'invalid_response' });
  });

  it('handles Basic challenges: credentials or a login hint, never the same wrong password twice', async () => {
    const none = setup(undefined, () => ok('x'));
    await expect(none.auth.challenge('Basic realm="r"', [], undefined)).rejects.toMatchObject({ code: 'unauthorized', hint: 'run epack login r.example' });
    const withCreds = setup({ username: 'u', password: 'p' }, () => ok('x'));
    await withCreds.auth.challenge('Basic realm="r"', [], undefined);
    const header = await withCreds.auth.authorization([]);
    expect(header).toMatch(/^Basic /);
    await expect(withCreds.auth.challenge('Basic realm="r"', [], header)).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('refuses realms that downgrade https to http, except on loopback', async () => {
    const { auth } = setup({ username: 'u', password: 'p' }, () => ok('x'));
    await expect(auth.challenge('Bearer realm="http://auth.example/token"', [], undefined)).rejects.toMatchObject({ code: 'insecure_realm' });
    const loop = setup({ username: 'u', password: 'p' }, () => ok('x'));
    await loop.auth.challenge('Bearer realm="http://127.0.0.1:9999/token"', [], undefined);
    const plain = setup({ username: 'u', password: 'p' }, () => ok('x'), 'http://127.0.0.1:5000');
    await plain.auth.challenge('Bearer realm="http://auth.example/token"', [], undefined);
    await expect(setup(undefined, () => ok('x')).auth.challenge('Bearer realm="ftp://x/token"', [], undefined)).rejects.toMatchObject({ code: 'invalid_response' });
    await expect(setup(undefined, () => ok('x')).auth.challenge('Bearer service="x"', [], undefined)).rejects.toMatchObject({ code: 'invalid_response' });
  });

  it('refuses unsupported schemes', async () => {
    await expect(setup(undefined, () => ok('x')).auth.challenge('Negotiate abc==', [], undefined)).rejects.toMatchObject({ code: 'unsupported_auth' });
  });
});

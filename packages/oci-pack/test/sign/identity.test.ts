import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { BrowserLoginProvider, GitHubActionsProvider, resolveIdentityProvider } from '../../src/sign/index.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); })));
});

async function serve(handler: (req: IncomingMessage, body: string) => { status: number; headers?: Record<string, string>; body?: string }): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const r = handler(req, body);
      res.writeHead(r.status, { 'Content-Type': 'application/json', ...r.headers }).end(r.body ?? '');
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const jwt = (claims: Record<string, unknown>): string =>
  `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('identity providers', () => {
  it('picks an explicit token, then SIGSTORE_ID_TOKEN, then GitHub Actions; without a TTY never the browser', () => {
    expect(resolveIdentityProvider({ identityToken: 't', env: { SIGSTORE_ID_TOKEN: 'e' } }).source).toBe('token');
    expect(resolveIdentityProvider({ env: { SIGSTORE_ID_TOKEN: 'e', ACTIONS_ID_TOKEN_REQUEST_URL: 'u', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'b' } }).source).toBe('env');
    expect(resolveIdentityProvider({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: 'u', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'b' } }).source).toBe('github-actions');
    expect(() => resolveIdentityProvider({ env: {}, interactive: false, browser: { openURL: () => undefined } })).toThrow(
      expect.objectContaining({ code: 'identity_token_missing', kind: 'auth' }),
    );
    expect(resolveIdentityProvider({ env: {}, interactive: true, browser: { openURL: () => undefined } }).source).toBe('browser');
  });

  it('GitHub Actions: requests audience=sigstore with the bearer token', async () => {
    let seen: { url?: string; auth?: string } = {};
    const base = await serve((req) => {
      seen = { url: req.url ?? '', auth: req.headers.authorization ?? '' };
      return { status: 200, body: JSON.stringify({ value: 'the-jwt' }) };
    });
    const token = await new GitHubActionsProvider({ ACTIONS_ID_TOKEN_REQUEST_URL: `${base}/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-secret' }).getToken();
    expect(token).toBe('the-jwt');
    expect(seen.url).toContain('audience=sigstore');
    expect(seen.url).toContain('api-version=2.0');
    expect(seen.auth).toBe('Bearer runner-secret');
    const denied = await serve(() => ({ status: 403 }));
    await expect(new GitHubActionsProvider({ ACTIONS_ID_TOKEN_REQUEST_URL: denied, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x' }).getToken()).rejects.toMatchObject({
      code: 'identity_token_rejected',
    });
  });

  it('browser login: authorization code + PKCE S256 through a loopback redirect', async () => {
    let authRequest: URL | undefined;
    let tokenForm: URLSearchParams | undefined;
    const issuer = await serve((req, body) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/.well-known/openid-configuration') {
        return { status: 200, body: JSON.stringify({ authorization_endpoint: `${issuerURL}/auth`, token_endpoint: `${issuerURL}/token` }) };
      }
      if (url.pathname === '/token') {
        tokenForm = new URLSearchParams(body);
        return { status: 200, body: JSON.stringify({ id_token: jwt({ sub: 'alice', nonce: authRequest?.searchParams.get('nonce') }) }) };
      }
      return { status: 404 };
    });
    const issuerURL = issuer;
    const provider = new BrowserLoginProvider({
      issuer,
      clientId: 'sigstore',
      // The "browser": follow the authorization URL as the provider would, straight back to the redirect URI.
      openURL: async (url) => {
        authRequest = new URL(url);
        const back = new URL(authRequest.searchParams.get('redirect_uri')!);
        back.searchParams.set('code', 'the-code');
        back.searchParams.set('state', authRequest.searchParams.get('state')!);
        const res = await fetch(back);
        expect(res.status).toBe(200);
      },
    });
    const token = await provider.getToken();
    expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sub).toBe('alice');
    expect(authRequest!.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authRequest!.searchParams.get('redirect_uri')).toMatch(/^http:\/\/localhost:\d+\/auth\/callback$/);
    expect(tokenForm!.get('grant_type')).toBe('authorization_code');
    expect(tokenForm!.get('code')).toBe('the-code');
    const verifier = tokenForm!.get('code_verifier')!;
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(authRequest!.searchParams.get('code_challenge'));
  });

  it('browser login: a redirect with the wrong state is refused', async () => {
    const issuer = await serve((req) =>
      new URL(req.url ?? '/', 'http://x').pathname === '/.well-known/openid-configuration'
        ? { status: 200, body: JSON.stringify({ authorization_endpoint: 'http://127.0.0.1:9/auth', token_endpoint: 'http://127.0.0.1:9/token' }) }
        : { status: 404 },
    );
    const provider = new BrowserLoginProvider({
      issuer,
      openURL: async (url) => {
        const back = new URL(new URL(url).searchParams.get('redirect_uri')!);
        back.searchParams.set('code', 'c');
        back.searchParams.set('state', 'forged');
        await fetch(back);
      },
    });
    await expect(provider.getToken()).rejects.toMatchObject({ code: 'identity_login_failed' });
  });
});

describe('signing failures are typed', () => {
  it('a Fulcio that refuses the token is an auth failure; an unreachable one a network failure', async () => {
    const { buildStatement, signStatement } = await import('../../src/sign/index.js');
    const statement = buildStatement({ digest: { sha256: 'ab'.repeat(32) } }, 'x');
    const refusing = await serve(() => ({ status: 401, body: '{"message":"bad token"}' }));
    await expect(
      signStatement(statement, { identity: { identityToken: jwt({ sub: 'a', iss: 'b' }) }, fulcioURL: refusing, tlogUpload: false, tsaURL: `${refusing}/tsa`, timeoutMs: 5000 }),
    ).rejects.toMatchObject({ code: 'identity_token_rejected', kind: 'auth' });
    await expect(
      signStatement(statement, { identity: { identityToken: jwt({ sub: 'a', iss: 'b' }) }, fulcioURL: 'http://127.0.0.1:9', tlogUpload: false, tsaURL: 'http://127.0.0.1:9/tsa', timeoutMs: 5000 }),
    ).rejects.toMatchObject({ kind: 'network' });
  });
});

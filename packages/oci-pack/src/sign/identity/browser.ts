/**
 * Interactive login: OIDC authorization code flow with PKCE (RFC 7636) and a
 * loopback redirect (RFC 8252 §7.3). The sigstore libraries do not ship this.
 * The caller decides whether a person is present; this module never prompts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IdentityProvider } from '@sigstore/sign';
import { IdentityError, SigstoreServiceError } from '../errors.js';

export const DEFAULT_OIDC_ISSUER = 'https://oauth2.sigstore.dev/auth';
export const DEFAULT_OIDC_CLIENT_ID = 'sigstore';

export interface BrowserLoginOptions {
  issuer?: string;
  clientId?: string;
  /** Shows the authorization URL to the person (print it, open a browser). */
  openURL: (url: string) => void | Promise<void>;
  /** How long to wait for the redirect (default 5 minutes). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
}

export class BrowserLoginProvider implements IdentityProvider {
  constructor(private readonly options: BrowserLoginOptions) {}

  async getToken(): Promise<string> {
    const issuer = (this.options.issuer ?? DEFAULT_OIDC_ISSUER).replace(/\/$/, '');
    const clientId = this.options.clientId ?? DEFAULT_OIDC_CLIENT_ID;
    const discovery = await discover(issuer);
    const verifier = base64url(randomBytes(32));
    const challenge = base64url(createHash('sha256').update(verifier).digest());
    const state = base64url(randomBytes(16));
    const nonce = base64url(randomBytes(16));

    const callback = await startCallbackServer(state, this.options.timeoutMs ?? 300_000, this.options.signal);
    try {
      const redirectURI = `http://localhost:${callback.port}/auth/callback`;
      const auth = new URL(discovery.authorization_endpoint);
      auth.searchParams.set('response_type', 'code');
      auth.searchParams.set('client_id', clientId);
      auth.searchParams.set('redirect_uri', redirectURI);
      auth.searchParams.set('scope', 'openid email');
      auth.searchParams.set('code_challenge', challenge);
      auth.searchParams.set('code_challenge_method', 'S256');
      auth.searchParams.set('state', state);
      auth.searchParams.set('nonce', nonce);
      await this.options.openURL(auth.toString());
      const code = await callback.code;
      const idToken = await exchangeCode(discovery.token_endpoint, { code, redirectURI, clientId, verifier });
      checkNonce(idToken, nonce);
      return idToken;
    } finally {
      callback.close();
    }
  }
}

async function discover(issuer: string): Promise<Discovery> {
  const url = `${issuer}/.well-known/openid-configuration`;
  let response: Response;
  try {
    response = await fetch(url, { headers: { Accept: 'application/json' } });
  } catch (err) {
    throw new SigstoreServiceError('identity_provider_unreachable', `cannot reach the OIDC issuer ${issuer}: ${(err as Error).message}`, { cause: err });
  }
  const body = (await response.json().catch(() => undefined)) as Partial<Discovery> | undefined;
  if (!response.ok || typeof body?.authorization_endpoint !== 'string' || typeof body.token_endpoint !== 'string') {
    throw new IdentityError('identity_provider_invalid', `the OIDC issuer ${issuer} has no usable discovery document (${response.status})`);
  }
  return { authorization_endpoint: body.authorization_endpoint, token_endpoint: body.token_endpoint };
}

interface CallbackServer {
  port: number;
  code: Promise<string>;
  close: () => void;
}

async function startCallbackServer(state: string, timeoutMs: number, signal?: AbortSignal): Promise<CallbackServer> {
  let resolve!: (code: string) => void;
  let reject!: (err: Error) => void;
  const code = new Promise<string>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  code.catch(() => undefined);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/auth/callback') {
      res.writeHead(404).end();
      return;
    }
    const finish = (status: number, text: string): void => {
      res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', Connection: 'close' });
      res.end(`<!doctype html><title>epack</title><p>${text}</p>`);
    };
    if (url.searchParams.get('state') !== state) {
      finish(400, 'Login failed: the state does not match. Close this window and try again.');
      reject(new IdentityError('identity_login_failed', 'the login redirect carried the wrong state (possible CSRF)'));
      return;
    }
    const error = url.searchParams.get('error');
    const got = url.searchParams.get('code');
    if (error || !got) {
      finish(400, 'Login failed. Close this window and check the terminal.');
      reject(new IdentityError('identity_login_failed', `the identity provider refused the login: ${error ?? 'no code'} ${url.searchParams.get('error_description') ?? ''}`.trim()));
      return;
    }
    finish(200, 'Signed in. You can close this window and return to the terminal.');
    resolve(got);
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => res());
  });
  const timer = setTimeout(() => reject(new IdentityError('identity_login_timeout', 'no login completed in time')), timeoutMs);
  timer.unref();
  const onAbort = (): void => reject(new IdentityError('identity_login_cancelled', 'login cancelled'));
  signal?.addEventListener('abort', onAbort, { once: true });
  return {
    port: (server.address() as AddressInfo).port,
    code,
    close: () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      server.closeAllConnections();
      server.close();
    },
  };
}

async function exchangeCode(
  tokenEndpoint: string,
  p: { code: string; redirectURI: string; clientId: string; verifier: string },
): Promise<string> {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code: p.code,
    redirect_uri: p.redirectURI,
    client_id: p.clientId,
    code_verifier: p.verifier,
  });
  let response: Response;
  try {
    response = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: form.toString(),
    });
  } catch (err) {
    throw new SigstoreServiceError('identity_provider_unreachable', `cannot reach the token endpoint: ${(err as Error).message}`, { cause: err });
  }
  const body = (await response.json().catch(() => undefined)) as { id_token?: unknown } | undefined;
  if (!response.ok || typeof body?.id_token !== 'string') {
    throw new IdentityError('identity_login_failed', `the token endpoint answered ${response.status} without an id_token`);
  }
  return body.id_token;
}

function checkNonce(idToken: string, nonce: string): void {
  const payload = idToken.split('.')[1];
  let claims: { nonce?: unknown } | undefined;
  try {
    claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { nonce?: unknown };
  } catch {
    claims = undefined;
  }
  if (!claims) throw new IdentityError('identity_login_failed', 'the identity provider returned a malformed id_token');
  if (claims.nonce !== undefined && claims.nonce !== nonce) {
    throw new IdentityError('identity_login_failed', 'the id_token nonce does not match the login request');
  }
}

function base64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

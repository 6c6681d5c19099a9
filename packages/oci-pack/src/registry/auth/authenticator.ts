/**
 * Per-registry authentication state: learns the scheme from the first 401
 * challenge, then authorizes every request up front (Basic, or a Bearer token
 * per merged scope set, cached until shortly before it expires). Tokens come
 * from the challenge's realm: anonymous GET, GET with Basic credentials,
 * POST form with `grant_type=refresh_token` (identity tokens) or
 * `grant_type=password` when the realm does not answer GET.
 */
import { AuthError, RegistryError } from '../../error.js';
import { isLoopbackRegistry } from '../../oci/reference.js';
import { findChallenge, parseWwwAuthenticate } from './challenge.js';
import { mergeScopes } from './scope.js';
import type { Credential, CredentialSource } from './types.js';

export interface TokenRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

export interface TokenResponse {
  status: number;
  text: string;
}

export interface AuthenticatorOptions {
  /** Canonical registry name (credential lookup, messages). */
  registry: string;
  /** Origin of the registry API (`https://ghcr.io`). */
  origin: URL;
  credentials: CredentialSource;
  /** Sends a request to the token realm (no registry auth attached). */
  send: (request: TokenRequest) => Promise<TokenResponse>;
  clientId?: string;
  now?: () => number;
}

type State = { kind: 'unknown' } | { kind: 'none' } | { kind: 'basic' } | { kind: 'bearer'; realm: URL; service: string | undefined };

interface CachedToken {
  token: string;
  expiresAt: number;
}

const EXPIRY_MARGIN_MS = 10_000;
const MIN_TOKEN_LIFETIME_S = 60;
const MAX_TOKEN_RESPONSE = 1024 * 1024;

export class Authenticator {
  private state: State = { kind: 'unknown' };
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<string>>();
  private credentialPromise: Promise<Credential | undefined> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: AuthenticatorOptions) {
    this.now = options.now ?? Date.now;
  }

  get scheme(): State['kind'] {
    return this.state.kind;
  }

  credential(): Promise<Credential | undefined> {
    this.credentialPromise ??= this.options.credentials(this.options.registry);
    return this.credentialPromise;
  }

  /** The Authorization header for a request needing `scopes`, when the scheme is known. */
  async authorization(scopes: readonly string[]): Promise<string | undefined> {
    switch (this.state.kind) {
      case 'basic':
        return basicHeader(await this.credential());
      case 'bearer':
        return `Bearer ${await this.token(mergeScopes(scopes))}`;
      default:
        return undefined;
    }
  }

  /**
   * Handles a 401. Returns true when the request should be sent again with
   * a new {@link authorization}; throws an AuthError when that cannot help.
   */
  async challenge(header: string | undefined, scopes: readonly string[], sentAuthorization: string | undefined): Promise<true> {
    const challenges = header ? parseWwwAuthenticate(header) : [];
    const bearer = findChallenge(challenges, 'bearer');
    const loginHint = `run epack login ${this.options.registry}`;
    if (bearer) {
      const realm = this.checkRealm(bearer.params['realm']);
      this.state = { kind: 'bearer', realm, service: bearer.params['service'] };
      const merged = mergeScopes(scopes, bearer.params['scope']);
      const key = merged.join(' ');
      const cached = this.tokens.get(key);
      if (sentAuthorization !== undefined && cached && sentAuthorization === `Bearer ${cached.token}`) {
        this.tokens.delete(key);
        const insufficient = bearer.params['error'] === 'insufficient_scope';
        throw new AuthError(insufficient ? 'denied' : 'unauthorized', `${this.options.registry} refused the token for ${merged.join(' ') || 'this request'}`, {
          hint: insufficient ? 'the credentials are valid but not allowed to do this' : loginHint,
        });
      }
      const token = await this.token(merged, true);
      const own = mergeScopes(scopes).join(' ');
      if (own !== key) this.tokens.set(own, { token, expiresAt: this.tokens.get(key)?.expiresAt ?? this.now() });
      return true;
    }
    if (findChallenge(challenges, 'basic') || challenges.length === 0) {
      const cred = await this.credential();
      const basic = basicHeader(cred);
      if (!basic) {
        throw new AuthError('unauthorized', `${this.options.registry} requires authentication and no credentials were found`, { hint: loginHint });
      }
      if (sentAuthorization === basic) {
        throw new AuthError('unauthorized', `${this.options.registry} rejected the username or password`, { hint: loginHint });
      }
      this.state = { kind: 'basic' };
      return true;
    }
    throw new AuthError('unsupported_auth', `${this.options.registry} asks for ${challenges.map((c) => c.scheme).join(', ')} authentication, which epack does not support`);
  }

  private checkRealm(realm: string | undefined): URL {
    if (!realm) throw new RegistryError('invalid_response', `${this.options.registry} sent a Bearer challenge without a realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryError('invalid_response', `${this.options.registry} sent a Bearer realm that is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new RegistryError('invalid_response', `${this.options.registry} sent a Bearer realm with scheme ${url.protocol}`);
    }
    if (this.options.origin.protocol === 'https:' && url.protocol === 'http:' && !isLoopbackRegistry(url.host)) {
      throw new AuthError('insecure_realm', `${this.options.registry} (https) sent a token realm over plain http (${url.host}); refusing to send credentials`, {
        hint: 'the registry is misconfigured or the connection is being tampered with',
      });
    }
    return url;
  }

  private async token(scopes: string[], force = false): Promise<string> {
    const key = scopes.join(' ');
    const cached = this.tokens.get(key);
    if (!force && cached && cached.expiresAt - EXPIRY_MARGIN_MS > this.now()) return cached.token;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.fetchToken(scopes).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async fetchToken(scopes: string[]): Promise<string> {
    if (this.state.kind !== 'bearer') throw new AuthError('unauthorized', 'internal: no bearer realm known');
    const { realm, service } = this.state;
    const cred = await this.credential();
    if (cred?.registryToken) return this.remember(scopes, cred.registryToken, undefined);
    const clientId = this.options.clientId ?? 'epack';
    let response: TokenResponse;
    if (cred?.identityToken) {
      response = await this.postForm(realm, { grant_type: 'refresh_token', refresh_token: cred.identityToken, service, scope: scopes.join(' '), client_id: clientId });
    } else {
      const url = new URL(realm);
      if (service) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      const headers: Record<string, string> = { accept: 'application/json' };
      const basic = basicHeader(cred);
      if (basic) headers['authorization'] = basic;
      response = await this.options.send({ method: 'GET', url, headers });
      if ((response.status === 404 || response.status === 405) && cred?.username && cred.password) {
        response = await this.postForm(realm, {
          grant_type: 'password',
          username: cred.username,
          password: cred.password,
          service,
          scope: scopes.join(' '),
          client_id: clientId,
        });
      }
    }
    if (response.status === 401 || response.status === 403) {
      throw new AuthError('unauthorized', `the token service of ${this.options.registry} (${realm.host}) rejected the ${cred ? 'credentials' : 'anonymous request'}`, {
        hint: `run epack login ${this.options.registry}`,
        details: { status: response.status },
      });
    }
    if (response.status !== 200) {
      throw new RegistryError('invalid_response', `the token service of ${this.options.registry} (${realm.host}) answered HTTP ${response.status}`, { details: { status: response.status } });
    }
    return this.parseTokenResponse(scopes, response.text, realm);
  }

  private postForm(realm: URL, fields: Record<string, string | undefined>): Promise<TokenResponse> {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== '') form.set(k, v);
    return this.options.send({
      method: 'POST',
      url: realm,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
    });
  }

  private parseTokenResponse(scopes: string[], text: string, realm: URL): string {
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    try {
      if (text.length > MAX_TOKEN_RESPONSE) throw new Error('too large');
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new RegistryError('invalid_response', `the token service at ${realm.host} did not answer JSON`);
    }
    const token = typeof parsed.access_token === 'string' && parsed.access_token ? parsed.access_token : parsed.token;
    if (typeof token !== 'string' || token.length === 0) {
      throw new RegistryError('invalid_response', `the token service at ${realm.host} answered without a token`);
    }
    const expiresIn = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? Math.max(parsed.expires_in, MIN_TOKEN_LIFETIME_S) : MIN_TOKEN_LIFETIME_S;
    const issuedAt = typeof parsed.issued_at === 'string' ? Date.parse(parsed.issued_at) : NaN;
    const base = Number.isNaN(issuedAt) || issuedAt > this.now() ? this.now() : issuedAt;
    return this.remember(scopes, token, base + expiresIn * 1000);
  }

  private remember(scopes: string[], token: string, expiresAt: number | undefined): string {
    this.tokens.set(scopes.join(' '), { token, expiresAt: expiresAt ?? this.now() + MIN_TOKEN_LIFETIME_S * 1000 });
    return token;
  }
}

export function basicHeader(cred: Credential | undefined): string | undefined {
  if (!cred?.username || cred.password === undefined || cred.password === '') return undefined;
  return `Basic ${Buffer.from(`${cred.username}:${cred.password}`, 'utf8').toString('base64')}`;
}

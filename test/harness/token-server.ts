/**
 * A token server of our own for registries in token mode (distribution's
 * docs/spec/auth/token.md, oauth.md and jwt.md): issues ES256 JWTs with an
 * `x5c` header that the registry checks against its `rootcertbundle`.
 *
 * - GET  /token?service=&scope=&offline_token=true  with or without Basic credentials
 * - POST /token  form: grant_type=password (username, password, access_type=offline)
 *                      or grant_type=refresh_token (refresh_token)
 *
 * Runs inside the test process: tools that talk to it must be spawned
 * asynchronously (never spawnSync), or the event loop cannot answer.
 */
import { randomBytes, randomUUID, sign } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { selfSignedEcCert } from './x509.js';

export interface ScopeRequest {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenRequestRecord {
  method: string;
  grantType: 'basic' | 'anonymous' | 'password' | 'refresh_token';
  account?: string;
  service?: string;
  scopes: string[];
  status: number;
}

export interface TokenServerOptions {
  /** username -> password. */
  users: Record<string, string>;
  service: string;
  issuer: string;
  /** Lifetime of access tokens; default 300 s. */
  expiresInSeconds?: number;
  /**
   * Actions granted for one requested scope. Default: an authenticated user
   * gets everything it asks for; anonymous gets nothing.
   */
  authorize?: (account: string | undefined, scope: ScopeRequest) => string[];
  /** Host named in the realm URL; default `localhost` (served on 127.0.0.1 and ::1). */
  realmHost?: 'localhost' | '127.0.0.1';
  /** Serve https with this certificate (it must name localhost / 127.0.0.1). */
  tls?: { certPem: string; keyPem: string };
}

export interface TokenServer {
  /** `http://127.0.0.1:<port>/token` */
  realm: string;
  service: string;
  issuer: string;
  /** PEM of the self-signed certificate that signs tokens (the registry's rootcertbundle). */
  certificatePem: string;
  /** Every token request, in order. */
  requests: TokenRequestRecord[];
  /** Mints a token directly (tests that need one without HTTP). */
  issue(account: string | undefined, scopes: string[]): string;
  close(): Promise<void>;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** Parses `repository:foo/bar:pull,push`: the name lies between the first and the last colon. */
export function parseScope(scope: string): ScopeRequest | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope.slice(last + 1).split(',').filter(Boolean),
  };
}

function defaultAuthorize(account: string | undefined, scope: ScopeRequest): string[] {
  return account === undefined ? [] : scope.actions;
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const cert = selfSignedEcCert(`${options.issuer} signing key`);
  const expiresIn = options.expiresInSeconds ?? 300;
  const authorize = options.authorize ?? defaultAuthorize;
  const refreshTokens = new Map<string, string>();
  const requests: TokenRequestRecord[] = [];

  const issue = (account: string | undefined, scopes: string[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const access = scopes
      .map(parseScope)
      .filter((s): s is ScopeRequest => s !== undefined)
      .map((s) => ({ type: s.type, name: s.name, actions: authorize(account, s) }));
    const header = { typ: 'JWT', alg: 'ES256', x5c: [cert.der.toString('base64')] };
    const claims = {
      iss: options.issuer,
      sub: account ?? '',
      aud: options.service,
      exp: now + expiresIn,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(input), { key: cert.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${b64url(sig)}`;
  };

  const checkUser = (user: string, password: string): boolean =>
    Object.prototype.hasOwnProperty.call(options.users, user) && options.users[user] === password;

  const newRefreshToken = (account: string): string => {
    const t = randomBytes(24).toString('base64url');
    refreshTokens.set(t, account);
    return t;
  };

  const send = (res: http.ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  const denied = (res: http.ServerResponse, message: string): void =>
    send(res, 401, { errors: [{ code: 'UNAUTHORIZED', message }] });

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/token') return send(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'no such route' }] });
      const now = new Date().toISOString();
      if (req.method === 'GET') {
        const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
        const service = url.searchParams.get('service') ?? undefined;
        const basic = parseBasic(req.headers.authorization);
        const record: TokenRequestRecord = { method: 'GET', grantType: basic ? 'basic' : 'anonymous', scopes, status: 200 };
        if (basic) record.account = basic.user;
        if (service !== undefined) record.service = service;
        requests.push(record);
        if (service !== undefined && service !== options.service) {
          record.status = 400;
          return send(res, 400, { errors: [{ code: 'INVALID_REQUEST', message: 'unknown service' }] });
        }
        if (basic && !checkUser(basic.user, basic.password)) {
          record.status = 401;
          return denied(res, 'invalid username or password');
        }
        const token = issue(basic?.user, scopes);
        const body: Record<string, unknown> = { token, access_token: token, expires_in: expiresIn, issued_at: now };
        if (basic && url.searchParams.get('offline_token') === 'true') body['refresh_token'] = newRefreshToken(basic.user);
        return send(res, 200, body);
      }
      if (req.method === 'POST') {
        const form = new URLSearchParams(await readBody(req));
        const grant = form.get('grant_type');
        const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
        const service = form.get('service') ?? undefined;
        const record: TokenRequestRecord = {
          method: 'POST',
          grantType: grant === 'refresh_token' ? 'refresh_token' : 'password',
          scopes,
          status: 200,
        };
        if (service !== undefined) record.service = service;
        requests.push(record);
        let account: string | undefined;
        let refresh: string | undefined;
        if (grant === 'password') {
          const user = form.get('username') ?? '';
          record.account = user;
          if (!checkUser(user, form.get('password') ?? '')) {
            record.status = 401;
            return denied(res, 'invalid username or password');
          }
          account = user;
          if (form.get('access_type') === 'offline') refresh = newRefreshToken(user);
        } else if (grant === 'refresh_token') {
          const given = form.get('refresh_token') ?? '';
          account = refreshTokens.get(given);
          if (account === undefined) {
            record.status = 401;
            return denied(res, 'invalid refresh token');
          }
          record.account = account;
          refresh = given;
        } else {
          record.status = 400;
          return send(res, 400, { errors: [{ code: 'UNSUPPORTED', message: `grant_type ${grant ?? '(none)'}` }] });
        }
        const token = issue(account, scopes);
        const body: Record<string, unknown> = { access_token: token, scope: scopes.join(' '), expires_in: expiresIn, issued_at: now };
        if (refresh !== undefined) body['refresh_token'] = refresh;
        return send(res, 200, body);
      }
      res.writeHead(405, { Allow: 'GET, POST' }).end();
    })().catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { errors: [{ code: 'INTERNAL', message: String(err) }] });
      else res.destroy();
    });
  };
  const createServer = (): http.Server =>
    options.tls ? https.createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, handler) : http.createServer(handler);
  const server = createServer();
  const port = await listen(server, 0, '127.0.0.1');
  // The realm names `localhost`, not an IP literal: crane (go-containerregistry
  // >= 0.21) refuses realms on loopback/private IP literals unless they equal
  // the registry's host:port. Clients may resolve localhost to ::1 first, so
  // answer there too when the machine has IPv6 loopback.
  const servers = [server];
  if (options.realmHost === undefined || options.realmHost === 'localhost') {
    const v6 = createServer();
    try {
      await listen(v6, port, '::1');
      servers.push(v6);
    } catch {
      // no IPv6 loopback here
    }
  }
  const realmHost = options.realmHost ?? 'localhost';
  return {
    realm: `${options.tls ? 'https' : 'http'}://${realmHost}:${port}/token`,
    service: options.service,
    issuer: options.issuer,
    certificatePem: cert.pem,
    requests,
    issue,
    close: () =>
      Promise.all(
        servers.map(
          (srv) =>
            new Promise<void>((resolve) => {
              srv.closeAllConnections();
              srv.close(() => resolve());
            }),
        ),
      ).then(() => undefined),
  };
}

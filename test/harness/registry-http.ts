/**
 * Plain fetch against a RunningRegistry with its credentials: Basic, or the
 * bearer flow (challenge -> token from the realm -> retry). Test-side only:
 * lets tests check what a registry holds without going through our client.
 */
import type { RunningRegistry } from './registries.js';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses one `WWW-Authenticate` challenge: `Bearer realm="…",service="…",scope="…"`. */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g;
  for (let p = re.exec(m[2]!); p; p = re.exec(m[2]!)) {
    params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme: m[1]!.toLowerCase(), params };
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** Fetches a bearer token for `challenge` (adding `scope` if given) with the registry's credentials. */
export async function fetchToken(
  reg: RunningRegistry,
  challenge: Challenge,
  scope?: string,
  credentials: { username?: string; password?: string } = reg,
): Promise<{ status: number; token?: string; body: unknown }> {
  const realm = challenge.params['realm'];
  if (!realm) throw new Error('bearer challenge without realm');
  const url = new URL(realm);
  if (challenge.params['service']) url.searchParams.set('service', challenge.params['service']);
  const scopes = new Set([challenge.params['scope'], scope].filter((s): s is string => !!s));
  for (const s of scopes) url.searchParams.append('scope', s);
  const headers: Record<string, string> = {};
  if (credentials.username !== undefined && credentials.password !== undefined) {
    headers['Authorization'] = basic(credentials.username, credentials.password);
  }
  const res = await fetch(url, { headers });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  const b = body as { token?: string; access_token?: string } | null;
  const token = res.ok ? (b?.token ?? b?.access_token) : undefined;
  return token === undefined ? { status: res.status, body } : { status: res.status, token, body };
}

/**
 * `fetch(reg.url + pathAndQuery)` with credentials. For token mode it first
 * asks unauthenticated, follows the bearer challenge (with `scope` added)
 * and retries with the token. A body is sent twice then: pass bytes or a
 * string, not a stream.
 */
export async function registryFetch(
  reg: RunningRegistry,
  pathAndQuery: string,
  init: RequestInit = {},
  scope?: string,
): Promise<Response> {
  const url = `${reg.url}${pathAndQuery}`;
  const headers = new Headers(init.headers);
  if (reg.auth === 'basic' && reg.username !== undefined && reg.password !== undefined) {
    headers.set('Authorization', basic(reg.username, reg.password));
    return fetch(url, { ...init, headers });
  }
  if (reg.auth !== 'token') return fetch(url, { ...init, headers });
  const probe = await fetch(url, { ...init, headers });
  if (probe.status !== 401) return probe;
  await probe.arrayBuffer();
  const challenge = parseChallenge(probe.headers.get('www-authenticate'));
  if (!challenge || challenge.scheme !== 'bearer') return probe;
  const { token, status } = await fetchToken(reg, challenge, scope);
  if (!token) throw new Error(`token request failed with HTTP ${status}`);
  headers.set('Authorization', `Bearer ${token}`);
  return fetch(url, { ...init, headers });
}

/** Repository scope string, e.g. `repository:a/b:pull,push`. */
export function repoScope(repository: string, actions: readonly string[] = ['pull']): string {
  return `repository:${repository}:${actions.join(',')}`;
}

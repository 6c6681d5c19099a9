/**
 * Referenced artifacts (pack.md §4.3-§4.4, §7.7-§7.8): epack never fetches
 * them on its own. These checks are for a caller that was told to fetch one:
 * the URI must be https without userinfo or fragment and must not point at
 * loopback, link-local or private addresses (also in obfuscated spellings),
 * a redirect is re-checked, credentials only go to the same origin, and URLs
 * are redacted before they are logged.
 */
import { isIP } from 'node:net';
import { PackError, VerificationError } from '../error.js';

function refuse(code: string, uri: string, message: string): never {
  throw new PackError(code, `reference URI ${redactUrl(uri)}: ${message}`, { details: { uri: redactUrl(uri) } });
}

/** Throws unless `uri` may be fetched: https, no userinfo, no fragment, public host. */
export function checkReferenceUri(uri: string): URL {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return refuse('invalid_uri', uri, 'not a valid absolute URI');
  }
  if (url.protocol !== 'https:') refuse('insecure_scheme', uri, `scheme ${url.protocol.replace(/:$/, '')} is not allowed (https only)`);
  if (url.username !== '' || url.password !== '' || /^[^/]*\/\/[^/]*@/.test(uri)) refuse('userinfo_not_allowed', uri, 'credentials in the URI are not allowed');
  if (url.hash !== '' || uri.includes('#')) refuse('fragment_not_allowed', uri, 'fragments are not allowed');
  const klass = classifyHost(url.hostname);
  if (klass === 'loopback') refuse('loopback_rejected', uri, 'loopback addresses are not allowed');
  if (klass === 'link_local') refuse('link_local_rejected', uri, 'link-local addresses are not allowed');
  if (klass === 'private') refuse('private_network_rejected', uri, 'private network addresses are not allowed');
  return url;
}

/** Re-checks a redirect target; private targets give `redirect_to_private_rejected`. */
export function checkReferenceRedirect(from: string, to: string): URL {
  const target = new URL(to, from).toString();
  try {
    return checkReferenceUri(target);
  } catch (err) {
    if (err instanceof PackError && ['loopback_rejected', 'link_local_rejected', 'private_network_rejected'].includes(err.code)) {
      throw new PackError('redirect_to_private_rejected', `redirect from ${redactUrl(from)} to ${redactUrl(target)} leaves the public network`, {
        cause: err,
      });
    }
    throw err;
  }
}

/**
 * Whether credentials for `original` may be sent to `target`: only to the
 * same origin (scheme, host and port).
 */
export function mayForwardCredentials(original: string, target: string): boolean {
  return new URL(original).origin === new URL(target, original).origin;
}

/** Compares fetched bytes' digest with the reference's; absent digest = unverified. */
export function verifyReferenceDigest(expected: string | undefined, actual: string): 'verified' | 'unverified' {
  if (expected === undefined) return 'unverified';
  if (expected !== actual) throw new VerificationError('digest_mismatch', `referenced bytes have digest ${actual}, the manifest says ${expected}`);
  return 'verified';
}

export type HostClass = 'public' | 'loopback' | 'link_local' | 'private' | 'unspecified';

/** Classifies a hostname or IP literal, decoding decimal/hex/octal IPv4 and IPv4-mapped IPv6. */
export function classifyHost(hostname: string): HostClass {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback';
  const v4 = parseIPv4Loose(host);
  if (v4 !== undefined) return classifyIPv4(v4);
  if (isIP(host) === 6) return classifyIPv6(host);
  return 'public';
}

/** Parses IPv4 as WHATWG/inet_aton do: 1-4 parts, each decimal, 0x-hex or 0-octal. */
export function parseIPv4Loose(host: string): number | undefined {
  const parts = host.split('.');
  if (parts.length === 0 || parts.length > 4 || parts.some((p) => p === '')) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0x[0-9a-f]*$/.test(p)) n = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]+$/.test(p)) n = parseInt(p.slice(1), 8);
    else if (/^(0|[1-9][0-9]*)$/.test(p)) n = parseInt(p, 10);
    else return undefined;
    nums.push(n);
  }
  const last = nums.pop() as number;
  if (nums.some((n) => n > 255) || last >= 256 ** (4 - nums.length)) return undefined;
  let value = last;
  nums.forEach((n, i) => (value += n * 256 ** (3 - i)));
  return value;
}

function classifyIPv4(ip: number): HostClass {
  const a = Math.floor(ip / 2 ** 24);
  const b = Math.floor(ip / 2 ** 16) % 256;
  if (ip === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 169 && b === 254) return 'link_local';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 100 && b >= 64 && b <= 127) return 'private'; // carrier-grade NAT
  if (a === 0) return 'private';
  return 'public';
}

function expandIPv6(host: string): number[] {
  let text = host;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const ip = parseIPv4Loose(v4[1] as string) ?? 0;
    tail.push(Math.floor(ip / 65536), ip % 65536);
    text = text.slice(0, -v4[1]!.length) + (text.endsWith('::' + v4[1]) ? '' : '0');
    if (text.endsWith(':0')) text = text.slice(0, -2);
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':').filter(Boolean).map((h) => parseInt(h, 16)) : [];
  const right = rest ? rest.split(':').filter(Boolean).map((h) => parseInt(h, 16)) : [];
  const fill = 8 - left.length - right.length - tail.length;
  return [...left, ...(rest !== undefined ? new Array<number>(Math.max(fill, 0)).fill(0) : []), ...right, ...tail];
}

function classifyIPv6(host: string): HostClass {
  const g = expandIPv6(host);
  if (g.length !== 8) return 'public';
  if (g.every((x) => x === 0)) return 'unspecified';
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'loopback';
  const embedded = (hi: number, lo: number) => classifyIPv4(hi * 65536 + lo);
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible)
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) return embedded(g[6]!, g[7]!);
  if (g[0] === 0x2002) return embedded(g[1]!, g[2]!); // 6to4
  if ((g[0]! & 0xffc0) === 0xfe80) return 'link_local';
  if ((g[0]! & 0xfe00) === 0xfc00) return 'private'; // unique local (RFC 4193)
  return 'public';
}

/** Query parameters whose values are secrets (pack.md §7.7). */
export const SENSITIVE_QUERY_PARAMS = ['token', 'access_token', 'api_key', 'apikey', 'secret', 'password', 'sig', 'signature', 'x-amz-signature', 'x-amz-credential', 'x-amz-security-token', 'code', 'client_secret', 'refresh_token', 'id_token'];

/** Redacts userinfo and sensitive query values: `?token=REDACTED&sig=REDACTED`. */
export function redactUrl(uri: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*@)?([^?#]*)(\?[^#]*)?(#.*)?$/i.exec(uri);
  if (!m) return uri;
  const [, scheme = '', userinfo, rest = '', query, fragment = ''] = m;
  const auth = userinfo ? 'REDACTED@' : '';
  let q = query ?? '';
  if (q) {
    q =
      '?' +
      q
        .slice(1)
        .split('&')
        .map((pair) => {
          const eq = pair.indexOf('=');
          const name = eq === -1 ? pair : pair.slice(0, eq);
          return eq !== -1 && SENSITIVE_QUERY_PARAMS.includes(decodeURIComponent(name).toLowerCase()) ? `${name}=REDACTED` : pair;
        })
        .join('&');
  }
  return scheme + auth + rest + q + fragment;
}

/** Header names whose values are credentials. */
const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'x-api-key', 'x-auth-token', 'x-registry-auth', 'private-token'];
const HEADER_RE = new RegExp(`\\b(${SECRET_HEADERS.join('|')})(\\s*[:=]\\s*)(?:(bearer|basic|digest|token|negotiate)\\s+)?[^\\s,;]+`, 'gi');

/**
 * Redacts secrets from free text (log lines, error messages): credential
 * header values (`Authorization: Bearer REDACTED`), cookies, bare bearer and
 * basic credentials, URL userinfo and sensitive query values.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(HEADER_RE, (_m, name: string, sep: string, scheme: string | undefined) => `${name}${sep}${scheme ? scheme + ' ' : ''}REDACTED`)
    .replace(/\b(cookie|set-cookie)(\s*:\s*)[^\r\n]*/gi, '$1$2REDACTED')
    .replace(/\b(bearer|basic)\s+(?!REDACTED\b)[A-Za-z0-9._~+/=-]{8,}/gi, '$1 REDACTED')
    .replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (url) => redactUrl(url));
}

export interface ReferenceFetchApproval {
  /** The user explicitly approved this fetch (for example a --fetch-references flag). */
  approved?: boolean;
  /** Hosts that may be fetched without asking (exact, lowercase). */
  allowlist?: readonly string[];
}

/**
 * The gate in front of any fetch of a referenced artifact (pack.md §4.4):
 * throws `fetch_not_approved` without explicit approval or an allowlisted
 * host, then applies {@link checkReferenceUri}.
 */
export function authorizeReferenceFetch(uri: string, approval: ReferenceFetchApproval = {}): URL {
  const url = checkReferenceUri(uri);
  const allowed = approval.allowlist?.includes(url.hostname.toLowerCase()) ?? false;
  if (!approval.approved && !allowed) {
    throw new PackError('fetch_not_approved', `reference URI ${redactUrl(uri)} is not fetched without explicit approval or an allowlist entry`);
  }
  return url;
}

/**
 * Protocol traces for `--debug`: method, URL, status and headers, with
 * credentials, cookies, tokens and signed-URL secrets redacted.
 */

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-registry-auth', 'x-amz-security-token']);
const SECRET_QUERY = /^(?:.*token.*|.*password.*|.*secret.*|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|se|code)$/i;

export const REDACTED = '***';

export function redactHeader(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (SECRET_HEADERS.has(lower)) {
    const space = value.indexOf(' ');
    // Keep the scheme ("Bearer ***") for diagnosis.
    return lower.endsWith('authorization') && space > 0 && space < 16 ? `${value.slice(0, space)} ${REDACTED}` : REDACTED;
  }
  if (lower === 'location' || lower === 'link' || lower === 'content-location') return redactQuery(value);
  return value;
}

export function redactUrl(url: URL | string): string {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    return '<unparseable URL>';
  }
  if (u.username || u.password) {
    u.username = REDACTED;
    u.password = '';
  }
  for (const key of [...u.searchParams.keys()]) {
    if (SECRET_QUERY.test(key)) u.searchParams.set(key, REDACTED);
  }
  return u.toString();
}

/** Redacts secret-looking query parameters in a (possibly relative) URL or header value. */
export function redactQuery(value: string): string {
  return value.replace(/([?&;])([^=&#\s<>]+)=([^&#\s<>]*)/g, (whole, sep: string, key: string) => (SECRET_QUERY.test(key) ? `${sep}${key}=${REDACTED}` : whole));
}

/** The URL without query or credentials, for error messages. */
export function displayUrl(url: URL | string): string {
  try {
    const u = new URL(String(url));
    return `${u.host}${u.pathname}`;
  } catch {
    return '<unparseable URL>';
  }
}

export function formatHeaders(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([k, v]) => `${k}: ${redactHeader(k, v)}`)
    .join('; ');
}

/**
 * What crossed the wire, as the fault proxy and the hostile registry record
 * it. Credentials never land in a record: `Authorization` keeps its scheme
 * only.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface RecordedRequest {
  /** 1-based, in arrival order. */
  seq: number;
  method: string;
  /** Path and query, as sent. */
  path: string;
  /** Lower-case names; `authorization` reduced to `<scheme> [redacted]`. */
  headers: Record<string, string>;
  /** The scheme of the Authorization header (`basic`, `bearer`), if one was sent. */
  authScheme?: string;
  /** Bytes of request body received. */
  bodyBytes: number;
  /** Status sent back (undefined when the connection was cut before a status). */
  status?: number;
  /** The fault or behaviour applied, if any. */
  fault?: string;
}

export function redactHeaders(headers: IncomingHttpHeaders): { headers: Record<string, string>; authScheme?: string } {
  const out: Record<string, string> = {};
  let authScheme: string | undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const v = Array.isArray(value) ? value.join(', ') : value;
    if (name === 'authorization' || name === 'proxy-authorization') {
      const scheme = v.split(/\s+/, 1)[0] ?? '';
      if (name === 'authorization') authScheme = scheme.toLowerCase();
      out[name] = `${scheme} [redacted]`;
    } else {
      out[name] = v;
    }
  }
  return authScheme === undefined ? { headers: out } : { headers: out, authScheme };
}

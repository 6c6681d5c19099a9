import { RegistryError } from '../error.js';

/**
 * The `rel="next"` target of a `Link` header, resolved against the request
 * URL. Links to another origin are refused (a registry must not send the
 * client, and its token, elsewhere).
 */
export function nextLink(header: string | undefined, base: URL, what: string): URL | undefined {
  if (!header) return undefined;
  for (const part of header.slice(0, 8192).split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!m || m[1] === undefined) continue;
    if (!/;\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/i.test(m[2] ?? '')) continue;
    let url: URL;
    try {
      url = new URL(m[1], base);
    } catch {
      throw new RegistryError('invalid_response', `${what}: the pagination link is not a URL`);
    }
    if (url.origin !== base.origin) throw new RegistryError('invalid_response', `${what}: the pagination link points to another origin (${url.origin})`);
    return url;
  }
  return undefined;
}

/** Guards a pagination loop: a bounded page count and no page twice. */
export class PageGuard {
  private readonly seen = new Set<string>();
  constructor(
    private readonly what: string,
    private readonly maxPages: number,
  ) {}

  visit(url: URL): void {
    const key = url.toString();
    if (this.seen.has(key)) throw new RegistryError('invalid_response', `${this.what}: the registry's pagination loops back to a page it already sent`);
    this.seen.add(key);
    if (this.seen.size > this.maxPages) throw new RegistryError('invalid_response', `${this.what}: more than ${this.maxPages} pages; giving up`);
  }
}

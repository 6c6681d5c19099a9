import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EpackError } from '../../src/error.js';
import { MAX_CHALLENGE_HEADER_BYTES, parseWwwAuthenticate } from '../../src/registry/auth/challenge.js';
import { mergeScopes } from '../../src/registry/auth/scope.js';
import { redactHeader, redactUrl } from '../../src/registry/debug.js';
import { parseWarnings } from '../../src/registry/http.js';
import { nextLink } from '../../src/registry/link.js';
import { backoffDelay, nextDelay, parseRetryAfter, retryPolicy } from '../../src/registry/retry.js';

describe('WWW-Authenticate', () => {
  it('parses Bearer with quoted params', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:acme/x:pull,push"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.example.com/token', service: 'registry.example.com', scope: 'repository:acme/x:pull,push' } },
    ]);
  });
  it('parses several challenges, token params, escapes and odd spacing', () => {
    const got = parseWwwAuthenticate('Basic realm="Registry \\"R\\"" , Bearer realm = "https://a/t", service=svc, error="insufficient_scope", Negotiate abc==');
    expect(got.map((c) => c.scheme)).toEqual(['basic', 'bearer', 'negotiate']);
    expect(got[0]?.params['realm']).toBe('Registry "R"');
    expect(got[1]?.params).toMatchObject({ realm: 'https://a/t', service: 'svc', error: 'insufficient_scope' });
    expect(got[2]?.token68).toBe('abc==');
  });
  it('keeps the first of duplicate params and lowercases names', () => {
    expect(parseWwwAuthenticate('BEARER Realm="a", realm="b"')[0]).toMatchObject({ scheme: 'bearer', params: { realm: 'a' } });
  });
  it('treats unterminated quotes and garbage leniently', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://a/t')[0]?.params['realm']).toBe('https://a/t');
    expect(parseWwwAuthenticate('')).toEqual([]);
    expect(parseWwwAuthenticate('  ,,, ')).toEqual([]);
  });
  it('refuses oversized headers with a typed error', () => {
    expect(() => parseWwwAuthenticate('Bearer realm="' + 'x'.repeat(MAX_CHALLENGE_HEADER_BYTES) + '"')).toThrow(expect.objectContaining({ code: 'invalid_response' }) as Error);
  });
  it('never raises anything but typed errors on hostile input (property)', () => {
    const piece = fc.oneof(fc.constantFrom('Bearer', 'Basic', 'realm', '=', '"', '\\', ',', ' ', 'scope', 'a=b', '==', '\t', '\u0000', 'é'), fc.string({ maxLength: 10 }));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 400 }), fc.array(piece, { maxLength: 60 }).map((a) => a.join(''))), (header) => {
        try {
          const out = parseWwwAuthenticate(header);
          expect(out.length).toBeLessThanOrEqual(16);
          for (const c of out) expect(typeof c.scheme).toBe('string');
        } catch (err) {
          expect(err).toBeInstanceOf(EpackError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('scopes', () => {
  it('merges actions per resource and sorts', () => {
    expect(mergeScopes(['repository:acme/x:pull'], 'repository:acme/x:push repository:acme/y:pull')).toEqual(['repository:acme/x:pull,push', 'repository:acme/y:pull']);
    expect(mergeScopes(['registry:catalog:*'], undefined)).toEqual(['registry:catalog:*']);
    expect(mergeScopes([], '')).toEqual([]);
  });
});

describe('Retry-After and backoff', () => {
  const now = Date.parse('2026-11-22T04:00:00Z');
  it('parses delta-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('Sun, 22 Nov 2026 04:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sunday, 22-Nov-26 04:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 03:00:00 GMT', now)).toBe(0);
  });
  it('ignores malformed values', () => {
    for (const v of [undefined, '', '-1', '1.5', 'soon', '12abc', 'x'.repeat(100)]) expect(parseRetryAfter(v, now)).toBeUndefined();
  });
  it('bounds attempts, total time and single waits', () => {
    const policy = retryPolicy({ maxAttempts: 3, maxElapsedMs: 10_000, baseDelayMs: 100, maxDelayMs: 5_000 });
    expect(nextDelay(policy, 1, now, undefined, now)).toBeGreaterThanOrEqual(50);
    expect(nextDelay(policy, 3, now, undefined, now)).toBeUndefined();
    expect(nextDelay(policy, 1, now, 60_000, now)).toBe(5_000);
    expect(nextDelay(policy, 1, now, 4_000, now + 8_000)).toBeUndefined();
    for (let a = 1; a < 30; a++) {
      const d = backoffDelay(policy, a);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(5_000);
    }
  });
});

describe('Link pagination', () => {
  const base = new URL('https://r.example/v2/acme/x/tags/list?n=2');
  it('follows rel="next" relative and absolute on the same origin', () => {
    expect(nextLink('</v2/acme/x/tags/list?n=2&last=b>; rel="next"', base, 'x')?.toString()).toBe('https://r.example/v2/acme/x/tags/list?n=2&last=b');
    expect(nextLink('<https://r.example/v2/a?x=1>; rel=next', base, 'x')?.toString()).toBe('https://r.example/v2/a?x=1');
    expect(nextLink('<https://r.example/p>; rel="prev", <https://r.example/n>; rel="next"', base, 'x')?.pathname).toBe('/n');
    expect(nextLink(undefined, base, 'x')).toBeUndefined();
  });
  it('refuses another origin', () => {
    expect(() => nextLink('<https://evil.example/v2/x>; rel="next"', base, 'x')).toThrow(expect.objectContaining({ code: 'invalid_response' }) as Error);
  });
});

describe('redaction and warnings', () => {
  it('redacts credentials in headers and URLs', () => {
    expect(redactHeader('Authorization', 'Bearer abc.def')).toBe('Bearer ***');
    expect(redactHeader('authorization', 'Basic dXNlcjpwYXNz')).toBe('Basic ***');
    expect(redactHeader('Cookie', 'a=b')).toBe('***');
    expect(redactHeader('content-type', 'x')).toBe('x');
    const u = redactUrl('https://user:pw@s3.example/blob?X-Amz-Signature=abc&access_token=t&digest=sha256:1');
    expect(u).not.toContain('pw');
    expect(u).not.toContain('abc');
    expect(u).not.toContain('=t&');
    expect(u).toContain('digest=sha256');
  });
  it('parses 299 warnings only', () => {
    expect(parseWarnings('299 - "this image is deprecated", 199 - "misc"')).toEqual(['this image is deprecated']);
  });
});

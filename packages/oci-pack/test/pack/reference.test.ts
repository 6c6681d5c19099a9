import { describe, expect, it } from 'vitest';
import { EpackError } from '../../src/error.js';
import {
  authorizeReferenceFetch,
  checkReferenceRedirect,
  checkReferenceUri,
  classifyHost,
  mayForwardCredentials,
  parseIPv4Loose,
  redactSecrets,
  redactUrl,
  verifyReferenceDigest,
} from '../../src/pack/reference.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof EpackError) return err.code;
    throw err;
  }
}

describe('reference URI safety (pack.md §4.4)', () => {
  it('accepts public https URIs', () => {
    expect(checkReferenceUri('https://trust.vendor.com/portal/soc2?x=1').hostname).toBe('trust.vendor.com');
    expect(checkReferenceUri('https://[2606:4700::1111]/a').hostname).toBe('[2606:4700::1111]');
  });

  it.each([
    ['http://example.com/a', 'insecure_scheme'],
    ['ftp://example.com/a', 'insecure_scheme'],
    ['https://user:pass@example.com/a', 'userinfo_not_allowed'],
    ['https://user@example.com/a', 'userinfo_not_allowed'],
    ['https://example.com/a#frag', 'fragment_not_allowed'],
    ['https://example.com/a#', 'fragment_not_allowed'],
    ['https://127.0.0.1/a', 'loopback_rejected'],
    ['https://localhost/a', 'loopback_rejected'],
    ['https://2130706433/a', 'loopback_rejected'],
    ['https://0x7f000001/a', 'loopback_rejected'],
    ['https://0177.0.0.1/a', 'loopback_rejected'],
    ['https://127.1/a', 'loopback_rejected'],
    ['https://[::1]/a', 'loopback_rejected'],
    ['https://[::ffff:127.0.0.1]/a', 'loopback_rejected'],
    ['https://169.254.169.254/latest/meta-data', 'link_local_rejected'],
    ['https://[fe80::1]/a', 'link_local_rejected'],
    ['https://10.1.2.3/a', 'private_network_rejected'],
    ['https://172.16.0.1/a', 'private_network_rejected'],
    ['https://192.168.1.1/a', 'private_network_rejected'],
    ['https://[fd00::1]/a', 'private_network_rejected'],
    ['https://[2002:c0a8:0101::1]/a', 'private_network_rejected'],
    ['https://[::ffff:c0a8:101]/a', 'private_network_rejected'],
    ['not a uri', 'invalid_uri'],
  ])('%s -> %s', (uri, code) => {
    expect(codeOf(() => checkReferenceUri(uri))).toBe(code);
  });

  it('classifies hosts', () => {
    expect(classifyHost('172.32.0.1')).toBe('public');
    expect(classifyHost('8.8.8.8')).toBe('public');
    expect(classifyHost('0.0.0.0')).toBe('unspecified');
    expect(classifyHost('example.com')).toBe('public');
    expect(parseIPv4Loose('1.2.3')).toBe(0x01020003);
    expect(parseIPv4Loose('256.1.1.1')).toBeUndefined();
    expect(parseIPv4Loose('example')).toBeUndefined();
  });

  it('re-checks redirects and never forwards credentials across origins', () => {
    expect(checkReferenceRedirect('https://example.com/a', 'https://cdn.example.com/a').hostname).toBe('cdn.example.com');
    expect(codeOf(() => checkReferenceRedirect('https://example.com/a', 'https://192.168.1.1/a'))).toBe('redirect_to_private_rejected');
    expect(codeOf(() => checkReferenceRedirect('https://example.com/a', 'http://example.com/a'))).toBe('insecure_scheme');
    expect(mayForwardCredentials('https://example.com/a', '/b')).toBe(true);
    expect(mayForwardCredentials('https://example.com/a', 'https://other.example.net/a')).toBe(false);
    expect(mayForwardCredentials('https://example.com/a', 'https://example.com:8443/a')).toBe(false);
  });

  it('fetches only with approval or an allowlisted host', () => {
    expect(codeOf(() => authorizeReferenceFetch('https://example.com/a'))).toBe('fetch_not_approved');
    expect(authorizeReferenceFetch('https://example.com/a', { approved: true }).hostname).toBe('example.com');
    expect(authorizeReferenceFetch('https://example.com/a', { allowlist: ['example.com'] }).hostname).toBe('example.com');
    expect(codeOf(() => authorizeReferenceFetch('https://10.0.0.1/a', { approved: true }))).toBe('private_network_rejected');
  });

  it('verifies fetched bytes against the digest, or reports them unverified', () => {
    const dg = 'sha256:' + 'a'.repeat(64);
    expect(verifyReferenceDigest(dg, dg)).toBe('verified');
    expect(verifyReferenceDigest(undefined, dg)).toBe('unverified');
    expect(codeOf(() => verifyReferenceDigest(dg, 'sha256:' + 'b'.repeat(64)))).toBe('digest_mismatch');
  });
});

describe('redaction (pack.md §7.7)', () => {
  it('redacts sensitive query values and userinfo', () => {
    expect(redactUrl('https://registry.example.com/pack.zip?token=secret123&sig=abc')).toBe('https://registry.example.com/pack.zip?token=REDACTED&sig=REDACTED');
    expect(redactUrl('https://user:password@registry.example.com/')).toBe('https://REDACTED@registry.example.com/');
    expect(redactUrl('https://x/?page=2&API_KEY=k')).toBe('https://x/?page=2&API_KEY=REDACTED');
  });

  it('redacts Authorization headers, bearer tokens and URLs in free text', () => {
    const out = redactSecrets('Authorization: Bearer eyJhbGciOiJIUzI1NiIs fetching https://u:p4ss@h/x?access_token=t0k3n then basic dXNlcjpwYXNz');
    expect(out).not.toMatch(/eyJhbGci|p4ss|t0k3n|dXNlcjpwYXNz/);
    expect(out).toContain('Authorization: Bearer REDACTED');
  });

  it('error messages about URIs carry the redacted form', () => {
    try {
      checkReferenceUri('http://h/x?token=secret123');
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toContain('token=REDACTED');
      expect((err as Error).message).not.toContain('secret123');
    }
  });
});

describe('redactSecrets headers', () => {
  it.each([
    ['Authorization: Bearer abc.def.ghi', 'Authorization: Bearer REDACTED'],
    ['authorization=tok3nvalue rest', 'authorization=REDACTED rest'],
    ['Proxy-Authorization: Basic dXNlcjpwYXNz', 'Proxy-Authorization: Basic REDACTED'],
    ['X-Api-Key: k3y', 'X-Api-Key: REDACTED'],
    ['Cookie: session=abc; other=def', 'Cookie: REDACTED'],
    ['Set-Cookie: id=1; HttpOnly', 'Set-Cookie: REDACTED'],
    ['Authorization: s3cr3t and more words', 'Authorization: REDACTED and more words'],
  ])('%s', (input, output) => {
    expect(redactSecrets(input)).toBe(output);
  });
});

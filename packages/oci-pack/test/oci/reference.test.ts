import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EpackError } from '../../src/error.js';
import {
  credentialKey,
  formatReference,
  isLoopbackRegistry,
  parseLayoutReference,
  parseReference,
  parseRegistryReference,
  registryHost,
} from '../../src/oci/reference.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseRegistryReference', () => {
  const valid: Array<[string, { registry: string; repository: string; tag?: string; digest?: string }]> = [
    ['ghcr.io/acme/evidence:2026-11', { registry: 'ghcr.io', repository: 'acme/evidence', tag: '2026-11' }],
    [`ghcr.io/acme/evidence@${D}`, { registry: 'ghcr.io', repository: 'acme/evidence', digest: D }],
    [`ghcr.io/acme/evidence:v1@${D}`, { registry: 'ghcr.io', repository: 'acme/evidence', tag: 'v1', digest: D }],
    ['localhost:5000/x:y', { registry: 'localhost:5000', repository: 'x', tag: 'y' }],
    ['localhost/x', { registry: 'localhost', repository: 'x' }],
    ['127.0.0.1:5000/a/b/c:latest', { registry: '127.0.0.1:5000', repository: 'a/b/c', tag: 'latest' }],
    ['[::1]:5000/repo:tag', { registry: '[::1]:5000', repository: 'repo', tag: 'tag' }],
    ['[::1]/repo', { registry: '[::1]', repository: 'repo' }],
    ['acme/evidence', { registry: 'docker.io', repository: 'acme/evidence' }],
    ['alpine', { registry: 'docker.io', repository: 'library/alpine' }],
    ['alpine:3.20', { registry: 'docker.io', repository: 'library/alpine', tag: '3.20' }],
    ['docker.io/alpine', { registry: 'docker.io', repository: 'library/alpine' }],
    ['index.docker.io/acme/x', { registry: 'docker.io', repository: 'acme/x' }],
    ['GHCR.IO/acme/x', { registry: 'ghcr.io', repository: 'acme/x' }],
    ['reg.example.com/a__b/c-d/e.f:T_1.x-y', { registry: 'reg.example.com', repository: 'a__b/c-d/e.f', tag: 'T_1.x-y' }],
    ['reg.example.com/a--b', { registry: 'reg.example.com', repository: 'a--b' }],
  ];
  it.each(valid)('parses %s', (input, expected) => {
    expect(parseRegistryReference(input)).toEqual({ kind: 'registry', ...expected });
  });

  const invalid: Array<[string, RegExp]> = [
    ['', /empty/],
    ['ghcr.io/Acme/x', /lowercase/],
    ['ghcr.io/acme/x:', /tag/],
    ['ghcr.io/acme/x:-bad', /tag/],
    [`ghcr.io/acme/x:${'t'.repeat(129)}`, /tag/],
    ['ghcr.io/acme/x@sha256:abc', /digest/],
    [`ghcr.io/acme/x@sha256:${'A'.repeat(64)}`, /digest/],
    ['https://ghcr.io/acme/x', /scheme/],
    ['ghcr.io//x', /empty path/],
    ['ghcr.io/acme/x_', /component/],
    ['ghcr.io/acme/x y', /whitespace/],
    ['ghcr.io:99999/x', /port/],
    ['[::1/x', /IPv6/],
    ['-bad.example/x', /registry host/],
    [`r.io/${'a'.repeat(260)}`, /longer/],
  ];
  it.each(invalid)('rejects %j', (input, why) => {
    let caught: unknown;
    try {
      parseRegistryReference(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(EpackError);
    expect((caught as EpackError).code).toBe('invalid_reference');
    expect((caught as EpackError).kind).toBe('input');
    expect((caught as EpackError).hint).toBeTruthy();
    expect((caught as EpackError).message).toMatch(why);
  });

  it('knows Docker Hub host and credential key', () => {
    expect(registryHost('docker.io')).toBe('registry-1.docker.io');
    expect(credentialKey('docker.io')).toBe('https://index.docker.io/v1/');
    expect(registryHost('ghcr.io')).toBe('ghcr.io');
    expect(credentialKey('localhost:5000')).toBe('localhost:5000');
  });

  it('detects loopback registries', () => {
    for (const r of ['localhost', 'localhost:5000', '127.0.0.1', '127.1.2.3:80', '[::1]', '[::1]:5000']) expect(isLoopbackRegistry(r)).toBe(true);
    for (const r of ['ghcr.io', '128.0.0.1', 'localhost.example.com', '[::2]:5000', '127.0.0.256']) expect(isLoopbackRegistry(r)).toBe(false);
  });

  it('round-trips through formatReference (property)', () => {
    const component = fc.stringMatching(/^[a-z0-9]{1,8}(?:[._-][a-z0-9]{1,8})?$/);
    const host = fc.oneof(fc.constant('ghcr.io'), fc.constant('localhost:5000'), fc.constant('[::1]:5000'), fc.constant('registry.example.com:443'));
    const tag = fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/), { nil: undefined });
    const digest = fc.option(fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `sha256:${h}`), { nil: undefined });
    fc.assert(
      fc.property(host, fc.array(component, { minLength: 1, maxLength: 4 }), tag, digest, (h, parts, t, d) => {
        const ref = { kind: 'registry' as const, registry: h, repository: parts.join('/'), ...(t ? { tag: t } : {}), ...(d ? { digest: d } : {}) };
        expect(parseRegistryReference(formatReference(ref))).toEqual(ref);
      }),
    );
  });

  it('never throws anything but invalid_reference (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        try {
          parseReference(s);
        } catch (err) {
          expect(err).toBeInstanceOf(EpackError);
          expect((err as EpackError).code).toBe('invalid_reference');
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseLayoutReference (skopeo syntax)', () => {
  it.each([
    ['oci:./store', { path: './store' }],
    ['oci:./store:v1', { path: './store', tag: 'v1' }],
    ['oci:/abs/dir', { path: '/abs/dir' }],
    [`oci:store@${D}`, { path: 'store', digest: D }],
    ['oci:C:\\packs:v1', { path: 'C:\\packs', tag: 'v1' }],
  ])('parses %s', (input, expected) => {
    expect(parseLayoutReference(input)).toEqual({ kind: 'layout', ...expected });
    expect(parseReference(input)).toEqual({ kind: 'layout', ...expected });
  });
  it.each(['oci:', 'oci::v1', 'oci:dir:a:b', 'oci:dir@sha256:zz'])('rejects %j', (input) => {
    expect(() => parseLayoutReference(input)).toThrow(expect.objectContaining({ code: 'invalid_reference' }) as Error);
  });
  it('formats back', () => {
    expect(formatReference(parseReference('oci:./store:v1'))).toBe('oci:./store:v1');
  });
});

import { describe, expect, it } from 'vitest';
import { AuthError, NetworkError, NotFoundError, RegistryError, UsageError } from '../../src/error.js';
import { errorForResponse, parseErrorBody } from '../../src/registry/errors.js';

const body = (code: string, message = 'm'): string => JSON.stringify({ errors: [{ code, message, detail: { x: 1 } }] });
const ctx = { what: 'GET manifest r.example/a:v1', notFoundCode: 'manifest_unknown', registry: 'r.example' };

describe('registry error mapping', () => {
  it.each([
    ['MANIFEST_UNKNOWN', 404, NotFoundError, 'manifest_unknown'],
    ['BLOB_UNKNOWN', 404, NotFoundError, 'blob_unknown'],
    ['NAME_UNKNOWN', 404, NotFoundError, 'name_unknown'],
    ['BLOB_UPLOAD_UNKNOWN', 404, NotFoundError, 'blob_upload_unknown'],
    ['UNAUTHORIZED', 401, AuthError, 'unauthorized'],
    ['DENIED', 403, AuthError, 'denied'],
    ['TOOMANYREQUESTS', 429, NetworkError, 'too_many_requests'],
    ['UNSUPPORTED', 405, RegistryError, 'unsupported'],
    ['DIGEST_INVALID', 400, RegistryError, 'digest_invalid'],
    ['MANIFEST_BLOB_UNKNOWN', 400, RegistryError, 'manifest_blob_unknown'],
    ['NAME_INVALID', 400, UsageError, 'name_invalid'],
  ] as const)('maps %s', (code, status, Class, expected) => {
    const err = errorForResponse(status, body(code, 'registry says so'), ctx);
    expect(err).toBeInstanceOf(Class);
    expect(err.code).toBe(expected);
    expect(err.message).toContain('registry says so');
    expect(err.details).toMatchObject({ status });
  });

  it.each([
    [401, 'auth', 'unauthorized'],
    [403, 'auth', 'denied'],
    [404, 'not_found', 'manifest_unknown'],
    [405, 'registry', 'unsupported'],
    [413, 'registry', 'too_large'],
    [503, 'network', 'registry_unavailable'],
    [429, 'network', 'too_many_requests'],
    [418, 'registry', 'invalid_response'],
  ] as const)('maps a bare %i', (status, kind, code) => {
    const err = errorForResponse(status, '404 page not found', ctx);
    expect(err.kind).toBe(kind);
    expect(err.code).toBe(code);
  });

  it('reads error bodies defensively', () => {
    expect(parseErrorBody('not json')).toEqual([]);
    expect(parseErrorBody('{"errors":"x"}')).toEqual([]);
    expect(parseErrorBody('{"errors":[{"code":1},{"code":"DENIED"}]}')).toEqual([{ code: 'DENIED' }]);
    expect(parseErrorBody(JSON.stringify({ errors: [{ code: 'X'.repeat(500), message: 'y'.repeat(5000) }] }))[0]?.message?.length).toBe(500);
  });

  it('says "not found" in words, with what to check, for a bodiless 404 (HEAD)', () => {
    const manifest = errorForResponse(404, '', ctx);
    expect(manifest.message).toBe('GET manifest r.example/a:v1: not found (HTTP 404)');
    expect(manifest.hint).toBe('check the repository name and the tag or digest');
    const blob = errorForResponse(404, '', { ...ctx, notFoundCode: 'blob_unknown' });
    expect(blob).toBeInstanceOf(NotFoundError);
    expect(blob.hint).toContain('no blob with this digest');
  });

  it('hints at login for auth failures', () => {
    expect(errorForResponse(401, '', ctx).hint).toContain('epack login r.example');
  });
});

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NotFoundError, PackError } from '../../src/error.js';
import { errorCodes, runConformance } from '../../src/pack/conformance.js';
import { KNOWN_CONFLICTS, stringifyWithLexemes, VECTOR_HANDLERS } from '../../src/pack/conformance-vectors.js';
import { parseStrictJson } from '../../src/pack/json.js';
import { sharedPath } from '../../../../test/harness/tools.js';

const vectors = sharedPath('evidence-pack', 'test-vectors');
const scratch = mkdtempSync(path.join(tmpdir(), 'epack-conformance-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.skipIf(!vectors)('the spec test vectors', () => {
  it('all pass, every vector file is mapped, and the one conflict is reported as waived', async () => {
    const summary = await runConformance(vectors as string);
    const failures = summary.results.filter((r) => !r.pass).map((r) => `${r.vector}#${r.case}: ${r.failure}`);
    expect(failures).toEqual([]);
    expect(summary.total).toBeGreaterThanOrEqual(380);
    expect(summary.vectorsVersion).toBe(readFileSync(path.join(vectors as string, 'VERSION'), 'utf8').trim());
    expect(new Set(summary.results.map((r) => r.vector))).toEqual(new Set(Object.keys(VECTOR_HANDLERS)));
    expect(summary.waived).toBe(Object.keys(KNOWN_CONFLICTS).length);
    // Hardening-profile vectors run too.
    expect(summary.results.some((r) => r.profile === 'hardening' && r.pass && !r.result.ok)).toBe(true);
  });

  it('reports runner-spec objects: invalid vectors rejected with the expected code, computed values for valid ones', async () => {
    const summary = await runConformance(vectors as string, { filter: 'manifest-digest/' });
    const basic = summary.results.find((r) => r.vector === 'manifest-digest/basic-manifest.json');
    expect(basic?.result).toEqual({
      ok: true,
      errors: [],
      computed: {
        jcs_canonical:
          '{"artifacts":[],"generated_at":"2026-01-20T12:00:00Z","pack_digest":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","sources":[],"spec_version":"1.0","stream":"test-stream"}',
        manifest_digest: '2102528472c5ca0d7adc74baf2e39b30b5454fa5cd2e1ef489de1abc853e73c2',
      },
    });
    const bom = summary.results.find((r) => r.case === 'utf8_bom');
    expect(bom).toMatchObject({ valid: false, pass: true, result: { ok: false } });
    expect(bom?.result.errors[0]?.code).toBe('json_parse_error');
    expect(summary.results.every((r) => r.vector.startsWith('manifest-digest/'))).toBe(true);
  });

  it('runs fixture ZIPs through the real reader (openPack)', async () => {
    const seen: string[] = [];
    const summary = await runConformance(vectors as string, {
      filter: 'zip-safety/symlink',
      openPack: async (p) => {
        seen.push(path.basename(p));
        throw new PackError('symlink', 'stub reader');
      },
    });
    expect(seen).toEqual(['symlink.zip']);
    expect(summary.results[0]?.result.errors.map((e) => e.code)).toEqual(['symlink', 'zip_symlink']);
  });

  it('checks entry-level vectors through the reader too: a reader that disagrees fails the case', async () => {
    const accepting = await runConformance(vectors as string, { filter: 'zip-safety/path-traversal', openPack: async () => ({ close: async () => undefined }) });
    expect(accepting.failed).toBe(3);
    expect(accepting.results[0]?.failure).toBe('the pack reader accepts the archive although the entry rules reject it (path_traversal)');
    const other = await runConformance(vectors as string, {
      filter: 'structure/extra-top-level-files',
      openPack: async () => {
        throw new PackError('invalid_zip_format', 'stub');
      },
    });
    const valid = other.results.filter((r) => r.valid);
    const invalid = other.results.filter((r) => !r.valid);
    expect(valid.length).toBeGreaterThan(0);
    expect(valid.every((r) => !r.pass && /rejects the archive \(invalid_zip_format/.test(r.failure ?? ''))).toBe(true);
    expect(invalid.every((r) => !r.pass && /rejects the archive with invalid_zip_format, the entry rules with/.test(r.failure ?? ''))).toBe(true);
  });

  it('fails a fixture case when the reader accepts the archive', async () => {
    const summary = await runConformance(vectors as string, {
      filter: 'zip-safety/duplicate-paths',
      openPack: async () => ({ close: async () => undefined }),
    });
    expect(summary.failed).toBe(1);
    expect(summary.results[0]?.failure).toBe('accepted but the vector is invalid');
  });
});

describe('runner behaviour on synthetic vectors', () => {
  function mk(files: Record<string, unknown>): string {
    const dir = mkdtempSync(path.join(scratch, 'v-'));
    for (const [rel, content] of Object.entries(files)) {
      const file = path.join(dir, rel);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    }
    return dir;
  }

  it('a valid vector that epack rejects fails, with the reason', async () => {
    const dir = mk({
      'path-validation/valid-paths.json': { name: 'valid-paths', tests: [{ path: 'artifacts/../x', valid: true }] },
    });
    const summary = await runConformance(dir);
    expect(summary.failed).toBe(1);
    expect(summary.results[0]?.failure).toMatch(/rejected \(invalid_path\) but the vector is valid/);
  });

  it('a rejection with another code than expected_error fails', async () => {
    const dir = mk({
      'path-validation/reserved-names.json': { name: 'x', tests: [{ name: 'n', path: 'artifacts/con', valid: false, expected_error: 'invalid_path' }] },
    });
    const summary = await runConformance(dir);
    expect(summary.results[0]?.failure).toBe('rejected with reserved_name but the vector expects invalid_path');
  });

  it('a wrong computed value fails', async () => {
    const dir = mk({
      'pack-digest/empty-artifacts.json': { name: 'e', input: { artifacts: [] }, expected: { pack_digest: 'sha256:' + '0'.repeat(64) }, valid: true },
    });
    const summary = await runConformance(dir);
    expect(summary.results[0]?.failure).toMatch(/^computed pack_digest "sha256:e3b0/);
  });

  it('an unknown vector file is a failure, never silently skipped', async () => {
    const dir = mk({ 'new-area/new-vector.json': { name: 'n', tests: [] } });
    const summary = await runConformance(dir);
    expect(summary.results).toHaveLength(1);
    expect(summary.results[0]).toMatchObject({ vector: 'new-area/new-vector.json', pass: false, result: { errors: [{ code: 'unsupported_vector' }] } });
  });

  it('a vector file with duplicate keys is reported, not half-read', async () => {
    const dir = mk({ 'jcs/key-sorting.json': '{"name":"a","name":"b","tests":[]}' });
    const summary = await runConformance(dir);
    expect(summary.results[0]?.failure).toMatch(/duplicate key/);
  });

  it('accepts the spec repository root and uses its test-vectors/ directory', async () => {
    const root = mkdtempSync(path.join(scratch, 'repo-'));
    mkdirSync(path.join(root, 'test-vectors', 'pack-digest'), { recursive: true });
    writeFileSync(path.join(root, 'test-vectors', 'VERSION'), '9.9\n');
    writeFileSync(
      path.join(root, 'test-vectors', 'pack-digest', 'empty-artifacts.json'),
      JSON.stringify({ name: 'e', input: { artifacts: [] }, expected: { canonical_input: '' }, valid: true }),
    );
    const summary = await runConformance(root);
    expect(summary.vectorsDir).toBe(path.join(root, 'test-vectors'));
    expect(summary.vectorsVersion).toBe('9.9');
    expect(summary.passed).toBe(1);
  });

  it('a missing directory is not_found', async () => {
    await expect(runConformance(path.join(scratch, 'nope'))).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('helpers', () => {
  it('errorCodes lists epack\'s code first, then reason, related and runner-spec names', () => {
    const err = new PackError('compression_bomb', 'x', { details: { reason: 'compression_bomb', location: 'artifacts/a' } });
    expect(errorCodes(err)).toEqual([{ code: 'compression_bomb', message: 'x', location: 'artifacts/a' }, { code: 'zip_bomb' }]);
    expect(errorCodes(new PackError('missing_stream', 'm')).map((e) => e.code)).toEqual(['missing_stream', 'missing_required_field']);
    expect(errorCodes(new Error('boom'))).toEqual([{ code: 'internal_error', message: 'boom' }]);
  });

  it('stringifyWithLexemes keeps every number as written', () => {
    const lexemes = new WeakMap<object, Map<string | number, string>>();
    const text = '{"a":[1.0,1e3,-0.50],"b":{"c":9007199254740993}}';
    expect(stringifyWithLexemes(parseStrictJson(text, { numberLexemes: lexemes }), lexemes)).toBe(text);
  });
});

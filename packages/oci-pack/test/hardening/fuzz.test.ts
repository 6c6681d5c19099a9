/**
 * Property fuzzing of every parser that reads untrusted input: references,
 * OCI manifests and indexes, pack manifests, strict JSON, JCS, artifact
 * paths, the ZIP reader (mutated valid packs) and registry headers
 * (WWW-Authenticate, Link, error bodies). The one rule: an input is
 * accepted or rejected with an EpackError subclass, never another
 * exception, and never a hang. Properties that already exist elsewhere
 * (round trips in oci/reference, pack/json, pack/jcs, pack/paths) are not
 * repeated; these add the "only typed errors" rule under mutation.
 *
 * Runs: FC_RUNS, else 10,000 under CI=true and 1,000 locally. A failure
 * found here is shrunk by fast-check and kept below as a regression case.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { EpackError } from '../../src/error.js';
import { parseLayoutReference, parseReference, parseRegistryReference, formatReference } from '../../src/oci/reference.js';
import { canonicalize } from '../../src/pack/jcs.js';
import { parseStrictJson, type JsonValue } from '../../src/pack/json.js';
import { parseManifest as parsePackManifest } from '../../src/pack/manifest.js';
import { checkCaseCollisions, validateArtifactPath } from '../../src/pack/paths.js';
import { verifyPackIntegrity } from '../../src/pack/read.js';
import { parsePackImageManifest } from '../../src/publish/mapping.js';
import { parseWwwAuthenticate } from '../../src/registry/auth/challenge.js';
import { parseErrorBody } from '../../src/registry/errors.js';
import { nextLink } from '../../src/registry/link.js';
import { parseManifest as parseOciManifest } from '../../src/store/graph.js';
import { craftZip, manifestFor, packEntries } from '../pack/zip-craft.js';

const IN_CI = process.env['CI'] === 'true' || process.env['CI'] === '1';
const RUNS = Number(process.env['FC_RUNS'] ?? (IN_CI ? 10_000 : 1_000));
/** File-backed properties cost a temp file per run: a tenth, at least 200. */
const FILE_RUNS = Math.max(200, Math.floor(RUNS / 10));

/** Runs `fn`; anything thrown must be an EpackError. Returns the error code, or 'ok'. */
function typedOnly(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (err instanceof EpackError) return err.code;
    throw new Error(`untyped ${(err as Error)?.constructor?.name ?? typeof err}: ${String((err as Error)?.message ?? err)}`, { cause: err });
  }
}

/** Byte-level mutations of a valid input: flips, truncation, a spliced slice, an insertion. */
function mutations(base: Buffer): fc.Arbitrary<Buffer> {
  const at = fc.nat({ max: Math.max(0, base.length - 1) });
  const flip = fc.array(fc.record({ at, value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 6 }).map((flips) => {
    const b = Buffer.from(base);
    for (const f of flips) b[f.at] = f.value;
    return b;
  });
  const truncate = at.map((n) => base.subarray(0, n));
  const splice = fc.tuple(at, at, at).map(([a, b, c]) => {
    const [from, to] = a <= b ? [a, b] : [b, a];
    return Buffer.concat([base.subarray(0, c), base.subarray(from, to), base.subarray(c)]);
  });
  const insert = fc.tuple(at, fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([n, bytes]) => Buffer.concat([base.subarray(0, n), Buffer.from(bytes), base.subarray(n)]));
  return fc.oneof(flip, truncate, splice, insert);
}

/** Text mutations biased toward the characters parsers care about. */
function textMutations(base: string, alphabet: string): fc.Arbitrary<string> {
  const ch = fc.constantFrom(...alphabet.split(''));
  return fc
    .array(fc.record({ at: fc.nat({ max: base.length }), op: fc.constantFrom('insert', 'delete', 'replace'), ch }), { minLength: 1, maxLength: 5 })
    .map((edits) => {
      let s = base;
      for (const e of edits) {
        const i = Math.min(e.at, s.length);
        if (e.op === 'insert') s = s.slice(0, i) + e.ch + s.slice(i);
        else if (e.op === 'delete') s = s.slice(0, i) + s.slice(i + 1);
        else s = s.slice(0, i) + e.ch + s.slice(i + 1);
      }
      return s;
    });
}

describe('references', () => {
  const valid = [
    'ghcr.io/acme/evidence:2026-11',
    `localhost:5000/a/b@sha256:${'a'.repeat(64)}`,
    `registry.example.com:443/x/y/z:v1@sha256:${'0'.repeat(64)}`,
    'acme/evidence',
    '[::1]:5000/repo:tag',
  ];
  const alphabet = ':/@._-+[]%\\ Aa0\u0000\u00e9\u200bsha256';

  it('mutated references parse or fail with invalid_reference, and what parses formats back to itself', () => {
    fc.assert(
      fc.property(fc.constantFrom(...valid).chain((v) => textMutations(v, alphabet)), (input) => {
        let parsed: ReturnType<typeof parseReference> | undefined;
        const code = typedOnly(() => (parsed = parseReference(input)));
        if (code !== 'ok') return;
        expect(typedOnly(() => parseReference(formatReference(parsed!)))).toBe('ok');
      }),
      { numRuns: RUNS },
    );
  });

  it('registry and layout references: any string, only typed errors', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 120 }).map((s) => `oci:${s}`)), (input) => {
        typedOnly(() => parseRegistryReference(input));
        typedOnly(() => parseLayoutReference(input));
        typedOnly(() => parseReference(input));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('OCI manifests and indexes from a registry', () => {
  const digest = (c: string) => `sha256:${c.repeat(64)}`;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.evidencepack.pack.v1',
      config: { mediaType: 'application/vnd.evidencepack.manifest.v1+json', digest: digest('a'), size: 10 },
      layers: [{ mediaType: 'application/json', digest: digest('b'), size: 3, annotations: { 'org.opencontainers.image.title': 'artifacts/a.json' } }],
      subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest('c'), size: 5 },
      annotations: { 'org.opencontainers.image.created': '2026-11-01T12:00:00Z' },
    }),
  );
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest('d'), size: 7, artifactType: 'a/b' }],
    }),
  );

  it('mutated manifests and indexes: only typed errors (graph parser and pack mapping)', () => {
    fc.assert(
      fc.property(fc.oneof(mutations(manifest), mutations(index)), (bytes) => {
        typedOnly(() => parseOciManifest(bytes, 'fuzz'));
        typedOnly(() => parsePackImageManifest(bytes, 'fuzz'));
      }),
      { numRuns: RUNS },
    );
  });

  it('structurally odd JSON documents: only typed errors', () => {
    const descriptorish = fc.record(
      { mediaType: fc.oneof(fc.string(), fc.jsonValue()), digest: fc.oneof(fc.constant(digest('e')), fc.string(), fc.jsonValue()), size: fc.oneof(fc.integer(), fc.double(), fc.jsonValue()) },
      { requiredKeys: [] },
    );
    const doc = fc.record(
      {
        schemaVersion: fc.oneof(fc.constant(2), fc.jsonValue()),
        mediaType: fc.oneof(fc.constantFrom('application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json'), fc.jsonValue()),
        config: fc.oneof(descriptorish, fc.jsonValue()),
        layers: fc.oneof(fc.array(descriptorish, { maxLength: 3 }), fc.jsonValue()),
        manifests: fc.oneof(fc.array(descriptorish, { maxLength: 3 }), fc.jsonValue()),
        subject: fc.oneof(descriptorish, fc.jsonValue()),
        annotations: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(doc, fc.jsonValue()), (value) => {
        const bytes = Buffer.from(JSON.stringify(value) ?? 'null');
        typedOnly(() => parseOciManifest(bytes, 'fuzz'));
        typedOnly(() => parsePackImageManifest(bytes, 'fuzz'));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('pack manifest.json', () => {
  const valid = manifestFor({ 'artifacts/a.json': '{"a":1}', 'artifacts/b/c.txt': 'c' });

  it('mutated manifest bytes: accepted or rejected with an EpackError', () => {
    fc.assert(
      fc.property(mutations(valid), (bytes) => {
        typedOnly(() => parsePackManifest(bytes));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('strict JSON and JCS', () => {
  it('any bytes: parseStrictJson returns a value or throws an EpackError', () => {
    const jsonish = fc.array(fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', 'u', 'd800', '1', '-', '.', 'e', '+', '0', 'true', 'null', ' ', '\u0000', '\u2028', 'é', '"k"'), { maxLength: 40 }).map((a) => Buffer.from(a.join('')));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)), jsonish), (bytes) => {
        typedOnly(() => parseStrictJson(bytes));
      }),
      { numRuns: RUNS },
    );
  });

  it('deep nesting is refused with a typed error, not a stack overflow', () => {
    for (const depth of [1_000, 100_000]) {
      expect(typedOnly(() => parseStrictJson('['.repeat(depth) + ']'.repeat(depth)))).not.toBe('ok');
      expect(typedOnly(() => parseStrictJson('{"a":'.repeat(depth) + '1' + '}'.repeat(depth)))).not.toBe('ok');
    }
  });

  it('canonicalize: any value (lone surrogates, non-finite numbers) gives JSON that parses strictly to the same canonical form, or an EpackError', () => {
    const odd = fc.oneof(fc.string({ unit: 'binary' }), fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 1e21, 5e-324));
    const value = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 2 }), odd, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), tie('v'), { maxKeys: 3 })),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        let text = '';
        if (typedOnly(() => (text = canonicalize(v as JsonValue))) !== 'ok') return;
        const again = parseStrictJson(Buffer.from(text, 'utf8'));
        expect(canonicalize(again)).toBe(text);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('artifact paths', () => {
  it('mutations of valid paths: valid or a PackError; case collisions the same', () => {
    const alphabet = './\\:%\u0000\u0301\u00e9 \u200bAaCcOoNn1~';
    const valid = ['artifacts/a.json', 'artifacts/sub/dir/report.sarif', 'artifacts/CON/x', 'artifacts/e\u0301.txt'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...valid).chain((v) => textMutations(v, alphabet)), { minLength: 1, maxLength: 4 }), (paths) => {
        for (const p of paths) typedOnly(() => validateArtifactPath(p));
        typedOnly(() => checkCaseCollisions(paths));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('registry headers and error bodies', () => {
  const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{0,12}$/);
  const quoted = fc.string({ maxLength: 30 }).map((s) => `"${s.replace(/"/g, '\\"')}"`);
  const param = fc.tuple(token, fc.constantFrom('=', ' = ', '', '=='), fc.oneof(token, quoted, fc.constant('"unterminated'))).map(([k, eq, v]) => `${k}${eq}${v}`);
  const challenge = fc.tuple(fc.constantFrom('Bearer', 'Basic', 'bearer', 'Digest', '', 'Negotiate'), fc.array(param, { maxLength: 6 }), fc.constantFrom(',', ', ', ' ,', ';')).map(([scheme, params, sep]) => `${scheme} ${params.join(sep)}`);

  it('WWW-Authenticate: structured hostile challenges give challenges or a typed error', () => {
    fc.assert(
      fc.property(fc.array(challenge, { minLength: 1, maxLength: 4 }).map((c) => c.join(', ')), (header) => {
        typedOnly(() => parseWwwAuthenticate(header));
      }),
      { numRuns: RUNS },
    );
  });

  it('Link headers: a same-origin URL, nothing, or a typed error', () => {
    const base = new URL('https://registry.example.com/v2/a/referrers/sha256:x');
    const target = fc.oneof(fc.constantFrom('/v2/a/referrers/x?n=2', 'https://registry.example.com/next', 'https://evil.example.com/x', '//evil.example.com/x', 'javascript:alert(1)', 'http://registry.example.com/x'), fc.string({ maxLength: 40 }));
    const link = fc.tuple(target, fc.constantFrom('rel="next"', 'rel=next', 'rel="prev"', '', 'rel="next"; x=1')).map(([t, rel]) => `<${t}>; ${rel}`);
    fc.assert(
      fc.property(fc.oneof(link, fc.string({ maxLength: 80 })), (header) => {
        let next: URL | undefined;
        if (typedOnly(() => (next = nextLink(header, base, 'fuzz'))) === 'ok' && next) expect(next.origin).toBe(base.origin);
      }),
      { numRuns: RUNS },
    );
  });

  it('registry error bodies never throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.jsonValue().map((v) => JSON.stringify(v) ?? ''), fc.jsonValue().map((v) => JSON.stringify({ errors: v }))), (body) => {
        expect(typedOnly(() => parseErrorBody(body))).toBe('ok');
      }),
      { numRuns: RUNS },
    );
  });
});

describe('ZIP reader under mutation (flips, truncations, splices, insertions)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'epack-fuzz-hard-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const packs = [
    craftZip(packEntries({ 'artifacts/a.json': '{"a":1}', 'artifacts/b/c.txt': 'see '.repeat(40) }).map((e, i) => (i === 2 ? { ...e, method: 8 as const } : e))),
    craftZip([...packEntries({ 'artifacts/x.bin': Buffer.alloc(3000, 7) }).map((e) => ({ ...e, method: 8 as const })), { name: 'attestations/k.sigstore.json', data: '{}' }]),
  ];
  let n = 0;

  it('only EpackErrors of kind input or verification, each within 5 s', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...packs).chain((p) => mutations(p)), async (bytes) => {
        const file = path.join(dir, `m${n++}.epack`);
        writeFileSync(file, bytes);
        let timer: NodeJS.Timeout | undefined;
        try {
          const hang = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('hang: the reader did not finish within 5 s')), 5_000);
          });
          await Promise.race([verifyPackIntegrity(file), hang]);
        } catch (err) {
          if (!(err instanceof EpackError)) throw err;
          expect(['input', 'verification', 'not_found']).toContain(err.kind);
        } finally {
          clearTimeout(timer);
          rmSync(file, { force: true });
        }
      }),
      { numRuns: FILE_RUNS },
    );
  }, 120_000);
});

/**
 * How each Evidence Pack test vector file (locktivity/evidence-pack
 * `test-vectors/`) maps onto the library: one handler per file turns it into
 * cases, each calling the same functions epack itself uses. Vector files
 * differ in shape, so the mapping is explicit rather than guessed; a file
 * without a handler is reported as a failing case, never skipped.
 */
import { EpackError, PackError } from '../error.js';
import {
  checkAttestationStatement,
  checkStatement,
  checkSubjectDigest,
  PACK_PREDICATE_TYPE,
  parseAttestation,
  STATEMENT_SUBJECT_NAME,
  STATEMENT_TYPE,
} from './attestation.js';
import { errorCodes } from './conformance-codes.js';
import { packZip, type RawEntry } from './conformance-zip.js';
import { computeManifestDigest, computePackDigest, isValidDigest, packDigestInput, sha256Hex } from './digest.js';
import { checkEntryAttributes, checkEntryType, checkPackStructure, classifyEntryName, unixFileType } from './entries.js';
import { canonicalize } from './jcs.js';
import { assertJsonIntegerLexeme, isJsonObject, parseStrictJson, type JsonObject, type JsonValue } from './json.js';
import { limitsFromConfig } from './limits.js';
import { embeddedArtifacts, parseManifest, validateArtifact, validateProvenance } from './manifest.js';
import { checkCaseCollisions, validateArtifactPath } from './paths.js';
import {
  authorizeReferenceFetch,
  checkReferenceRedirect,
  checkReferenceUri,
  mayForwardCredentials,
  redactSecrets,
  redactUrl,
  verifyReferenceDigest,
} from './reference.js';
import { isValidTimestamp } from './timestamp.js';
import type { PackLimits, PackManifest } from './types.js';

export type Computed = Record<string, JsonValue>;
export type Lexemes = WeakMap<object, Map<string | number, string>>;

/** One case of a vector file. `run` throws an EpackError when the input is rejected. */
export interface VectorCase {
  name: string;
  /** Whether the vector expects acceptance. */
  valid: boolean;
  /** The vector's `expected_error`, when it names one. */
  expectedError?: string;
  /** The vector's descriptive `reason` for rejection, if any. */
  reason?: string;
  /** Values `run` must compute (keys of the runner spec's `computed`). */
  expected?: Computed;
  profile?: string;
  run: () => Promise<Computed | void> | Computed | void;
}

export interface VectorFile {
  /** Path relative to the vectors directory, with forward slashes. */
  rel: string;
  /** Absolute directory of the vector file (fixtures are relative to it). */
  dir: string;
  data: JsonObject;
  lexemes: Lexemes;
}

/** The ZIP-level entry point the fixture vectors need (src/pack/read.ts). */
export type OpenPackFn = (path: string, opts: { limits?: Partial<PackLimits> }) => Promise<{ close(): Promise<void> }>;

export interface HandlerContext {
  openPack: () => Promise<OpenPackFn>;
  /** Writes bytes to a temporary file and returns its path. */
  tempFile: (name: string, bytes: Uint8Array) => Promise<string>;
  resolve: (vector: VectorFile, relative: string) => string;
}

type Handler = (v: VectorFile, ctx: HandlerContext) => VectorCase[];

const encoder = new TextEncoder();

/** Serializes a parsed value back to JSON keeping every number's original spelling. */
export function stringifyWithLexemes(value: JsonValue, lexemes: Lexemes, parent?: object, key?: string | number): string {
  if (typeof value === 'number') {
    const lexeme = parent !== undefined && key !== undefined ? lexemes.get(parent)?.get(key) : undefined;
    return lexeme ?? String(value);
  }
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return '[' + value.map((item, i) => stringifyWithLexemes(item, lexemes, value, i)).join(',') + ']';
  return '{' + Object.keys(value).map((k) => JSON.stringify(k) + ':' + stringifyWithLexemes(value[k] as JsonValue, lexemes, value, k)).join(',') + '}';
}

function fail(message: string): never {
  throw new PackError('behavior_violated', message);
}

let archives = 0;

/**
 * Runs the entry rules, then the same entries wrapped in an archive through
 * the pack reader, and fails the case when the two disagree (accept vs.
 * reject, or a reader rejection without the rules' code).
 */
async function alsoThroughReader(ctx: HandlerContext, pure: () => unknown, archive: () => Buffer): Promise<void> {
  let ruleError: unknown;
  try {
    pure();
  } catch (err) {
    if (!(err instanceof EpackError)) throw err;
    ruleError = err;
  }
  let readerError: unknown;
  try {
    const file = await ctx.tempFile(`entry-${archives++}.epack`, archive());
    const pack = await (await ctx.openPack())(file, {});
    await pack.close();
  } catch (err) {
    readerError = err;
  }
  const readerCodes = readerError === undefined ? [] : errorCodes(readerError).map((e) => e.code);
  if (ruleError === undefined && readerError !== undefined) {
    fail(`the pack reader rejects the archive (${readerCodes.join('/')}: ${(readerError as Error).message}) although the entry rules accept it`);
  }
  if (ruleError instanceof EpackError) {
    if (readerError === undefined) fail(`the pack reader accepts the archive although the entry rules reject it (${ruleError.code})`);
    if (!readerCodes.includes(ruleError.code)) fail(`the pack reader rejects the archive with ${readerCodes.join('/')}, the entry rules with ${ruleError.code}`);
    throw ruleError;
  }
}

/** Wraps one entry name into a pack: listed in the manifest when it is a valid artifact file. */
function archiveForName(name: string): Buffer {
  if (name === 'manifest.json') return packZip([{ name: 'artifacts/' }], []);
  let listed: string[] = [];
  try {
    if (!name.endsWith('/') && classifyEntryName(name) === 'artifact') listed = [name];
  } catch {
    listed = [];
  }
  const entries: RawEntry[] = name === 'artifacts/' ? [{ name }] : [{ name: 'artifacts/' }, { name }];
  return packZip(entries, listed);
}

/** Entries of a vector's ZIP listing, apart from the manifest (packZip writes that). */
function archiveForEntries(names: readonly string[], listed: readonly string[]): Buffer {
  const manifestAt = names.includes('manifest.json') ? 'manifest.json' : (names.find((n) => n.endsWith('/manifest.json')) ?? null);
  const entries = names.filter((n) => n !== manifestAt).map((name) => ({ name }));
  return packZip(entries, manifestAt === 'manifest.json' ? listed : [], manifestAt);
}

function obj(value: JsonValue | undefined): JsonObject {
  return isJsonObject(value) ? value : {};
}

function list(value: JsonValue | undefined): JsonValue[] {
  return Array.isArray(value) ? value : [];
}

function str(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function caseName(t: JsonObject, i: number, prefix = ''): string {
  const name = str(t['name']) ?? str(t['entry_path']) ?? str(t['path']) ?? str(t['value']) ?? str(t['policy']) ?? str(t['input']) ?? str(t['description']);
  return prefix + (name !== undefined ? (name === '' ? `#${i} (empty)` : name) : `#${i}`);
}

function validOf(t: JsonObject, fallback = true): boolean {
  if (typeof t['valid'] === 'boolean') return t['valid'];
  if (t['expected'] === 'reject' || t['expected'] === 'reject_config') return false;
  if (t['expected'] === 'accept' || t['expected'] === 'accept_config') return true;
  return fallback;
}

function base(t: JsonObject, i: number, fallbackValid = true, prefix = ''): Pick<VectorCase, 'name' | 'valid' | 'expectedError' | 'reason'> {
  const c: Pick<VectorCase, 'name' | 'valid' | 'expectedError' | 'reason'> = { name: caseName(t, i, prefix), valid: validOf(t, fallbackValid) };
  const expectedError = str(t['expected_error']);
  if (expectedError !== undefined) c.expectedError = expectedError;
  const reason = str(t['reason']);
  if (reason !== undefined) c.reason = reason;
  return c;
}

/** The bytes of a vector's JSON input: a string is taken as the document text itself. */
function inputBytes(v: VectorFile, value: JsonValue, parent: object, key: string | number): Uint8Array {
  if (typeof value === 'string') return encoder.encode(value);
  return encoder.encode(stringifyWithLexemes(value, v.lexemes, parent, key));
}

/** A value re-parsed from its own serialization, with fresh lexemes (for functions that take values). */
function reparse(v: VectorFile, value: JsonValue, parent: object, key: string | number): { value: JsonValue; lexemes: Lexemes } {
  const lexemes: Lexemes = new WeakMap();
  return { value: parseStrictJson(inputBytes(v, value, parent, key), { numberLexemes: lexemes }), lexemes };
}

function manifestOnly(bytes: Uint8Array): PackManifest {
  return parseManifest(bytes, { verifyPackDigest: false });
}

function tests(v: VectorFile, key = 'tests'): JsonObject[] {
  return list(v.data[key]).filter(isJsonObject);
}

// ---------------------------------------------------------------------------
// jcs/

const jcsCanonical: Handler = (v) =>
  tests(v).map((t, i) => ({
    ...base(t, i),
    expected: t['expected_canonical'] !== undefined ? { jcs_canonical: t['expected_canonical'] } : undefined,
    run: () => {
      const value = t['input_json'] !== undefined ? parseStrictJson(String(t['input_json'])) : reparse(v, t['input'] as JsonValue, t, 'input').value;
      return { jcs_canonical: canonicalize(value) };
    },
  }));

const jcsNumbers: Handler = (v) => {
  const run = (text: string): Computed => {
    const lexemes: Lexemes = new WeakMap();
    const holder = parseStrictJson(`[${text}]`, { numberLexemes: lexemes }) as JsonValue[];
    const lexeme = lexemes.get(holder)?.get(0);
    if (lexeme === undefined) throw new PackError('invalid_number', `${text} is not a JSON number`);
    assertJsonIntegerLexeme(lexeme, text);
    return { jcs_canonical: canonicalize(holder[0] as JsonValue) };
  };
  return [
    ...tests(v, 'valid_numbers').map((t, i) => ({
      ...base(t, i, true, 'valid_numbers/'),
      expected: { jcs_canonical: t['expected_canonical'] as JsonValue },
      run: () => run(String(t['input'])),
    })),
    ...tests(v, 'invalid_numbers').map((t, i) => ({ ...base(t, i, false, 'invalid_numbers/'), run: () => run(String(t['input'])) })),
  ];
};

// ---------------------------------------------------------------------------
// limits/

const minimumLimits: Handler = (v) =>
  tests(v).map((t, i) => ({
    ...base(t, i),
    name: `${i}:${JSON.stringify(t['config'])}`,
    run: () => {
      limitsFromConfig(obj(t['config']));
    },
  }));

// ---------------------------------------------------------------------------
// manifest-digest/

function manifestDigestComputed(bytes: Uint8Array): Computed {
  const value = parseStrictJson(bytes);
  return { jcs_canonical: canonicalize(value), manifest_digest: computeManifestDigest(bytes) };
}

const manifestDigestSingle: Handler = (v) => {
  const input = obj(v.data['input']);
  const expected = obj(v.data['expected']);
  const want: Computed = {};
  if (expected['jcs_canonical'] !== undefined) want['jcs_canonical'] = expected['jcs_canonical'];
  if (expected['sha256'] !== undefined) want['manifest_digest'] = expected['sha256'];
  return [
    {
      ...base(v.data, 0),
      name: str(v.data['name']) ?? v.rel,
      expected: Object.keys(want).length > 0 ? want : undefined,
      run: () => {
        const bytes = inputBytes(v, input['manifest'] as JsonValue, input, 'manifest');
        manifestOnly(bytes);
        return manifestDigestComputed(bytes);
      },
    },
  ];
};

const manifestDigestInvariance: Handler = (v) =>
  tests(v).map((t, i) => ({
    ...base(t, i),
    expected: t['expected_canonical'] !== undefined ? { jcs_canonical: t['expected_canonical'] } : undefined,
    run: () => {
      const variants = tests({ ...v, data: t }, 'variants');
      const results = variants.map((variant) => manifestDigestComputed(encoder.encode(String(variant['json']))));
      const digests = new Set(results.map((r) => r['manifest_digest']));
      if (digests.size !== 1) fail(`variants give ${digests.size} different digests`);
      const size = str(t['expected_canonical_size']);
      if (size !== undefined && !String(results[0]?.['jcs_canonical']).includes(`"size":${size}`)) fail(`canonical size is not ${size}`);
      return results[0] ?? {};
    },
  }));

const manifestDigestKnownAnswer: Handler = (v) =>
  tests(v).map((t, i) => ({
    ...base(t, i),
    expected: { jcs_canonical: t['expected_canonical'] as JsonValue, manifest_digest: String(t['expected_digest']).replace(/^sha256:/, '') },
    run: () => {
      const bytes = inputBytes(v, t['manifest'] as JsonValue, t, 'manifest');
      manifestOnly(bytes);
      return manifestDigestComputed(bytes);
    },
  }));

const manifestDigestMalformed: Handler = (v) =>
  tests(v).map((t, i) => ({
    ...base(t, i),
    run: () => {
      const bytes = t['input_hex'] !== undefined ? Buffer.from(String(t['input_hex']), 'hex') : encoder.encode(String(t['input']));
      return { manifest_digest: computeManifestDigest(bytes) };
    },
  }));

// ---------------------------------------------------------------------------
// manifest/

const manifestTests: Handler = (v) =>
  tests(v).map((t, i) => ({
    ...base(t, i),
    run: () => {
      manifestOnly(inputBytes(v, t['input'] as JsonValue, t, 'input'));
    },
  }));

const artifactFields: Handler = (v) =>
  ['embedded_artifact_tests', 'referenced_artifact_tests'].flatMap((key) =>
    tests(v, key).map((t, i) => ({
      ...base(t, i, true, `${key}/`),
      run: () => {
        const { value, lexemes } = reparse(v, t['input'] as JsonValue, t, 'input');
        validateArtifact(value, {}, lexemes);
      },
    })),
  );

const digestFormat: Handler = (v) =>
  ['valid_digests', 'invalid_digests'].flatMap((key) =>
    tests(v, key).map((t, i) => ({
      ...base(t, i, key === 'valid_digests', `${key}/`),
      run: () => {
        if (!isValidDigest(t['value'])) throw new PackError('invalid_digest_format', `${JSON.stringify(t['value'])} is not sha256:<64 lowercase hex>`);
      },
    })),
  );

const integerValidation: Handler = (v) =>
  ['valid_integers', 'invalid_integers'].flatMap((key) =>
    tests(v, key).map((t, i) => ({
      ...base(t, i, key === 'valid_integers', `${key}/`),
      name: `${key}/${String(t['json'])}`,
      run: () => {
        // The number is checked where the spec checks integers: as a manifest `size`.
        const text = String(t['json']);
        const artifact = `{"type":"embedded","path":"artifacts/a.json","digest":"sha256:${'0'.repeat(64)}","size":${text}}`;
        const lexemes: Lexemes = new WeakMap();
        const value = parseStrictJson(artifact, { numberLexemes: lexemes });
        validateArtifact(value, { maxArtifactSize: Number.MAX_SAFE_INTEGER }, lexemes);
        const size = (value as JsonObject)['size'];
        if (t['value'] !== undefined && size !== t['value']) fail(`${text} parsed as ${String(size)}, expected ${String(t['value'])}`);
      },
    })),
  );

const timestampFormats: Handler = (v) =>
  ['valid_timestamps', 'invalid_timestamps'].flatMap((key) =>
    tests(v, key).map((t, i) => ({
      ...base(t, i, key === 'valid_timestamps', `${key}/`),
      run: () => {
        if (!isValidTimestamp(t['value'])) throw new PackError('invalid_timestamp', `${JSON.stringify(t['value'])} is not YYYY-MM-DDTHH:MM:SSZ`);
      },
    })),
  );

const accessPolicy: Handler = (v) =>
  ['valid_policies', 'invalid_policies'].flatMap((key) =>
    tests(v, key).map((t, i) => ({
      ...base(t, i, key === 'valid_policies', `${key}/`),
      run: () => {
        validateArtifact({ type: 'reference', name: 'doc', uri: 'https://example.com/doc.pdf', access: { policy: t['policy'] as JsonValue } });
      },
    })),
  );

const provenanceValidation: Handler = (v) =>
  ['valid_provenance', 'invalid_provenance'].flatMap((key) =>
    tests(v, key).map((t, i) => ({
      ...base(t, i, key === 'valid_provenance', `${key}/`),
      run: () => {
        const { value, lexemes } = reparse(v, t['provenance'] as JsonValue, t, 'provenance');
        validateProvenance(value, lexemes);
      },
    })),
  );

const referencedUriHandling: Handler = (v) => [
  ...tests(v, 'digest_verification_tests').map((t, i) => ({
    ...base(t, i),
    expected: t['verification_status'] !== undefined ? { verification_status: t['verification_status'] } : undefined,
    run: (): Computed => {
      const ref = obj(t['reference']);
      if (t['recommendation'] === 'should_include_digest') {
        // Without a digest a fetched reference can only ever be "unverified".
        const status = verifyReferenceDigest(undefined, 'sha256:' + sha256Hex('any bytes'));
        if (status !== 'unverified') fail('a reference without digest was reported as verified');
        return { verification_status: status };
      }
      const actual = str(t['fetched_bytes_digest']) ?? 'sha256:' + sha256Hex('fetched');
      return { verification_status: verifyReferenceDigest(str(ref['digest']), actual) };
    },
  })),
  ...tests(v, 'uri_safety_tests').map((t, i) => ({
    ...base(t, i),
    run: async () => {
      const uri = String(obj(t['reference'])['uri']);
      const redirect = str(t['redirect_to']);
      switch (t['behavior']) {
        case 'must_not_auto_fetch':
          return noAutoFetch(uri);
        case 'must_not_send_auth':
          if (mayForwardCredentials(uri, String(redirect))) fail('credentials would be sent to another origin');
          if (!mayForwardCredentials(uri, uri)) fail('credentials refused for the same origin');
          return;
        case 'must_redact_in_logs': {
          const secret = new URL(uri).searchParams.get('token') ?? '';
          if (redactUrl(uri).includes(secret) || redactSecrets(`GET ${uri} failed`).includes(secret)) fail('the token survives redaction');
          return;
        }
        default:
          break;
      }
      if (t['fetch_requires'] !== undefined) {
        let refused = false;
        try {
          authorizeReferenceFetch(uri);
        } catch (err) {
          refused = err instanceof PackError && err.code === 'fetch_not_approved';
        }
        if (!refused) fail('a fetch without approval was allowed');
        authorizeReferenceFetch(uri, { approved: true });
        authorizeReferenceFetch(uri, { allowlist: [new URL(uri).hostname] });
        return;
      }
      checkReferenceUri(uri);
      if (redirect !== undefined) checkReferenceRedirect(uri, redirect);
    },
  })),
];

/** Parsing and validating a manifest with a reference must not touch the network. */
async function noAutoFetch(uri: string): Promise<void> {
  const original = globalThis.fetch;
  let calls = 0;
  globalThis.fetch = ((..._args: Parameters<typeof fetch>) => {
    calls++;
    return Promise.reject(new Error('network disabled'));
  }) as typeof fetch;
  try {
    const manifest = {
      spec_version: '1.0',
      stream: 'conformance/no-auto-fetch',
      generated_at: '2026-01-20T12:00:00Z',
      pack_digest: computePackDigest([]),
      sources: [],
      artifacts: [{ type: 'reference', name: 'doc', uri, access: { policy: 'public' } }],
    };
    parseManifest(encoder.encode(JSON.stringify(manifest)));
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    globalThis.fetch = original;
  }
  if (calls > 0) fail(`parsing a manifest fetched ${uri}`);
}

const loggingSecrets: Handler = (v) =>
  tests(v).map((t, i) => ({
    ...base(t, i),
    run: () => {
      const name = str(t['name']);
      if (t['url'] !== undefined) {
        const logged = redactUrl(String(t['url']));
        if (t['logged_url'] !== undefined && logged !== t['logged_url']) fail(`logged ${logged}, expected ${String(t['logged_url'])}`);
        return { logged_url: logged };
      }
      if (t['example'] !== undefined) {
        const example = String(t['example']);
        const secret = secretOf(example);
        const redacted = redactSecrets(`request failed: ${example}`);
        if (redacted.includes(secret)) fail(`"${secret}" survives redaction: ${redacted}`);
        return;
      }
      if (name === 'redact_in_errors') {
        const uri = 'http://registry.example.com/pack.zip?token=secret123';
        try {
          checkReferenceUri(uri);
        } catch (err) {
          const message = (err as Error).message;
          if (message.includes('secret123') || !message.includes('token=REDACTED')) fail(`error message not redacted: ${message}`);
          return;
        }
        fail('an insecure URI was accepted');
      }
      const line = 'GET https://registry.example.com/v2/?access_token=abc123def Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig';
      const redacted = redactSecrets(line);
      if (redacted.includes('abc123def') || redacted.includes('eyJhbGciOiJIUzI1NiJ9')) fail(`diagnostic not redacted: ${redacted}`);
    },
  }));

/** The secret part of an example line: the credential after the scheme, or URL userinfo. */
function secretOf(example: string): string {
  const url = /:\/\/([^@/\s]+)@/.exec(example);
  if (url) return (url[1] as string).split(':').pop() as string;
  const header = /\b(?:Bearer|Basic)\s+(\S+)/i.exec(example);
  if (header) return (header[1] as string).replace(/\.{3}$/, '');
  return example;
}

// ---------------------------------------------------------------------------
// pack-digest/

const packDigest: Handler = (v) => {
  const input = obj(v.data['input']);
  const expected = obj(v.data['expected']);
  const want: Computed = {};
  for (const key of ['pack_digest', 'canonical_input', 'sorted_paths']) if (expected[key] !== undefined) want[key] = expected[key];
  return [
    {
      ...base(v.data, 0),
      name: str(v.data['name']) ?? v.rel,
      expected: want,
      run: () => {
        const artifacts = list(input['artifacts']).filter(isJsonObject);
        const embedded = artifacts.filter((a) => a['type'] === 'embedded').map((a) => ({ path: String(a['path']), digest: String(a['digest']) }));
        const canonical = packDigestInput(embedded);
        return {
          pack_digest: computePackDigest(embedded),
          canonical_input: canonical,
          sorted_paths: canonical === '' ? [] : canonical.slice(0, -1).split('\n').map((line) => line.split('\t')[0] as string),
        };
      },
    },
  ];
};

// ---------------------------------------------------------------------------
// path-validation/

const pathTests: Handler = (v) =>
  tests(v).map((t, i) => ({
    ...base(t, i),
    name: caseName(t, i) + (t['path1'] !== undefined ? ` == ${String(t['path2'])}` : ''),
    valid: t['path1'] !== undefined ? true : validOf(t),
    run: () => {
      if (t['path1'] !== undefined) {
        // Comparison is code point for code point: no decoding, normalization or folding.
        const equal = t['path1'] === t['path2'];
        if (equal !== t['are_equal']) fail(`paths compare ${equal ? 'equal' : 'different'}, expected ${t['are_equal'] ? 'equal' : 'different'}`);
        return { are_equal: equal };
      }
      validateArtifactPath(String(t['path']));
    },
  }));

// ---------------------------------------------------------------------------
// structure/ and zip-safety/ (entry level)

function entryNames(values: JsonValue[]): string[] {
  return values.map((e) => (typeof e === 'string' ? e : String(obj(e)['entry_path'])));
}

const entryPathTests: Handler = (v, ctx) => [
  ...tests(v).map((t, i) => ({
    ...base(t, i),
    run: () => {
      const name = String(t['entry_path']);
      return alsoThroughReader(ctx, () => classifyEntryName(name), () => archiveForName(name));
    },
  })),
  ...entryNames(list(v.data['valid_entries'])).map((name) => ({
    name: `valid_entries/${name}`,
    valid: true,
    run: () => alsoThroughReader(ctx, () => classifyEntryName(name), () => archiveForName(name)),
  })),
];

const extraArtifactInZip: Handler = (v, ctx) => {
  const input = obj(v.data['input']);
  return [
    {
      ...base(v.data, 0),
      name: str(v.data['name']) ?? v.rel,
      run: () => {
        const manifest = manifestOnly(inputBytes(v, input['manifest'] as JsonValue, input, 'manifest'));
        const names = entryNames(list(input['zip_entries']));
        const listed = embeddedArtifacts(manifest).map((a) => a.path);
        return alsoThroughReader(ctx, () => checkPackStructure(names, embeddedArtifacts(manifest)), () => archiveForEntries(names, listed));
      },
    },
  ];
};

const missingArtifact: Handler = (v, ctx) =>
  tests(v).map((t, i) => ({
    ...base(t, i),
    run: () => {
      const artifacts = list(t['manifest_artifacts']).filter(isJsonObject).map((a) => ({ path: String(a['path']) }));
      const names = entryNames(list(t['zip_entries']));
      return alsoThroughReader(ctx, () => checkPackStructure(names, artifacts), () => archiveForEntries(names, artifacts.map((a) => a.path)));
    },
  }));

const packStructure: Handler = (v, ctx) =>
  tests(v).map((t, i) => ({
    ...base(t, i),
    run: async () => {
      if (t['structure'] !== undefined) {
        const names = entryNames(list(t['structure']));
        const files = names.filter((n) => n.startsWith('artifacts/') && !n.endsWith('/'));
        return alsoThroughReader(ctx, () => checkPackStructure(names, names.includes('manifest.json') ? files.map((path) => ({ path })) : undefined), () =>
          archiveForEntries(names, files),
        );
      }
      if (t['filename'] !== undefined) {
        checkPackFileName(String(t['filename']));
        return;
      }
      const path = await ctx.tempFile('not-a-zip.epack', encoder.encode(String(t['content'])));
      const pack = await (await ctx.openPack())(path, {});
      await pack.close();
    },
  }));

/** Pack files are ZIP archives named `.epack` (or `.zip`, which the vectors also use). */
export function checkPackFileName(name: string): void {
  if (!/\.(epack|zip)$/i.test(name)) throw new PackError('invalid_extension', `${name}: an Evidence Pack file ends in .epack (or .zip)`);
}

const attestationPlacement: Handler = (v, ctx) =>
  tests(v).map((t, i) => ({
    ...base(t, i),
    run: () => {
      const paths = t['attestations'] !== undefined ? entryNames(list(t['attestations'])) : [String(t['path'])];
      const rules = (): void => {
        for (const path of paths) {
          if (classifyEntryName(path) !== 'attestation') throw new PackError('attestation_wrong_location', `${path} is not an attestation file`);
        }
        checkCaseCollisions(paths);
      };
      return alsoThroughReader(ctx, rules, () => packZip([{ name: 'artifacts/' }, ...paths.map((name) => ({ name }))], []));
    },
  }));

const directoryEntries: Handler = (v, ctx) =>
  tests(v).map((t, i) => ({
    ...base(t, i),
    run: () => {
      const entry = obj(t['entry']);
      const attrs = obj(entry['external_attrs']);
      const mode = str(attrs['unix_mode']);
      const name = String(entry['name']);
      const compressedSize = Number(entry['compressed_size']);
      const uncompressedSize = Number(entry['uncompressed_size']);
      const type = {
        ...(mode !== undefined ? { unixMode: parseInt(mode, 8) } : {}),
        ...(attrs['is_directory'] === true && mode === undefined ? { dosDirectory: true } : {}),
      };
      const isFile = !name.endsWith('/');
      // A regular file's sizes only matter for directories; the archive gets real content for it.
      const raw: RawEntry =
        isFile || (compressedSize === 0 && uncompressedSize === 0)
          ? { name, ...type }
          : { name, ...type, data: new Uint8Array(compressedSize), compressedSize, uncompressedSize };
      const listed = isFile && t['valid'] === true ? [name] : [];
      return alsoThroughReader(
        ctx,
        () => checkEntryAttributes({ name, compressedSize, uncompressedSize, ...type }),
        () => packZip(name === 'artifacts/' ? [raw] : [{ name: 'artifacts/' }, raw], listed),
      );
    },
  }));

const specialFiles: Handler = (v, ctx) =>
  tests(v).map((t, i) => ({
    ...base(t, i),
    name: String(t['entry_type']),
    run: () => {
      const mode = str(t['unix_mode']);
      const name = `artifacts/${String(t['entry_type'])}`;
      if (mode === undefined) {
        // ZIP has no hard link representation (pack.md §7.3): only the type rule can be run.
        checkEntryType(name, t['entry_type'] === 'hardlink' ? 'hardlink' : 'unknown');
        return;
      }
      const unixMode = parseInt(mode, 8);
      return alsoThroughReader(
        ctx,
        () => {
          checkEntryType(name, unixFileType(unixMode));
          checkEntryAttributes({ name, compressedSize: 0, uncompressedSize: 0, unixMode });
        },
        () => packZip([{ name: 'artifacts/' }, { name, unixMode }], []),
      );
    },
  }));

/** Fixture ZIPs go through the real reader. */
const fixture: Handler = (v, ctx) => [
  {
    ...base(v.data, 0),
    name: str(v.data['name']) ?? v.rel,
    ...(str(v.data['profile']) !== undefined ? { profile: str(v.data['profile']) } : {}),
    run: async () => {
      const threshold = typeof v.data['threshold'] === 'number' ? v.data['threshold'] : undefined;
      const open = await ctx.openPack();
      const pack = await open(ctx.resolve(v, String(v.data['fixture'])), threshold !== undefined ? { limits: { maxCompressionRatio: threshold } } : {});
      await pack.close();
    },
  },
];

// ---------------------------------------------------------------------------
// attestation/

const attestationSingle: Handler = (v) => {
  const input = obj(v.data['input']);
  return [
    {
      ...base(v.data, 0),
      name: str(v.data['name']) ?? v.rel,
      run: () => {
        const parsed = parseAttestation(inputBytes(v, input['bundle'] as JsonValue, input, 'bundle'));
        return { manifest_digest: parsed.subjectDigest };
      },
    },
  ];
};

const attestationCases: Handler = (v) =>
  tests(v, 'cases').map((t, i) => ({
    ...base(t, i),
    run: () => {
      const input = obj(t['input']);
      parseAttestation(inputBytes(v, input['bundle'] as JsonValue, input, 'bundle'));
    },
  }));

function statementFor(digest: string, predicateType: string = PACK_PREDICATE_TYPE): JsonObject {
  return { _type: STATEMENT_TYPE, subject: [{ name: STATEMENT_SUBJECT_NAME, digest: { sha256: digest } }], predicateType, predicate: {} };
}

function bundleFor(statement: JsonObject): Uint8Array {
  const bundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: 'conformance' } },
    dsseEnvelope: {
      payloadType: 'application/vnd.in-toto+json',
      payload: Buffer.from(JSON.stringify(statement)).toString('base64'),
      signatures: [{ sig: 'c2ln', keyid: '' }],
    },
  };
  return encoder.encode(JSON.stringify(bundle));
}

const verificationProcess: Handler = (v) =>
  list(v.data['verification_steps'])
    .filter(isJsonObject)
    .flatMap((step) =>
      tests({ ...v, data: step }).map((t, i) => ({
        ...base(t, i, true, `${String(step['name'])}/`),
        run: () => {
          if (t['predicateType'] !== undefined) {
            checkStatement(statementFor('e'.repeat(64), String(t['predicateType'])));
            return;
          }
          const subject = String(t['subject_digest']);
          const computed = String(t['computed_manifest_digest']);
          checkSubjectDigest(subject, computed);
          checkAttestationStatement(bundleFor(statementFor(subject)), computed);
          return { manifest_digest: computed };
        },
      })),
    );

/**
 * Cases two vector files decide in opposite ways. Each entry says which way
 * epack goes and why; the runner reports the case with `waived` set instead
 * of failing, so the conflict stays visible.
 */
export const KNOWN_CONFLICTS: Record<string, string> = {
  'jcs/number-normalization.json#invalid_numbers/1.2e3':
    'contradicts pack.md §3.2 ("Consumers MUST accept ... fractional mantissas like 1.5e3" that evaluate to whole numbers) and ' +
    'manifest/integer-validation.json (valid: 1.5e3, 1.23e2); epack follows the spec text and accepts 1.2e3 = 1200',
};

/** Handlers by vector path (relative to the vectors directory). */
export const VECTOR_HANDLERS: Record<string, Handler> = {
  'attestation/attestation-placement.json': attestationPlacement,
  'attestation/invalid-media-type.json': attestationCases,
  'attestation/invalid-type.json': attestationSingle,
  'attestation/missing-dsse-envelope.json': attestationSingle,
  'attestation/missing-verification-material.json': attestationSingle,
  'attestation/valid-attestation.json': attestationSingle,
  'attestation/verification-process.json': verificationProcess,
  'jcs/key-sorting-surrogate.json': jcsCanonical,
  'jcs/key-sorting.json': jcsCanonical,
  'jcs/non-finite-rejection.json': jcsCanonical,
  'jcs/number-normalization.json': jcsNumbers,
  'jcs/string-escaping.json': jcsCanonical,
  'limits/minimum-limits.json': minimumLimits,
  'manifest-digest/basic-manifest.json': manifestDigestSingle,
  'manifest-digest/invalid-exponent.json': manifestDigestSingle,
  'manifest-digest/invalid-numbers.json': manifestDigestSingle,
  'manifest-digest/invariance.json': manifestDigestInvariance,
  'manifest-digest/known-answer.json': manifestDigestKnownAnswer,
  'manifest-digest/malformed-json.json': manifestDigestMalformed,
  'manifest-digest/valid-integer-exponent.json': manifestDigestSingle,
  'manifest-digest/with-artifacts.json': manifestDigestSingle,
  'manifest/access-policy.json': accessPolicy,
  'manifest/artifact-fields.json': artifactFields,
  'manifest/digest-format.json': digestFormat,
  'manifest/duplicate-artifact-paths.json': manifestTests,
  'manifest/integer-validation.json': integerValidation,
  'manifest/logging-secrets.json': loggingSecrets,
  'manifest/provenance-validation.json': provenanceValidation,
  'manifest/referenced-uri-handling.json': referencedUriHandling,
  'manifest/required-fields.json': manifestTests,
  'manifest/timestamp-formats.json': timestampFormats,
  'pack-digest/empty-artifacts.json': packDigest,
  'pack-digest/excludes-attestations.json': packDigest,
  'pack-digest/excludes-references.json': packDigest,
  'pack-digest/single-artifact.json': packDigest,
  'pack-digest/sorting-edge-cases.json': packDigest,
  'pack-digest/sorting-order.json': packDigest,
  'pack-digest/sorting-unicode.json': packDigest,
  'path-validation/case-collision.json': pathTests,
  'path-validation/invalid-paths.json': pathTests,
  'path-validation/length-limits.json': pathTests,
  'path-validation/normalization.json': pathTests,
  'path-validation/path-comparison.json': pathTests,
  'path-validation/reserved-names.json': pathTests,
  'path-validation/unicode-nfc.json': pathTests,
  'path-validation/valid-paths.json': pathTests,
  'path-validation/windows-paths.json': pathTests,
  'structure/attestation-subdirectory.json': entryPathTests,
  'structure/attestation-wrong-extension.json': entryPathTests,
  'structure/extra-artifact-in-zip.json': extraArtifactInZip,
  'structure/extra-top-level-files.json': entryPathTests,
  'structure/missing-artifact.json': missingArtifact,
  'structure/pack-structure.json': packStructure,
  'zip-safety/compression-ratio.json': fixture,
  'zip-safety/directory-entries.json': directoryEntries,
  'zip-safety/duplicate-paths.json': fixture,
  'zip-safety/macos-metadata.json': entryPathTests,
  'zip-safety/path-traversal.json': entryPathTests,
  'zip-safety/special-files.json': specialFiles,
  'zip-safety/symlink-rejection.json': fixture,
};

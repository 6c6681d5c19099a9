/**
 * Runs the Evidence Pack conformance vectors (locktivity/evidence-pack
 * `test-vectors/`, Level 1, Level 2 and the `hardening` profile) against this
 * library and reports one result per case in the shape of the upstream
 * `runner-spec.md`: `{vector, valid, result: {ok, errors[], computed}}`,
 * plus `case` and `pass`.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { NotFoundError } from '../error.js';
import { errorCodes, type ConformanceError } from './conformance-codes.js';
import { KNOWN_CONFLICTS, VECTOR_HANDLERS, type Computed, type HandlerContext, type Lexemes, type OpenPackFn, type VectorCase, type VectorFile } from './conformance-vectors.js';
import { isJsonObject, parseStrictJson, type JsonValue } from './json.js';

export { errorCodes, type ConformanceError };

/** One case, as the runner spec prints it. */
export interface ConformanceResult {
  vector: string;
  case: string;
  valid: boolean;
  result: { ok: boolean; errors: ConformanceError[]; computed: Computed };
  /** Whether epack behaved as the vector requires. */
  pass: boolean;
  /** Why `pass` is false. */
  failure?: string;
  /** Set when the case conflicts with another vector or the spec text and epack follows the spec (counted as passed). */
  waived?: string;
  profile?: string;
}

export interface ConformanceSummary {
  vectorsDir: string;
  /** Content of the vectors' VERSION file. */
  vectorsVersion: string | undefined;
  specVersion: string;
  total: number;
  passed: number;
  failed: number;
  /** Passed cases that are known vector conflicts (see KNOWN_CONFLICTS). */
  waived: number;
  results: ConformanceResult[];
}

export interface ConformanceOptions {
  /** Only vectors whose path (or `path#case`) contains this text. */
  filter?: string;
  /** Called as each case finishes (for streaming output). */
  onResult?: (result: ConformanceResult) => void;
  /** The ZIP reader to use for fixture vectors (default: src/pack/read.ts openPack). */
  openPack?: OpenPackFn;
}

async function listVectorFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(path.join(dir, prefix), { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (e.name !== 'fixtures') out.push(...(await listVectorFiles(dir, rel)));
    } else if (e.isFile() && e.name.endsWith('.json')) {
      out.push(rel);
    }
  }
  return out.sort();
}

function sameValue(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function runCase(vector: string, c: VectorCase): Promise<ConformanceResult> {
  let ok = true;
  let errors: ConformanceError[] = [];
  let computed: Computed = {};
  try {
    computed = (await c.run()) ?? {};
  } catch (err) {
    ok = false;
    errors = errorCodes(err);
  }
  let failure: string | undefined;
  if (errors[0]?.code === 'internal_error') failure = `internal error: ${errors[0].message ?? ''}`;
  else if (errors[0]?.code === 'behavior_violated') failure = errors[0].message;
  else if (ok !== c.valid) failure = c.valid ? `rejected (${errors[0]?.code ?? '?'}) but the vector is valid` : 'accepted but the vector is invalid';
  else if (!ok && c.expectedError !== undefined && !errors.some((e) => e.code === c.expectedError)) {
    failure = `rejected with ${errors.map((e) => e.code).join('/')} but the vector expects ${c.expectedError}`;
  } else if (ok && c.expected) {
    for (const [key, want] of Object.entries(c.expected)) {
      if (!sameValue(computed[key], want)) {
        failure = `computed ${key} ${JSON.stringify(computed[key])}, expected ${JSON.stringify(want)}`;
        break;
      }
    }
  }
  const waiver = KNOWN_CONFLICTS[`${vector}#${c.name}`];
  const result: ConformanceResult = { vector, case: c.name, valid: c.valid, result: { ok, errors, computed }, pass: failure === undefined || waiver !== undefined };
  if (failure !== undefined && waiver !== undefined) result.waived = `${failure}: ${waiver}`;
  else if (failure !== undefined) result.failure = failure;
  if (c.profile !== undefined) result.profile = c.profile;
  return result;
}

/** Runs every vector under `vectorsDir`. Never throws for a failing case; only for an unreadable directory. */
export async function runConformance(vectorsDir: string, options: ConformanceOptions = {}): Promise<ConformanceSummary> {
  const dir = await vectorsRoot(path.resolve(vectorsDir));
  let files: string[];
  try {
    files = await listVectorFiles(dir);
  } catch (err) {
    throw new NotFoundError('vectors_not_found', `cannot read test vectors in ${dir}: ${(err as Error).message}`, {
      hint: 'give the test-vectors directory of locktivity/evidence-pack',
      cause: err,
    });
  }
  if (files.length === 0) throw new NotFoundError('vectors_not_found', `no *.json test vectors in ${dir}`);
  let temp: string | undefined;
  let openPack = options.openPack;
  const ctx: HandlerContext = {
    openPack: async () => {
      if (!openPack) {
        const reader = (await import('./read.js')) as { openPack: OpenPackFn };
        openPack = reader.openPack;
      }
      return openPack;
    },
    tempFile: async (name, bytes) => {
      temp ??= await mkdtemp(path.join(tmpdir(), 'epack-conformance-'));
      const file = path.join(temp, name);
      await writeFile(file, bytes);
      return file;
    },
    resolve: (vector, relative) => path.resolve(vector.dir, relative),
  };
  const results: ConformanceResult[] = [];
  const emit = (r: ConformanceResult): void => {
    results.push(r);
    options.onResult?.(r);
  };
  try {
    for (const rel of files) {
      if (options.filter && !rel.includes(options.filter) && !options.filter.startsWith(rel + '#')) continue;
      const cases = await loadCases(dir, rel, ctx, emit);
      for (const c of cases) {
        if (options.filter?.includes('#') && options.filter !== `${rel}#${c.name}`) continue;
        emit(await runCase(rel, c));
      }
    }
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
  const passed = results.filter((r) => r.pass).length;
  return {
    vectorsDir: dir,
    vectorsVersion: await readVersion(dir),
    specVersion: '1.0',
    total: results.length,
    passed,
    failed: results.length - passed,
    waived: results.filter((r) => r.waived !== undefined).length,
    results,
  };
}

async function loadCases(dir: string, rel: string, ctx: HandlerContext, emit: (r: ConformanceResult) => void): Promise<VectorCase[]> {
  const broken = (message: string, code = 'invalid_vector'): VectorCase[] => {
    emit({ vector: rel, case: '(file)', valid: true, result: { ok: false, errors: [{ code, message }], computed: {} }, pass: false, failure: message });
    return [];
  };
  const handler = VECTOR_HANDLERS[rel];
  if (!handler) return broken(`epack has no mapping for ${rel}; this vector set is newer than epack`, 'unsupported_vector');
  const file = path.join(dir, rel);
  const lexemes: Lexemes = new WeakMap();
  let data: JsonValue;
  try {
    data = parseStrictJson(await readFile(file), { numberLexemes: lexemes, maxDepth: 256 });
  } catch (err) {
    return broken(`cannot read ${rel}: ${(err as Error).message}`);
  }
  if (!isJsonObject(data)) return broken(`${rel} is not a JSON object`);
  const vector: VectorFile = { rel, dir: path.dirname(file), data, lexemes };
  try {
    const cases = handler(vector, ctx);
    if (cases.length === 0) return broken(`${rel} has no cases epack recognizes`);
    return cases;
  } catch (err) {
    return broken(`${rel}: ${(err as Error).message}`);
  }
}

/** Accepts the spec repository (or its checkout) too: its vectors live in test-vectors/. */
async function vectorsRoot(dir: string): Promise<string> {
  const nested = path.join(dir, 'test-vectors');
  try {
    if ((await stat(nested)).isDirectory() && !(await stat(path.join(dir, 'VERSION')).catch(() => undefined))?.isFile()) return nested;
  } catch {
    // no test-vectors/ below: dir is the vectors directory itself
  }
  return dir;
}

async function readVersion(dir: string): Promise<string | undefined> {
  try {
    return (await readFile(path.join(dir, 'VERSION'), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

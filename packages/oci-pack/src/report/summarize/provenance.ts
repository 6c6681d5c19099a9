/**
 * in-toto statements (SLSA provenance and others), bare DSSE envelopes (one
 * or many, as JSON Lines) and Sigstore bundles holding either.
 */
import { EpackError } from '../../error.js';
import { readBounded } from './read-bounded.js';
import { claimedSigner, isSigstoreBundle } from './sigstore.js';
import type { ProvenanceSummary, StatementSummary } from './types.js';

/** Whole-document parsing is fine for attestations: they are small by nature. */
export const MAX_PROVENANCE_BYTES = 32 * 1024 * 1024;
const MAX_SUBJECTS_LISTED = 50;
const MAX_STATEMENTS_LISTED = 50;
const IN_TOTO_PAYLOAD = 'application/vnd.in-toto+json';

type Json = Record<string, unknown>;

function obj(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function at(value: unknown, ...keys: (string | number)[]): unknown {
  let cur = value;
  for (const key of keys) {
    if (typeof key === 'number') cur = Array.isArray(cur) ? cur[key] : undefined;
    else cur = obj(cur)?.[key];
  }
  return cur;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new EpackError('input', 'artifact_parse_error', `${what} is not JSON: ${(err as Error).message}`);
  }
}

export function summarizeStatement(statement: unknown): StatementSummary {
  const subjects = Array.isArray(at(statement, 'subject')) ? (at(statement, 'subject') as unknown[]) : [];
  const summary: StatementSummary = {
    statementType: str(at(statement, '_type')),
    predicateType: str(at(statement, 'predicateType')),
    subjectCount: subjects.length,
    subjects: subjects.slice(0, MAX_SUBJECTS_LISTED).map((s) => {
      const digests: Record<string, string> = {};
      for (const [alg, value] of Object.entries(obj(at(s, 'digest')) ?? {})) if (typeof value === 'string') digests[alg] = value;
      return { name: str(at(s, 'name')) ?? '', digests };
    }),
  };
  const predicate = at(statement, 'predicate');
  // SLSA v1 (runDetails / buildDefinition), then v0.2 (builder / buildType / invocation).
  summary.builderId = str(at(predicate, 'runDetails', 'builder', 'id')) ?? str(at(predicate, 'builder', 'id'));
  summary.buildType = str(at(predicate, 'buildDefinition', 'buildType')) ?? str(at(predicate, 'buildType'));
  const workflow = at(predicate, 'buildDefinition', 'externalParameters', 'workflow');
  const repository = str(at(workflow, 'repository'));
  const ref = str(at(workflow, 'ref'));
  const configSource = at(predicate, 'invocation', 'configSource');
  const configUri = str(at(configSource, 'uri'));
  const configCommit = str(at(configSource, 'digest', 'sha1'));
  if (repository) summary.source = ref ? `${repository}@${ref}` : repository;
  else if (configUri) summary.source = configCommit ? `${configUri} (commit ${configCommit})` : configUri;
  else summary.source = str(at(predicate, 'buildDefinition', 'resolvedDependencies', 0, 'uri'));
  for (const key of Object.keys(summary) as (keyof StatementSummary)[]) if (summary[key] === undefined) delete summary[key];
  return summary;
}

function statementFromEnvelope(envelope: unknown): StatementSummary | undefined {
  const payloadType = str(at(envelope, 'payloadType'));
  const payload = str(at(envelope, 'payload'));
  if (payloadType !== IN_TOTO_PAYLOAD || payload === undefined) return undefined;
  return summarizeStatement(parseJson(Buffer.from(payload, 'base64').toString('utf8'), 'the DSSE payload'));
}

function isEnvelope(value: unknown): boolean {
  return str(at(value, 'payloadType')) !== undefined && at(value, 'payload') !== undefined;
}

function pushStatement(summary: ProvenanceSummary, statement: StatementSummary | undefined): void {
  if (statement && summary.statements.length < MAX_STATEMENTS_LISTED) summary.statements.push(statement);
}

/** Summarizes one JSON document or JSON Lines of envelopes/statements. */
export async function summarizeProvenance(source: AsyncIterable<Uint8Array>): Promise<ProvenanceSummary> {
  const text = (await readBounded(source, MAX_PROVENANCE_BYTES)).toString('utf8').replace(/^\uFEFF/, '');
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  let documents: unknown[];
  let jsonLines = false;
  try {
    documents = [JSON.parse(text)];
  } catch {
    documents = lines.map((line, i) => parseJson(line, `line ${i + 1}`));
    jsonLines = true;
  }
  const first = documents[0];
  if (documents.length === 1 && isSigstoreBundle(first)) {
    const summary: ProvenanceSummary = { kind: 'provenance', container: 'sigstore-bundle', envelopes: 0, statements: [], signer: claimedSigner(first) };
    const envelope = at(first, 'dsseEnvelope');
    if (envelope !== undefined) {
      summary.envelopes = 1;
      pushStatement(summary, statementFromEnvelope(envelope));
    }
    return summary;
  }
  if (documents.every(isEnvelope)) {
    const summary: ProvenanceSummary = { kind: 'provenance', container: jsonLines ? 'dsse-jsonl' : 'dsse', envelopes: documents.length, statements: [] };
    for (const envelope of documents) pushStatement(summary, statementFromEnvelope(envelope));
    return summary;
  }
  if (documents.every((d) => str(at(d, '_type'))?.startsWith('https://in-toto.io/Statement'))) {
    const summary: ProvenanceSummary = { kind: 'provenance', container: 'statement', envelopes: 0, statements: [] };
    for (const statement of documents) pushStatement(summary, summarizeStatement(statement));
    return summary;
  }
  throw new EpackError('input', 'artifact_parse_error', 'neither an in-toto statement, a DSSE envelope nor a Sigstore bundle');
}

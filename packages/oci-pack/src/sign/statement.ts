/**
 * in-toto Statement v1: building the payload we sign and checking the one we
 * verify. sigstore-js does not look inside DSSE payloads, so the subject and
 * predicate type checks live here.
 */
import { SignatureError } from './errors.js';
import { parseStrictJson } from '../pack/json.js';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const STATEMENT_TYPE_V1 = 'https://in-toto.io/Statement/v1';
const STATEMENT_TYPE_V01 = 'https://in-toto.io/Statement/v0.1';
/** The Evidence Pack attestation predicate (spec v1 attestation.md §4). */
export const EVIDENCE_PACK_PREDICATE_TYPE = 'https://evidencepack.org/attestation/v1';
/** The predicate of a cosign v3 image signature. */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';

export interface StatementSubject {
  name?: string;
  digest: Record<string, string>;
  annotations?: Record<string, unknown>;
}

export interface InTotoStatement {
  _type: string;
  subject: StatementSubject[];
  predicateType: string;
  predicate?: unknown;
}

export function buildStatement(subject: StatementSubject, predicateType: string, predicate: unknown = {}): InTotoStatement {
  return { _type: STATEMENT_TYPE_V1, subject: [subject], predicateType, predicate };
}

/** The statement of a pack attestation: one subject, manifest.json, by its JCS digest. */
export function packStatement(manifestDigestHex: string): InTotoStatement {
  return buildStatement({ name: 'manifest.json', digest: { sha256: manifestDigestHex } }, EVIDENCE_PACK_PREDICATE_TYPE, {});
}

/** Parses a DSSE payload as an in-toto statement (v1; v0.1 too unless `strictV1`). */
export function parseStatement(payload: Uint8Array, strictV1 = false): InTotoStatement {
  let value: unknown;
  try {
    // Strict: a statement with duplicate keys could say one subject to us and another to a different verifier.
    value = parseStrictJson(payload);
  } catch (err) {
    throw new SignatureError('statement_invalid', `the signed payload is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!isObject(value)) throw new SignatureError('statement_invalid', 'the signed payload is not a JSON object');
  const type = value['_type'];
  if (type !== STATEMENT_TYPE_V1 && (strictV1 || type !== STATEMENT_TYPE_V01)) {
    throw new SignatureError('statement_invalid', `the signed payload is not an in-toto Statement v1 (_type ${JSON.stringify(type)})`);
  }
  const subject = value['subject'];
  if (!Array.isArray(subject) || subject.length === 0 || !subject.every(isSubject)) {
    throw new SignatureError('statement_invalid', 'the statement has no valid subject');
  }
  const predicateType = value['predicateType'];
  if (typeof predicateType !== 'string' || predicateType === '') {
    throw new SignatureError('statement_invalid', 'the statement has no predicateType');
  }
  return { _type: type as string, subject: subject as StatementSubject[], predicateType, predicate: value['predicate'] };
}

export interface StatementExpectation {
  /** `sha256:<hex>` or raw hex: a subject must carry this sha256 digest. */
  subjectDigest?: string;
  /** The statement's predicateType must equal this. */
  predicateType?: string;
  /** Evidence Pack rules: exactly one subject named manifest.json, predicate `{}`. */
  pack?: boolean;
}

/** Throws `subject_mismatch` / `predicate_type_mismatch` / `statement_invalid`. */
export function checkStatement(statement: InTotoStatement, expect: StatementExpectation): void {
  if (expect.pack) {
    if (statement._type !== STATEMENT_TYPE_V1) throw new SignatureError('statement_invalid', 'a pack attestation must be an in-toto Statement v1');
    if (statement.subject.length !== 1) {
      throw new SignatureError('statement_invalid', `a pack attestation must have exactly one subject, found ${statement.subject.length}`);
    }
    if (statement.subject[0]?.name !== 'manifest.json') {
      throw new SignatureError('subject_mismatch', `the attestation's subject is ${JSON.stringify(statement.subject[0]?.name)}, not manifest.json`);
    }
    if (!isObject(statement.predicate) || Object.keys(statement.predicate).length !== 0) {
      throw new SignatureError('statement_invalid', 'a pack attestation must have the empty predicate {}');
    }
  }
  if (expect.predicateType !== undefined && statement.predicateType !== expect.predicateType) {
    throw new SignatureError(
      'predicate_type_mismatch',
      `the statement's predicateType is ${statement.predicateType}, expected ${expect.predicateType}`,
      { details: { predicateType: statement.predicateType, expected: expect.predicateType } },
    );
  }
  if (expect.subjectDigest !== undefined) {
    const want = expect.subjectDigest.replace(/^sha256:/, '').toLowerCase();
    const found = statement.subject.map((s) => s.digest['sha256']?.toLowerCase());
    if (!found.includes(want)) {
      throw new SignatureError('subject_mismatch', `the signature covers sha256:${found[0] ?? '?'}, not sha256:${want}`, {
        details: { expected: `sha256:${want}`, found: found.map((f) => `sha256:${f}`) },
      });
    }
  }
}

function isSubject(value: unknown): boolean {
  if (!isObject(value)) return false;
  const digest = value['digest'];
  if (!isObject(digest)) return false;
  if (value['name'] !== undefined && typeof value['name'] !== 'string') return false;
  return Object.values(digest).every((d) => typeof d === 'string');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

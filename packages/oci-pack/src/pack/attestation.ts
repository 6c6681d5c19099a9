/**
 * Structural checks of an attestation file (attestation.md §3-§4, §7.3): a
 * Sigstore bundle v0.3 holding a DSSE envelope whose in-toto Statement v1
 * names exactly `manifest.json` with the manifest digest. Signatures,
 * certificates and log proofs are checked by the sign area, not here.
 */
import { PackError, VerificationError } from '../error.js';
import { isHexSha256 } from './digest.js';
import { isJsonObject, parseStrictJson, type JsonObject, type JsonValue } from './json.js';

export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PACK_PREDICATE_TYPE = 'https://evidencepack.org/attestation/v1';
export const STATEMENT_SUBJECT_NAME = 'manifest.json';
/** Nesting limit for bundle and statement JSON (as the reference implementation). */
export const MAX_ATTESTATION_JSON_DEPTH = 32;

export interface AttestationStatement {
  _type: typeof STATEMENT_TYPE;
  subject: [{ name: typeof STATEMENT_SUBJECT_NAME; digest: { sha256: string } }];
  predicateType: typeof PACK_PREDICATE_TYPE;
  predicate: Record<string, never>;
}

export interface DsseEnvelope {
  payloadType: string;
  payload: string;
  signatures: { sig: string; keyid?: string }[];
}

/** A structurally valid bundle and its decoded statement. */
export interface ParsedAttestation {
  bundle: JsonObject & { mediaType: string; verificationMaterial: JsonObject; dsseEnvelope: DsseEnvelope };
  statement: AttestationStatement;
  /** The manifest digest the statement names (raw hex). */
  subjectDigest: string;
}

function bad(code: string, message: string, reason: string = code, related: string[] = []): never {
  throw new PackError(code, `attestation: ${message}`, { details: { reason, related } });
}

/**
 * Decodes base64 as rules.md require: the
 * standard alphabet only (URL-safe `-`/`_` are rejected), padded or not,
 * ASCII whitespace ignored, anything else refused.
 */
export function decodeBase64Strict(text: string): Buffer {
  const clean = text.replace(/[ \t\r\n]/g, '');
  const m = /^([A-Za-z0-9+/]*)(={0,2})$/.exec(clean);
  const body = m?.[1] ?? '';
  const padding = m?.[2] ?? '';
  const valid = m !== null && body.length % 4 !== 1 && (padding === '' || (clean.length % 4 === 0 && body.length % 4 === 4 - padding.length));
  if (!valid) bad('invalid_payload', 'DSSE payload is not valid standard base64');
  return Buffer.from(body, 'base64');
}

/** Key material a Sigstore bundle carries: a Fulcio certificate (v0.3), a chain (v0.1/0.2) or a public key hint. */
const KEY_MATERIAL = ['certificate', 'x509CertificateChain', 'publicKey'];

/** Checks the bundle envelope fields, in the order the spec's vectors expect. */
export function checkBundleStructure(value: JsonValue): ParsedAttestation['bundle'] {
  if (!isJsonObject(value)) bad('invalid_bundle', 'the bundle is not a JSON object');
  const mediaType = value['mediaType'];
  if (mediaType === undefined) bad('invalid_bundle_media_type', 'bundle has no mediaType', 'missing_media_type', ['missing_media_type']);
  if (mediaType !== BUNDLE_MEDIA_TYPE) {
    bad('invalid_bundle_media_type', `bundle mediaType ${JSON.stringify(mediaType)} is not ${BUNDLE_MEDIA_TYPE}`, 'invalid_media_type', ['invalid_media_type']);
  }
  const material = value['verificationMaterial'];
  if (!isJsonObject(material)) bad('missing_verification_material', 'bundle has no verificationMaterial object');
  const envelope = value['dsseEnvelope'];
  if (!isJsonObject(envelope)) bad('missing_dsse_envelope', 'bundle has no dsseEnvelope (message signatures are not attestations)');
  for (const key of Object.keys(value)) {
    if (!['mediaType', 'verificationMaterial', 'dsseEnvelope'].includes(key)) bad('invalid_bundle', `unexpected bundle field "${key}"`);
  }
  if (!KEY_MATERIAL.some((key) => isJsonObject(material[key]))) {
    bad('missing_verification_material', `verificationMaterial has no ${KEY_MATERIAL.join(', ')}`);
  }
  if (envelope['payloadType'] !== IN_TOTO_PAYLOAD_TYPE) {
    bad('invalid_payload_type', `DSSE payloadType ${JSON.stringify(envelope['payloadType'])} is not ${IN_TOTO_PAYLOAD_TYPE}`);
  }
  if (typeof envelope['payload'] !== 'string') bad('invalid_payload', 'DSSE payload is not a string');
  const signatures = envelope['signatures'];
  if (!Array.isArray(signatures) || signatures.length !== 1) bad('invalid_signatures', 'the DSSE envelope must hold exactly one signature');
  const sig = signatures[0];
  if (!isJsonObject(sig) || typeof sig['sig'] !== 'string' || sig['sig'] === '') bad('invalid_signatures', 'the DSSE signature has no "sig"');
  return value as ParsedAttestation['bundle'];
}

/** Checks an in-toto Statement v1 for an Evidence Pack manifest. */
export function checkStatement(value: JsonValue): AttestationStatement {
  if (!isJsonObject(value)) bad('invalid_statement', 'the DSSE payload is not a JSON object');
  if (value['_type'] !== STATEMENT_TYPE) bad('invalid_statement_type', `statement _type ${JSON.stringify(value['_type'])} is not ${STATEMENT_TYPE}`);
  if (value['predicateType'] !== PACK_PREDICATE_TYPE) {
    bad('invalid_predicate_type', `predicateType ${JSON.stringify(value['predicateType'])} is not ${PACK_PREDICATE_TYPE}`);
  }
  const subject = value['subject'];
  if (!Array.isArray(subject) || subject.length !== 1) bad('invalid_subject', 'the statement must have exactly one subject');
  const s = subject[0];
  if (!isJsonObject(s) || s['name'] !== STATEMENT_SUBJECT_NAME) bad('invalid_subject', `the subject must be named ${STATEMENT_SUBJECT_NAME}`);
  const digest = s['digest'];
  if (!isJsonObject(digest) || !isHexSha256(digest['sha256'])) bad('invalid_subject', 'the subject needs digest.sha256 as 64 lowercase hex digits');
  const predicate = value['predicate'];
  if (!isJsonObject(predicate) || Object.keys(predicate).length !== 0) bad('invalid_predicate', 'the predicate must be an empty object');
  for (const key of Object.keys(value)) {
    if (!['_type', 'subject', 'predicateType', 'predicate'].includes(key)) bad('invalid_statement', `unexpected statement field "${key}"`);
  }
  return value as unknown as AttestationStatement;
}

/**
 * Parses and checks a bundle file without comparing digests. Codes: the
 * strict JSON codes, `invalid_bundle_media_type`, `missing_verification_material`,
 * `missing_dsse_envelope`, `invalid_payload_type`, `invalid_payload`,
 * `invalid_signatures`, `invalid_statement(_type)`, `invalid_predicate_type`,
 * `invalid_subject`, `invalid_predicate`.
 */
export function parseAttestation(bundleBytes: Uint8Array): ParsedAttestation {
  const bundle = checkBundleStructure(parseStrictJson(bundleBytes, { maxDepth: MAX_ATTESTATION_JSON_DEPTH }));
  const payload = decodeBase64Strict(bundle.dsseEnvelope.payload);
  let statementJson: JsonValue;
  try {
    statementJson = parseStrictJson(payload, { maxDepth: MAX_ATTESTATION_JSON_DEPTH });
  } catch (err) {
    if (err instanceof PackError) bad('invalid_statement', `the DSSE payload is not valid JSON (${err.message})`);
    throw err;
  }
  const statement = checkStatement(statementJson);
  return { bundle, statement, subjectDigest: statement.subject[0].digest.sha256 };
}

/**
 * Checks an attestation against a pack's manifest digest (raw hex) and
 * returns its statement. Throws VerificationError `manifest_digest_mismatch`
 * when the statement names another manifest.
 */
export function checkAttestationStatement(bundleBytes: Uint8Array, manifestDigest: string): AttestationStatement {
  const parsed = parseAttestation(bundleBytes);
  checkSubjectDigest(parsed.subjectDigest, manifestDigest);
  return parsed.statement;
}

export function checkSubjectDigest(subjectDigest: string, manifestDigest: string): void {
  if (subjectDigest !== manifestDigest) {
    throw new VerificationError('manifest_digest_mismatch', `attestation: it signs manifest ${subjectDigest}, but this manifest's digest is ${manifestDigest}`, {
      details: { subject: subjectDigest, manifest: manifestDigest },
    });
  }
}

/** The statement an Evidence Pack attestation signs, for a manifest digest (raw hex). */
export function buildStatement(manifestDigest: string): AttestationStatement {
  if (!isHexSha256(manifestDigest)) throw new PackError('invalid_digest_format', `manifest digest ${manifestDigest} is not 64 lowercase hex digits`);
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: STATEMENT_SUBJECT_NAME, digest: { sha256: manifestDigest } }],
    predicateType: PACK_PREDICATE_TYPE,
    predicate: {},
  };
}

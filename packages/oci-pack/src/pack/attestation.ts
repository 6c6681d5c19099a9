/**
 * Structural checks of an attestation file (attestation.md): a Sigstore
 * bundle v0.3 holding a DSSE envelope whose in-toto Statement v1 names
 * exactly manifest.json with the manifest digest. Signatures are checked by
 * the sign area, not here.
 */
import { PackError } from '../error.js';
import { isJsonObject, parseStrictJson, type JsonObject } from './json.js';

export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PACK_PREDICATE_TYPE = 'https://evidencepack.org/attestation/v1';

export interface AttestationStatement {
  _type: string;
  subject: { name: string; digest: Record<string, string> }[];
  predicateType: string;
  predicate: JsonObject;
}

export function checkAttestationStatement(bundleBytes: Uint8Array, manifestDigest: string): AttestationStatement {
  const bundle = parseStrictJson(bundleBytes);
  if (!isJsonObject(bundle)) throw new PackError('invalid_attestation', 'attestation is not a JSON object');
  const envelope = bundle['dsseEnvelope'];
  if (!isJsonObject(envelope)) throw new PackError('missing_dsse_envelope', 'attestation bundle has no dsseEnvelope');
  const payload = envelope['payload'];
  if (typeof payload !== 'string') throw new PackError('invalid_attestation', 'DSSE payload missing');
  const statement = parseStrictJson(Buffer.from(payload, 'base64')) as unknown as AttestationStatement;
  const subject = statement.subject?.[0];
  if (subject?.digest?.['sha256'] !== manifestDigest) throw new PackError('manifest_digest_mismatch', 'attestation subject does not match the manifest digest');
  return statement;
}

import { describe, expect, it } from 'vitest';
import { EpackError, VerificationError } from '../../src/error.js';
import {
  BUNDLE_MEDIA_TYPE,
  buildStatement,
  checkAttestationStatement,
  decodeBase64Strict,
  IN_TOTO_PAYLOAD_TYPE,
  PACK_PREDICATE_TYPE,
  parseAttestation,
  STATEMENT_TYPE,
} from '../../src/pack/attestation.js';

const DIGEST = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const enc = new TextEncoder();

function bundle(opts: { statement?: unknown; payload?: string; bundle?: Record<string, unknown>; envelope?: Record<string, unknown> } = {}): Uint8Array {
  const statement = opts.statement ?? buildStatement(DIGEST);
  const payload = opts.payload ?? Buffer.from(typeof statement === 'string' ? statement : JSON.stringify(statement)).toString('base64');
  return enc.encode(
    JSON.stringify({
      mediaType: BUNDLE_MEDIA_TYPE,
      verificationMaterial: { x509CertificateChain: { certificates: [{ rawBytes: 'AAAA' }] }, tlogEntries: [] },
      dsseEnvelope: { payloadType: IN_TOTO_PAYLOAD_TYPE, payload, signatures: [{ sig: 'MEUCIQ', keyid: '' }], ...opts.envelope },
      ...opts.bundle,
    }),
  );
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof EpackError) return err.code;
    throw err;
  }
}

describe('attestation structure (attestation.md §3-§4)', () => {
  it('accepts a v0.3 bundle with a DSSE in-toto statement for manifest.json', () => {
    const statement = checkAttestationStatement(bundle(), DIGEST);
    expect(statement).toEqual({
      _type: STATEMENT_TYPE,
      subject: [{ name: 'manifest.json', digest: { sha256: DIGEST } }],
      predicateType: PACK_PREDICATE_TYPE,
      predicate: {},
    });
    expect(parseAttestation(bundle()).subjectDigest).toBe(DIGEST);
  });

  it('decodes standard base64 padded or unpadded, with whitespace; rejects URL-safe and junk (R-331, R-348, R-349)', () => {
    const json = JSON.stringify(buildStatement(DIGEST));
    const std = Buffer.from(json).toString('base64');
    expect(parseAttestation(bundle({ payload: std.replace(/=+$/, '') })).subjectDigest).toBe(DIGEST);
    expect(parseAttestation(bundle({ payload: std.replace(/(.{60})/g, '$1\n') })).subjectDigest).toBe(DIGEST);
    for (const s of ['YQ', 'YQ==', 'YWI', 'YWI=', 'YWJj', '']) expect(decodeBase64Strict(s).toString()).toBe(Buffer.from(s, 'base64').toString());
    for (const s of ['YQ=', 'Y', 'YQ===', 'Y===', 'YW=I', 'a-b_', 'YQ==YQ==', '@@@@']) expect(codeOf(() => decodeBase64Strict(s))).toBe('invalid_payload');
    // A payload whose base64url form differs from its base64 form.
    const tricky = Buffer.from([0xfb, 0xff, 0xfe]);
    expect(codeOf(() => decodeBase64Strict(tricky.toString('base64url')))).toBe('invalid_payload');
    expect(decodeBase64Strict(tricky.toString('base64'))).toEqual(tricky);
  });

  it('accepts any Sigstore key material: certificate (v0.3), chain, or public key; not none', () => {
    for (const material of [{ certificate: { rawBytes: 'AA==' } }, { publicKey: { hint: 'k' } }, { x509CertificateChain: { certificates: [] } }]) {
      expect(parseAttestation(bundle({ bundle: { verificationMaterial: { ...material, tlogEntries: [] } } })).subjectDigest).toBe(DIGEST);
    }
    expect(codeOf(() => parseAttestation(bundle({ bundle: { verificationMaterial: { tlogEntries: [] } } })))).toBe('missing_verification_material');
  });

  it.each([
    ['not JSON', enc.encode('{'), 'json_parse_error'],
    ['duplicate keys', enc.encode('{"mediaType":"a","mediaType":"b"}'), 'duplicate_keys'],
    ['an array', enc.encode('[]'), 'invalid_bundle'],
    ['no mediaType', bundle({ bundle: { mediaType: undefined } }), 'invalid_bundle_media_type'],
    ['a v0.1 mediaType', bundle({ bundle: { mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1' } }), 'invalid_bundle_media_type'],
    ['no verificationMaterial', bundle({ bundle: { verificationMaterial: undefined } }), 'missing_verification_material'],
    ['a message signature instead of DSSE', bundle({ bundle: { dsseEnvelope: undefined, messageSignature: {} } }), 'missing_dsse_envelope'],
    ['an extra bundle field', bundle({ bundle: { extra: 1 } }), 'invalid_bundle'],
    ['another payloadType', bundle({ envelope: { payloadType: 'text/plain' } }), 'invalid_payload_type'],
    ['a payload that is not base64', bundle({ payload: '...' }), 'invalid_payload'],
    ['two signatures', bundle({ envelope: { signatures: [{ sig: 'a' }, { sig: 'b' }] } }), 'invalid_signatures'],
    ['no signature', bundle({ envelope: { signatures: [] } }), 'invalid_signatures'],
    ['a payload that is not JSON', bundle({ statement: 'not json' }), 'invalid_statement'],
    ['a v0.1 statement', bundle({ statement: { ...buildStatement(DIGEST), _type: 'https://in-toto.io/Statement/v0.1' } }), 'invalid_statement_type'],
    ['a SLSA predicate', bundle({ statement: { ...buildStatement(DIGEST), predicateType: 'https://slsa.dev/provenance/v1' } }), 'invalid_predicate_type'],
    [
      'two subjects',
      bundle({ statement: { ...buildStatement(DIGEST), subject: [...buildStatement(DIGEST).subject, ...buildStatement(DIGEST).subject] } }),
      'invalid_subject',
    ],
    ['another subject name', bundle({ statement: { ...buildStatement(DIGEST), subject: [{ name: 'pack.zip', digest: { sha256: DIGEST } }] } }), 'invalid_subject'],
    ['a prefixed subject digest', bundle({ statement: { ...buildStatement(DIGEST), subject: [{ name: 'manifest.json', digest: { sha256: 'sha256:' + DIGEST } }] } }), 'invalid_subject'],
    ['a non-empty predicate', bundle({ statement: { ...buildStatement(DIGEST), predicate: { stream: 'x' } } }), 'invalid_predicate'],
    ['an extra statement field', bundle({ statement: { ...buildStatement(DIGEST), extra: 1 } }), 'invalid_statement'],
    ['nesting deeper than 32 levels', enc.encode('{"mediaType":' + '['.repeat(40) + ']'.repeat(40) + '}'), 'json_parse_error'],
  ])('rejects %s', (_what, input, code) => {
    expect(codeOf(() => checkAttestationStatement(input, DIGEST))).toBe(code);
  });

  it('a statement for another manifest is a verification failure', () => {
    const other = 'a'.repeat(64);
    try {
      checkAttestationStatement(bundle(), other);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(VerificationError);
      expect((err as VerificationError).code).toBe('manifest_digest_mismatch');
      expect((err as VerificationError).details).toEqual({ subject: DIGEST, manifest: other });
    }
  });

  it('buildStatement refuses a prefixed digest', () => {
    expect(codeOf(() => buildStatement('sha256:' + DIGEST))).toBe('invalid_digest_format');
  });
});

describe('robustness', () => {
  it('random bundles and statements are rejected with PackErrors, never a crash', async () => {
    const fc = (await import('fast-check')).default;
    const RUNS = Number(process.env['FC_RUNS'] ?? 1000);
    const statementish = fc.record(
      { _type: fc.oneof(fc.constant(STATEMENT_TYPE), fc.jsonValue()), subject: fc.jsonValue(), predicateType: fc.oneof(fc.constant(PACK_PREDICATE_TYPE), fc.jsonValue()), predicate: fc.jsonValue() },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(statementish, fc.jsonValue({ maxDepth: 2 }), fc.boolean(), (statement, material, validMaterial) => {
        const input = bundle({ statement, bundle: validMaterial ? {} : { verificationMaterial: material } });
        try {
          checkAttestationStatement(input, DIGEST);
        } catch (err) {
          expect(err).toBeInstanceOf(EpackError);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

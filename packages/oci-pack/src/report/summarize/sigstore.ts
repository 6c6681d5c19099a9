/**
 * What a Sigstore bundle says about its signer: the Fulcio certificate's
 * identity (SAN) and OIDC issuer extension, the Rekor log index and time.
 * This is read, not verified; the report says so and shows how to verify.
 */
import { X509Certificate } from 'node:crypto';
import type { ClaimedSigner } from './types.js';

// DER of the Fulcio OIDC issuer extensions' OIDs: 1.3.6.1.4.1.57264.1.8 (v2, UTF8String) and .1.1 (v1, raw).
const ISSUER_V2_OID = Buffer.from([0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x08]);
const ISSUER_V1_OID = Buffer.from([0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x01]);

function readDerLength(der: Buffer, at: number): { length: number; next: number } | undefined {
  const first = der[at];
  if (first === undefined) return undefined;
  if (first < 0x80) return { length: first, next: at + 1 };
  const bytes = first & 0x7f;
  if (bytes === 0 || bytes > 4 || at + 1 + bytes > der.length) return undefined;
  let length = 0;
  for (let i = 0; i < bytes; i++) length = length * 256 + der[at + 1 + i]!;
  return { length, next: at + 1 + bytes };
}

/** The extnValue OCTET STRING content following an extension's OID. */
function extensionValue(der: Buffer, oid: Buffer): Buffer | undefined {
  const at = der.indexOf(oid);
  if (at < 0) return undefined;
  let p = at + oid.length;
  if (der[p] === 0x01 && der[p + 1] === 0x01) p += 3; // critical BOOLEAN
  if (der[p] !== 0x04) return undefined;
  const len = readDerLength(der, p + 1);
  if (!len || len.next + len.length > der.length) return undefined;
  return der.subarray(len.next, len.next + len.length);
}

export function certificateIssuer(der: Buffer): string | undefined {
  const v2 = extensionValue(der, ISSUER_V2_OID);
  if (v2 && v2[0] === 0x0c) {
    const len = readDerLength(v2, 1);
    if (len && len.next + len.length <= v2.length) return v2.subarray(len.next, len.next + len.length).toString('utf8');
  }
  const v1 = extensionValue(der, ISSUER_V1_OID);
  return v1 ? v1.toString('utf8') : undefined;
}

/** The first SAN of a Fulcio certificate: URI, email or other name. */
export function certificateIdentity(cert: X509Certificate): string | undefined {
  const san = cert.subjectAltName;
  if (!san) return undefined;
  const first = san.split(/,\s*/)[0] ?? '';
  const colon = first.indexOf(':');
  return colon >= 0 ? first.slice(colon + 1) : first;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function leafCertificate(material: Record<string, unknown>): Buffer | undefined {
  const single = asRecord(material['certificate']);
  const chain = asRecord(material['x509CertificateChain']);
  const chainFirst = Array.isArray(chain?.['certificates']) ? asRecord((chain['certificates'] as unknown[])[0]) : undefined;
  const raw = single?.['rawBytes'] ?? chainFirst?.['rawBytes'];
  return typeof raw === 'string' ? Buffer.from(raw, 'base64') : undefined;
}

export function isSigstoreBundle(value: unknown): boolean {
  const mediaType = asRecord(value)?.['mediaType'];
  return typeof mediaType === 'string' && mediaType.startsWith('application/vnd.dev.sigstore.bundle');
}

export function claimedSigner(bundle: unknown): ClaimedSigner {
  const signer: ClaimedSigner = { timestamps: 0 };
  const material = asRecord(asRecord(bundle)?.['verificationMaterial']);
  if (!material) return signer;
  const der = leafCertificate(material);
  if (der) {
    try {
      const cert = new X509Certificate(der);
      signer.identity = certificateIdentity(cert);
      signer.certificateNotBefore = new Date(cert.validFrom).toISOString();
      signer.certificateNotAfter = new Date(cert.validTo).toISOString();
    } catch {
      // An unreadable certificate leaves the identity unknown.
    }
    signer.issuer = certificateIssuer(der);
  }
  const hint = asRecord(material['publicKey'])?.['hint'];
  if (typeof hint === 'string') signer.publicKeyHint = hint;
  const entries = material['tlogEntries'];
  if (Array.isArray(entries) && entries.length > 0) {
    const entry = asRecord(entries[0]);
    const logIndex = entry?.['logIndex'];
    if (typeof logIndex === 'string' || typeof logIndex === 'number') signer.logIndex = String(logIndex);
    const time = entry?.['integratedTime'];
    const seconds = typeof time === 'string' || typeof time === 'number' ? Number(time) : NaN;
    if (Number.isFinite(seconds) && seconds > 0) signer.integratedTime = new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
  }
  const timestamps = asRecord(material['timestampVerificationData'])?.['rfc3161Timestamps'];
  if (Array.isArray(timestamps)) signer.timestamps = timestamps.length;
  return signer;
}

/**
 * Fulcio certificate claims: the OIDC token facts Fulcio copies into its
 * certificate extensions (OIDs 1.3.6.1.4.1.57264.1.8 and up, each a DER
 * UTF8String). For CI identities they say which repository, ref, commit and
 * workflow run signed — what a policy may want beyond the SAN.
 */
import { ASN1Obj, X509Certificate } from '@sigstore/core';
import type { Bundle } from '@sigstore/bundle';

const FULCIO_OIDS: Record<string, string> = {
  '1.3.6.1.4.1.57264.1.8': 'issuer',
  '1.3.6.1.4.1.57264.1.9': 'buildSignerURI',
  '1.3.6.1.4.1.57264.1.10': 'buildSignerDigest',
  '1.3.6.1.4.1.57264.1.11': 'runnerEnvironment',
  '1.3.6.1.4.1.57264.1.12': 'sourceRepositoryURI',
  '1.3.6.1.4.1.57264.1.13': 'sourceRepositoryDigest',
  '1.3.6.1.4.1.57264.1.14': 'sourceRepositoryRef',
  '1.3.6.1.4.1.57264.1.15': 'sourceRepositoryIdentifier',
  '1.3.6.1.4.1.57264.1.16': 'sourceRepositoryOwnerURI',
  '1.3.6.1.4.1.57264.1.17': 'sourceRepositoryOwnerIdentifier',
  '1.3.6.1.4.1.57264.1.18': 'buildConfigURI',
  '1.3.6.1.4.1.57264.1.19': 'buildConfigDigest',
  '1.3.6.1.4.1.57264.1.20': 'buildTrigger',
  '1.3.6.1.4.1.57264.1.21': 'runInvocationURI',
  '1.3.6.1.4.1.57264.1.22': 'sourceRepositoryVisibilityAtSigning',
};

/** The names of the claims a policy may match (`--claim name=value`). */
export const CLAIM_NAMES: readonly string[] = Object.values(FULCIO_OIDS);

/** Claims of the leaf certificate of a keyless bundle; empty for key bundles. */
export function certificateClaims(bundle: Bundle): Record<string, string> {
  const material = bundle.verificationMaterial.content;
  const raw =
    material.$case === 'certificate'
      ? material.certificate.rawBytes
      : material.$case === 'x509CertificateChain'
        ? material.x509CertificateChain.certificates[0]?.rawBytes
        : undefined;
  if (!raw) return {};
  const claims: Record<string, string> = {};
  let cert: X509Certificate;
  try {
    cert = X509Certificate.parse(Buffer.from(raw));
  } catch {
    return {};
  }
  for (const [oid, name] of Object.entries(FULCIO_OIDS)) {
    const ext = cert.extension(oid);
    if (!ext) continue;
    try {
      // extnValue holds a DER UTF8String: tag, length, then the text.
      claims[name] = ASN1Obj.parseBuffer(Buffer.from(ext.value)).value.toString('utf8');
    } catch {
      // a malformed extension is simply not a claim
    }
  }
  return claims;
}

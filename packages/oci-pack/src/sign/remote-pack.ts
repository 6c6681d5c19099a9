/**
 * The embedded attestations of an Evidence Pack stored as an OCI artifact.
 * Without downloading the artifacts: manifest.json is the config blob, the
 * layers must be exactly its embedded artifacts (same digests, so the
 * registry's content is what the manifest lists), pack_digest must match, and
 * every attestation layer is verified like the file inside a pack.
 */
import type { Descriptor } from '../oci/descriptor.js';
import { MediaType } from '../oci/media-types.js';
import type { GraphTarget } from '../store/types.js';
import { VerificationError } from '../error.js';
import { parseManifest, embeddedArtifacts } from '../pack/manifest.js';
import { computeManifestDigest, computePackDigest } from '../pack/digest.js';
import { MAX_CONFIG_SIZE, MAX_ATTESTATION_SIZE, matchPackLayers, parsePackImageManifest } from '../publish/mapping.js';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import type { KeyObject } from 'node:crypto';
import { fetchBytes } from './oci-io.js';
import { EVIDENCE_PACK_PREDICATE_TYPE } from './statement.js';
import { isKeylessBundle, parseBundle, verifyBundle } from './verify/bundle.js';
import { failureOf, stripStatement } from './decision.js';
import type { SignatureFailure, SourcedSignature } from './decision.js';

export interface RemotePackSummary {
  /** Raw hex JCS digest of manifest.json. */
  manifestDigest: string;
  packDigest: string;
  stream: string;
  artifacts: number;
  attestations: string[];
}

export interface RemotePackAttestations {
  summary: RemotePackSummary;
  bundles: Array<{ source: string; bytes: Uint8Array }>;
  needsTrustedRoot: boolean;
}

/** Reads a pack artifact's manifest.json and attestation layers; undefined when `subject` is not a pack. */
export async function readRemotePack(target: GraphTarget, subject: Descriptor): Promise<RemotePackAttestations | undefined> {
  if (subject.mediaType !== MediaType.imageManifest) return undefined;
  const manifestBytes = await fetchBytes(target, subject);
  let peek: { artifactType?: unknown; config?: { mediaType?: unknown } };
  try {
    peek = JSON.parse(Buffer.from(manifestBytes).toString('utf8')) as typeof peek;
  } catch {
    return undefined;
  }
  if (peek.artifactType !== MediaType.evidencePack && peek.config?.mediaType !== MediaType.evidencePackManifest) return undefined;
  const where = `${target.name}@${subject.digest}`;
  const image = parsePackImageManifest(manifestBytes, where);
  const configBytes = await fetchBytes(target, image.config, MAX_CONFIG_SIZE);
  const manifest = parseManifest(configBytes);
  const layers = matchPackLayers(image, manifest, where);
  const artifacts = embeddedArtifacts(manifest);
  const computed = computePackDigest(artifacts);
  if (computed !== manifest.pack_digest) {
    throw new VerificationError('pack_digest_mismatch', `${where}: pack_digest is ${manifest.pack_digest}, the artifacts give ${computed}`);
  }
  const bundles: Array<{ source: string; bytes: Uint8Array }> = [];
  for (const { path, layer } of layers.attestations) bundles.push({ source: `embedded:${path}`, bytes: await fetchBytes(target, layer, MAX_ATTESTATION_SIZE) });
  return {
    summary: {
      manifestDigest: computeManifestDigest(configBytes),
      packDigest: manifest.pack_digest,
      stream: manifest.stream,
      artifacts: artifacts.length,
      attestations: layers.attestations.map((a) => a.path),
    },
    bundles,
    needsTrustedRoot: bundles.some((b) => {
      try {
        return isKeylessBundle(parseBundle(b.bytes));
      } catch {
        return false;
      }
    }),
  };
}

export function verifyRemotePackAttestations(
  remote: RemotePackAttestations,
  trust: { trustedRoot?: TrustedRoot; key?: string | Uint8Array | KeyObject; requireTlog: boolean },
): { signatures: SourcedSignature[]; failures: SignatureFailure[] } {
  const signatures: SourcedSignature[] = [];
  const failures: SignatureFailure[] = [];
  for (const b of remote.bundles) {
    try {
      const sig = verifyBundle(b.bytes, {
        pack: true,
        expectedSubjectDigest: remote.summary.manifestDigest,
        expectedPredicateType: EVIDENCE_PACK_PREDICATE_TYPE,
        ...(trust.trustedRoot ? { trustedRoot: trust.trustedRoot } : {}),
        ...(trust.key !== undefined ? { key: trust.key } : {}),
        policy: { requireTlog: trust.requireTlog },
      });
      signatures.push(stripStatement(sig, b.source));
    } catch (err) {
      failures.push(failureOf(b.source, err));
    }
  }
  return { signatures, failures };
}

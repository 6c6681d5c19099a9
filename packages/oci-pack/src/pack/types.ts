/**
 * The Evidence Pack model shared by the pack modules and their users
 * (publish, sign, report). Spec v1: locktivity/evidence-pack spec/v1/pack.md.
 */
import type { Readable } from 'node:stream';

export interface PackSource {
  name: string;
  version?: string;
  source?: string;
  commit?: string;
  binary_digest?: string;
  /** The spec says an integer count; the reference implementation writes a list of paths. */
  artifacts?: number | string[];
  /** Sources are informational: unknown fields are kept, never rejected (pack.md §3.4.5). */
  [key: string]: unknown;
}

export interface EmbeddedArtifact {
  type: 'embedded';
  /** Path inside the pack, always under `artifacts/`. */
  path: string;
  /** `sha256:<64 lowercase hex>` of the bytes. */
  digest: string;
  size: number;
  content_type?: string;
  display_name?: string;
  description?: string;
  collected_at?: string;
  schema?: string;
  controls?: string[];
}

/** Access policies of a referenced artifact (pack.md §4.3.2). */
export type ReferenceAccessPolicy = 'public' | 'nda_required' | 'customer_only' | 'request_access';

/** Evidence kept outside the pack (pack.md §4.3): informational, not in pack_digest. */
export interface ReferencedArtifact {
  type: 'reference';
  name: string;
  uri: string;
  access: { policy: ReferenceAccessPolicy };
  metadata?: {
    document_type?: string;
    issuer?: string;
    period_start?: string;
    period_end?: string;
    expires_at?: string;
  };
  digest?: string;
  controls?: string[];
}

/** A manifest artifact; the spec also defines non-embedded (referenced) kinds. */
export type PackArtifact = EmbeddedArtifact | (Record<string, unknown> & { type: string });

/** A complete Sigstore bundle of a source pack, kept in merged provenance. */
export interface EmbeddedAttestation {
  mediaType: string;
  verificationMaterial: Record<string, unknown>;
  dsseEnvelope: Record<string, unknown>;
}

export interface SourcePack {
  stream: string;
  pack_digest: string;
  /** Raw hex sha256 of the JCS form of the source pack's manifest. */
  manifest_digest?: string;
  artifacts: number;
  embedded_attestations?: EmbeddedAttestation[];
}

export interface PackProvenance {
  type: 'merged' | 'single';
  merged_at?: string;
  merged_by?: string;
  source_packs?: SourcePack[];
}

/** `profile_lock` entry (pack.md §10.3). */
export interface ProfileLockEntry {
  id: string;
  digest: string;
}

export interface PackManifest {
  spec_version: string;
  stream: string;
  generated_at: string;
  pack_digest: string;
  sources: PackSource[];
  artifacts: PackArtifact[];
  provenance?: Record<string, unknown>;
  /** Not a spec field (the spec's is `profile`); parseManifest never produces it. */
  profiles?: unknown[];
  /** Reserved (pack.md §3.4.12, §10): `namespace/name@vN` identifiers. */
  overlays?: unknown[];
  profile?: string;
  profile_lock?: ProfileLockEntry[];
}

/** Budgets a reader enforces; defaults are the spec's (see limits.ts). */
export interface PackLimits {
  maxArtifactSize: number;
  maxPackSize: number;
  maxArtifactCount: number;
  maxEntryCount: number;
  maxManifestSize: number;
  maxAttestationSize: number;
  /** Largest allowed uncompressed/compressed ratio of one entry. */
  maxCompressionRatio: number;
}

/** An opened pack: the manifest is parsed and checked, entries are indexed. */
export interface PackReader {
  readonly path: string;
  /** `manifest.json` exactly as stored in the ZIP. */
  readonly manifestBytes: Uint8Array;
  readonly manifest: PackManifest;
  /** Raw hex sha256 of the JCS form of manifest.json (what signatures cover). */
  readonly manifestDigest: string;
  /** Embedded artifacts of the manifest, in manifest order. */
  readonly artifacts: readonly EmbeddedArtifact[];
  /** Paths of `attestations/*.sigstore.json` entries, sorted. */
  readonly attestations: readonly string[];
  /** Streams one embedded artifact, checking size and digest while read. */
  openArtifact(path: string): Promise<Readable>;
  /** Reads one attestation file (bounded by maxAttestationSize). */
  readAttestation(path: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * The Evidence Pack model shared by the pack modules and their users
 * (publish, sign, report). Spec v1: locktivity/evidence-pack spec/v1/pack.md.
 */
import type { Readable } from 'node:stream';

export interface PackSource {
  name: string;
  version?: string;
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

/** A manifest artifact; the spec also defines non-embedded (referenced) kinds. */
export type PackArtifact = EmbeddedArtifact | (Record<string, unknown> & { type: string });

export interface PackManifest {
  spec_version: string;
  stream: string;
  generated_at: string;
  pack_digest: string;
  sources: PackSource[];
  artifacts: PackArtifact[];
  provenance?: Record<string, unknown>;
  profiles?: unknown[];
  overlays?: unknown[];
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

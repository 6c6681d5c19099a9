/** The report's inputs and its model (what `--json` prints and index.html shows). */
import type { PackReader, PackSource } from '../pack/types.js';
import type { ArtifactSummary } from './summarize/types.js';

/**
 * One signature over the pack. From a verifier (`verified` true or false
 * with `error`), or read from an attestation without verifying
 * (`verified` undefined): the report then says it is a claim.
 */
export interface ReportSignature {
  /** Where it was found: `attestations/<name>.sigstore.json`, a referrer digest, a legacy tag. */
  source: string;
  /** Embedded in the pack (default), or stored in the registry (an OCI referrer or cosign tag). */
  location?: 'pack' | 'registry';
  verified?: boolean;
  /** The policy rule a verified signature meets; null when it meets none. */
  ruleMet?: string | null;
  error?: string;
  mode?: 'keyless' | 'key';
  /** Certificate SAN (keyless) or `sha256:<fingerprint>` of the public key. */
  identity?: string;
  issuer?: string;
  /** Transparency log integration time, ISO 8601. */
  integratedTime?: string;
  logIndex?: string;
  /** RFC 3161 timestamp, ISO 8601. */
  timestamp?: string;
  predicateType?: string;
}

export interface ReportOptions {
  /** Verification results; when absent, attestations are read (not verified). */
  signatures?: ReportSignature[];
  /** The pack this one is compared with ("what changed since"). */
  previous?: PackReader;
  /** The OCI reference the pack came from (digest-pinned is best); used in the verify commands. */
  reference?: string;
  /** How the user named the pack file in commands (default: the reader's path). */
  packArgument?: string;
  /** Per-image inline budget in bytes (default 1 MiB). */
  maxInlineImageBytes?: number;
  /** Total inline image budget in bytes (default 8 MiB). */
  maxInlineImagesTotal?: number;
  /** Shown in the footer, e.g. "epack 0.1.0". */
  generator?: string;
}

export interface ReportArtifact {
  /** Stable anchor id inside index.html. */
  id: string;
  path: string;
  digest: string;
  size: number;
  contentType?: string;
  displayName?: string;
  description?: string;
  collectedAt?: string;
  schema?: string;
  controls?: string[];
  summary: ArtifactSummary;
}

export interface ArtifactChange {
  path: string;
  before?: { digest: string; size: number };
  after?: { digest: string; size: number };
  /** Manifest fields that differ (digest, size, content_type, description, ...). */
  fields?: string[];
  /** Key figures before and after, for changed artifacts of the same kind. */
  metrics?: { label: string; before: number; after: number }[];
}

export interface ReportChanges {
  previous: { stream: string; generatedAt: string; packDigest: string; manifestDigest: string };
  added: ArtifactChange[];
  removed: ArtifactChange[];
  changed: ArtifactChange[];
  unchanged: number;
  sources: { name: string; before?: string; after?: string }[];
  streamChanged: boolean;
}

export interface VerifyCommand {
  tool: 'epack' | 'cosign';
  description: string;
  /** The identity (and issuer) the command requires, or the key fingerprint. */
  signer?: string;
  argv: string[];
  /** The command line, shell-quoted. */
  command: string;
}

export interface ReportModel {
  stream: string;
  specVersion: string;
  generatedAt: string;
  packDigest: string;
  manifestDigest: string;
  pack: string;
  reference?: string;
  sources: PackSource[];
  provenance?: Record<string, unknown>;
  artifacts: ReportArtifact[];
  /** Artifacts the manifest references without embedding them. */
  referenced: Record<string, unknown>[];
  totalSize: number;
  attestations: string[];
  signatures: ReportSignature[];
  verifyCommands: VerifyCommand[];
  changes?: ReportChanges;
  generator?: string;
}

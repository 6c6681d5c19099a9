/**
 * The mapping between an Evidence Pack and one OCI image manifest (design §4,
 * docs/oci-mapping.md):
 *
 *   artifactType  application/vnd.evidencepack.pack.v1
 *   config        manifest.json, verbatim (application/vnd.evidencepack.manifest.v1+json)
 *   layers        one per embedded artifact (its content_type), then one per
 *                 attestation (Sigstore bundle v0.3); title annotation = path in the pack
 *
 * Building is pure and deterministic: the same pack and options give the same
 * manifest bytes, hence the same digest. Reading checks that a manifest from a
 * registry really is a pack and that its layers are exactly the manifest's
 * embedded artifacts (a hostile registry cannot add, drop or swap files).
 */
import { PackError, RegistryError, VerificationError } from '../error.js';
import type { Descriptor, ImageManifest } from '../oci/descriptor.js';
import { digestOf } from '../oci/digest.js';
import { Annotation, MediaType } from '../oci/media-types.js';
import { DEFAULT_LIMITS } from '../pack/limits.js';
import type { EmbeddedArtifact, PackManifest } from '../pack/types.js';

/** Largest attestation file a pack may hold (spec budget). */
export const MAX_ATTESTATION_SIZE = DEFAULT_LIMITS.maxAttestationSize;
/** Largest manifest.json (config blob) we fetch (spec budget). */
export const MAX_CONFIG_SIZE = DEFAULT_LIMITS.maxManifestSize;
/** Largest OCI manifest we read (distribution's cap is 4 MiB). */
export const MAX_IMAGE_MANIFEST_SIZE = 4 * 1024 * 1024;

const ATTESTATION_PATH = /^attestations\/[^/]+\.sigstore\.json$/;

/** One attestation file of a pack, as a layer. */
export interface AttestationBlob {
  /** `attestations/<name>.sigstore.json` */
  path: string;
  digest: string;
  size: number;
}

/** What goes into the OCI manifest beyond the pack itself. */
export interface MappingOptions {
  /** Extra tags of this push, recorded in the `org.evidencepack.labels` annotation. */
  labels?: readonly string[];
  /** `org.opencontainers.image.source` (a URL of the source repository). */
  source?: string;
  /** `org.opencontainers.image.revision` (a commit). */
  revision?: string;
  /** `org.opencontainers.image.version`. */
  version?: string;
  /** Extra manifest annotations; they win over everything computed. */
  annotations?: Record<string, string>;
}

export interface PackLayout {
  manifestBytes: Uint8Array;
  manifest: PackManifest;
  artifacts: readonly EmbeddedArtifact[];
  attestations: readonly AttestationBlob[];
}

export interface MappedPack {
  imageManifest: ImageManifest;
  /** The serialized image manifest (what is pushed). */
  bytes: Uint8Array;
  /** Descriptor of `bytes`, with artifactType. */
  descriptor: Descriptor;
  config: Descriptor;
  /** Layers of embedded artifacts, in manifest order, paired with their artifact. */
  artifactLayers: { artifact: EmbeddedArtifact; layer: Descriptor }[];
  attestationLayers: { path: string; layer: Descriptor }[];
}

/** Builds the OCI image manifest of a pack. */
export function packToImageManifest(pack: PackLayout, options: MappingOptions = {}): MappedPack {
  const config: Descriptor = {
    mediaType: MediaType.evidencePackManifest,
    digest: digestOf(pack.manifestBytes),
    size: pack.manifestBytes.byteLength,
  };
  const artifactLayers = pack.artifacts.map((artifact) => ({
    artifact,
    layer: {
      mediaType: artifact.content_type ?? MediaType.octetStream,
      digest: artifact.digest,
      size: artifact.size,
      annotations: { [Annotation.title]: artifact.path },
    },
  }));
  const attestationLayers = pack.attestations.map((att) => ({
    path: att.path,
    layer: {
      mediaType: MediaType.sigstoreBundleV03,
      digest: att.digest,
      size: att.size,
      annotations: { [Annotation.title]: att.path },
    },
  }));
  const imageManifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.imageManifest,
    artifactType: MediaType.evidencePack,
    config,
    layers: [...artifactLayers.map((l) => l.layer), ...attestationLayers.map((l) => l.layer)],
    annotations: manifestAnnotations(pack.manifest, options),
  };
  const bytes = new TextEncoder().encode(JSON.stringify(imageManifest));
  const descriptor: Descriptor = {
    mediaType: MediaType.imageManifest,
    digest: digestOf(bytes),
    size: bytes.byteLength,
    artifactType: MediaType.evidencePack,
  };
  return { imageManifest, bytes, descriptor, config, artifactLayers, attestationLayers };
}

function manifestAnnotations(manifest: PackManifest, options: MappingOptions): Record<string, string> {
  const all: Record<string, string> = {
    [Annotation.created]: manifest.generated_at,
    [Annotation.packStream]: manifest.stream,
    [Annotation.packDigest]: manifest.pack_digest,
  };
  if (options.labels && options.labels.length > 0) all[Annotation.packLabels] = [...options.labels].join(',');
  if (options.source) all[Annotation.source] = options.source;
  if (options.revision) all[Annotation.revision] = options.revision;
  if (options.version) all[Annotation.version] = options.version;
  Object.assign(all, options.annotations ?? {});
  // Sorted keys: the same inputs always serialize to the same bytes.
  return Object.fromEntries(Object.entries(all).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Source, revision and version of the build, from CI environment variables
 * (GitHub Actions, GitLab CI). Explicit options win over these.
 */
export function provenanceFromEnv(env: NodeJS.ProcessEnv = process.env): Pick<MappingOptions, 'source' | 'revision' | 'version'> {
  const found: Pick<MappingOptions, 'source' | 'revision' | 'version'> = {};
  if (env['GITHUB_REPOSITORY']) {
    const server = (env['GITHUB_SERVER_URL'] ?? 'https://github.com').replace(/\/+$/, '');
    found.source = `${server}/${env['GITHUB_REPOSITORY']}`;
    if (env['GITHUB_SHA']) found.revision = env['GITHUB_SHA'];
    if (env['GITHUB_REF_TYPE'] === 'tag' && env['GITHUB_REF_NAME']) found.version = env['GITHUB_REF_NAME'];
  } else if (env['CI_PROJECT_URL']) {
    found.source = env['CI_PROJECT_URL'];
    if (env['CI_COMMIT_SHA']) found.revision = env['CI_COMMIT_SHA'];
    if (env['CI_COMMIT_TAG']) found.version = env['CI_COMMIT_TAG'];
  }
  return found;
}

/**
 * Parses the bytes of a manifest fetched from a store and checks that it is
 * an Evidence Pack artifact. Throws `not_a_pack` for any other content.
 */
export function parsePackImageManifest(bytes: Uint8Array, reference: string): ImageManifest {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new RegistryError('invalid_manifest', `${reference}: the manifest is not valid JSON`, { cause });
  }
  if (!isObject(value)) throw new RegistryError('invalid_manifest', `${reference}: the manifest is not a JSON object`);
  const mediaType = value['mediaType'];
  const config = value['config'];
  const isImageManifest =
    value['schemaVersion'] === 2 && (mediaType === undefined || mediaType === MediaType.imageManifest) && isObject(config) && Array.isArray(value['layers']);
  const configType = isImageManifest && isObject(config) ? config['mediaType'] : undefined;
  const artifactType = value['artifactType'];
  if (!isImageManifest || configType !== MediaType.evidencePackManifest || (artifactType !== undefined && artifactType !== MediaType.evidencePack)) {
    const what = typeof artifactType === 'string' ? `artifact type ${artifactType}` : typeof mediaType === 'string' ? mediaType : 'unknown content';
    throw new PackError('not_a_pack', `${reference} is not an Evidence Pack (${what})`, {
      hint: `expected artifactType ${MediaType.evidencePack}`,
    });
  }
  const manifest = value as unknown as ImageManifest;
  checkDescriptor(manifest.config, reference, 'config');
  manifest.layers.forEach((layer, i) => checkDescriptor(layer, reference, `layer ${i}`));
  if (manifest.config.size > MAX_CONFIG_SIZE) {
    throw new PackError('manifest_too_large', `${reference}: manifest.json is ${manifest.config.size} bytes (limit ${MAX_CONFIG_SIZE})`);
  }
  return manifest;
}

/** Layers of a pulled pack matched to the pack manifest's entries. */
export interface PackLayers {
  /** One layer per embedded artifact, keyed by its path. */
  artifacts: Map<string, { artifact: EmbeddedArtifact; layer: Descriptor }>;
  /** Attestation layers, sorted by path. */
  attestations: { path: string; layer: Descriptor }[];
}

/**
 * Checks that the layers of `imageManifest` are exactly the embedded artifacts
 * of `packManifest` (path, digest and size, one to one) plus attestation
 * files, and nothing else. Throws `pack_layer_mismatch` otherwise.
 */
export function matchPackLayers(imageManifest: ImageManifest, packManifest: PackManifest, reference: string): PackLayers {
  const mismatch = (what: string): never => {
    throw new VerificationError('pack_layer_mismatch', `${reference}: the registry's layers disagree with manifest.json: ${what}`, {
      hint: 'the artifact was altered or was not pushed by a conforming client; do not trust it',
    });
  };
  const embedded = new Map<string, EmbeddedArtifact>();
  for (const artifact of packManifest.artifacts) {
    if (artifact.type !== 'embedded') continue;
    const a = artifact as EmbeddedArtifact;
    embedded.set(a.path, a);
  }
  const artifacts = new Map<string, { artifact: EmbeddedArtifact; layer: Descriptor }>();
  const attestations: { path: string; layer: Descriptor }[] = [];
  const seen = new Set<string>();
  for (const layer of imageManifest.layers) {
    const title = layer.annotations?.[Annotation.title];
    if (typeof title !== 'string' || title === '') mismatch(`layer ${layer.digest} has no ${Annotation.title} annotation`);
    const path = title as string;
    if (seen.has(path)) mismatch(`two layers are titled ${path}`);
    seen.add(path);
    const artifact = embedded.get(path);
    if (artifact) {
      if (layer.digest !== artifact.digest || layer.size !== artifact.size) {
        mismatch(`layer ${path} is ${layer.digest} (${layer.size} bytes), manifest.json says ${artifact.digest} (${artifact.size} bytes)`);
      }
      artifacts.set(path, { artifact, layer });
    } else if (ATTESTATION_PATH.test(path)) {
      if (layer.mediaType !== MediaType.sigstoreBundleV03) mismatch(`attestation ${path} has media type ${layer.mediaType}`);
      if (layer.size > MAX_ATTESTATION_SIZE) mismatch(`attestation ${path} is ${layer.size} bytes (limit ${MAX_ATTESTATION_SIZE})`);
      attestations.push({ path, layer });
    } else {
      mismatch(`layer ${path} is not an artifact of manifest.json`);
    }
  }
  for (const path of embedded.keys()) {
    if (!artifacts.has(path)) mismatch(`artifact ${path} has no layer`);
  }
  attestations.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  return { artifacts, attestations };
}

function checkDescriptor(value: unknown, reference: string, what: string): void {
  const ok =
    isObject(value) &&
    typeof value['mediaType'] === 'string' &&
    typeof value['digest'] === 'string' &&
    /^sha256:[0-9a-f]{64}$/.test(value['digest']) &&
    typeof value['size'] === 'number' &&
    Number.isSafeInteger(value['size']) &&
    value['size'] >= 0 &&
    (value['annotations'] === undefined || isStringRecord(value['annotations']));
  if (!ok) throw new RegistryError('invalid_manifest', `${reference}: the manifest's ${what} is not a valid sha256 descriptor`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringRecord(value: unknown): boolean {
  return isObject(value) && Object.values(value).every((v) => typeof v === 'string');
}

/**
 * The manifest graph: which descriptors a manifest points at (its
 * successors), and the referrer descriptor a manifest with a `subject`
 * contributes to its subject's referrers list.
 */
import type { Descriptor, ImageIndex, ImageManifest } from '../oci/descriptor.js';
import { MediaType } from '../oci/media-types.js';
import { RegistryError } from '../error.js';

const MANIFEST_TYPES = new Set<string>([MediaType.imageManifest, MediaType.dockerManifest]);
const INDEX_TYPES = new Set<string>([MediaType.imageIndex, MediaType.dockerManifestList]);

/** True for image manifests and indexes (OCI and Docker v2). */
export function isManifestType(mediaType: string): boolean {
  return MANIFEST_TYPES.has(mediaType) || INDEX_TYPES.has(mediaType);
}

export function isIndexType(mediaType: string): boolean {
  return INDEX_TYPES.has(mediaType);
}

/** A manifest or index document, the fields the graph needs. */
export interface ParsedManifest {
  mediaType: string | undefined;
  artifactType: string | undefined;
  config: Descriptor | undefined;
  layers: Descriptor[];
  manifests: Descriptor[];
  subject: Descriptor | undefined;
  annotations: Record<string, string> | undefined;
}

/** Parses manifest bytes; throws `invalid_manifest` when they are not a manifest or index. */
export function parseManifest(bytes: Uint8Array, where: string): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (cause) {
    throw new RegistryError('invalid_manifest', `${where} is not valid JSON`, { cause });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new RegistryError('invalid_manifest', `${where} is not a JSON object`);
  }
  const m = doc as Partial<ImageManifest & ImageIndex>;
  const descriptors = (value: unknown, field: string): Descriptor[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every(isDescriptor)) {
      throw new RegistryError('invalid_manifest', `${where}: "${field}" is not a list of descriptors`);
    }
    return value;
  };
  const single = (value: unknown, field: string): Descriptor | undefined => {
    if (value === undefined || value === null) return undefined;
    if (!isDescriptor(value)) throw new RegistryError('invalid_manifest', `${where}: "${field}" is not a descriptor`);
    return value;
  };
  return {
    mediaType: typeof m.mediaType === 'string' ? m.mediaType : undefined,
    artifactType: typeof m.artifactType === 'string' ? m.artifactType : undefined,
    config: single(m.config, 'config'),
    layers: descriptors(m.layers, 'layers'),
    manifests: descriptors(m.manifests, 'manifests'),
    subject: single(m.subject, 'subject'),
    annotations: isStringRecord(m.annotations) ? m.annotations : undefined,
  };
}

function isDescriptor(value: unknown): value is Descriptor {
  if (typeof value !== 'object' || value === null) return false;
  const d = value as Partial<Descriptor>;
  return typeof d.mediaType === 'string' && typeof d.digest === 'string' && typeof d.size === 'number';
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

/**
 * What a node points at, in the order a copy must store them before the
 * node itself: the subject (like oras-go, so a copied referrer never
 * dangles), the config, the layers, or an index's manifests.
 */
export function successors(desc: Descriptor, manifest: ParsedManifest): Descriptor[] {
  const out: Descriptor[] = [];
  if (manifest.subject) out.push(manifest.subject);
  if (isIndexType(desc.mediaType)) {
    out.push(...manifest.manifests);
  } else {
    if (manifest.config) out.push(manifest.config);
    out.push(...manifest.layers);
  }
  return out;
}

/**
 * The descriptor of `desc` as it appears in a referrers list: with
 * `artifactType` (the config media type when the manifest has none,
 * as the distribution spec says) and the manifest's annotations.
 */
export function referrerDescriptor(desc: Descriptor, manifest: ParsedManifest): Descriptor {
  const out: Descriptor = { mediaType: manifest.mediaType ?? desc.mediaType, digest: desc.digest, size: desc.size };
  const artifactType = manifest.artifactType ?? (isIndexType(out.mediaType) ? undefined : manifest.config?.mediaType);
  if (artifactType !== undefined) out.artifactType = artifactType;
  if (manifest.annotations && Object.keys(manifest.annotations).length > 0) out.annotations = { ...manifest.annotations };
  return out;
}

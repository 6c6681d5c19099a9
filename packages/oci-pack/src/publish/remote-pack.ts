/**
 * A pack in a store, read without downloading it: the OCI manifest and the
 * config (manifest.json) are fetched and checked, artifacts and attestations
 * only when asked for, one blob each. `inspect`, `list`, `diff` and `extract`
 * of a reference work on this view; `pull` builds on it.
 */
import { pipeline, type Readable } from 'node:stream';
import { NotFoundError, RegistryError } from '../error.js';
import type { Descriptor, ImageManifest } from '../oci/descriptor.js';
import { DigestVerifier, verifyBytes } from '../oci/digest.js';
import { registerVerifyingOpen } from '../pack/artifact-check.js';
import { computeManifestDigest } from '../pack/digest.js';
import { embeddedArtifacts, parseManifest } from '../pack/manifest.js';
import type { EmbeddedArtifact, PackLimits, PackManifest, PackReader } from '../pack/types.js';
import { readAll } from '../store/read-all.js';
import { fetchVerifies, type FetchOptions, type Fetcher, type Resolver } from '../store/types.js';
import { MAX_IMAGE_MANIFEST_SIZE, type PackLayers, matchPackLayers, parsePackImageManifest } from './mapping.js';

/** What reading a remote pack needs: resolve a reference, fetch blobs. */
export type PackSourceStore = Fetcher & Resolver & { readonly name?: string };

export interface RemotePackOptions {
  signal?: AbortSignal;
  /** Shown in messages and as `path` (default: `<store name>@<digest>`). */
  displayName?: string;
  /** Called by {@link RemotePack.close} (closes connections of the store). */
  onClose?: () => Promise<void>;
  /** Budgets manifest.json is checked against (default: the spec's). */
  limits?: Partial<PackLimits>;
}

/** A pack artifact in a store; implements {@link PackReader}. */
export class RemotePack implements PackReader {
  readonly path: string;
  readonly manifestDigest: string;
  readonly artifacts: readonly EmbeddedArtifact[];
  readonly attestations: readonly string[];

  constructor(
    private readonly store: PackSourceStore,
    /** The OCI manifest's descriptor (the resolved digest). */
    readonly descriptor: Descriptor,
    readonly imageManifest: ImageManifest,
    readonly manifestBytes: Uint8Array,
    readonly manifest: PackManifest,
    private readonly layers: PackLayers,
    displayName: string,
    private readonly onClose?: () => Promise<void>,
  ) {
    this.path = displayName;
    this.manifestDigest = computeManifestDigest(manifestBytes);
    this.artifacts = embeddedArtifacts(manifest);
    this.attestations = layers.attestations.map((a) => a.path);
  }

  /** The layer holding an artifact or attestation. */
  layerOf(path: string): Descriptor {
    const layer = this.layers.artifacts.get(path)?.layer ?? this.layers.attestations.find((a) => a.path === path)?.layer;
    if (!layer) throw new NotFoundError('artifact_not_found', `${this.path} has no ${path}`);
    return layer;
  }

  /** Streams one artifact: one blob fetch, verified against the manifest's digest and size. */
  async openArtifact(path: string, options: FetchOptions = {}): Promise<Readable> {
    const entry = this.layers.artifacts.get(path);
    if (!entry) throw new NotFoundError('artifact_not_found', `${this.path} has no artifact ${path}`);
    return fetchVerified(this.store, entry.layer, `${this.path}: ${path}`, options);
  }

  async readAttestation(path: string): Promise<Uint8Array> {
    const entry = this.layers.attestations.find((a) => a.path === path);
    if (!entry) throw new NotFoundError('attestation_not_found', `${this.path} has no attestation ${path}`);
    return readAll(await fetchVerified(this.store, entry.layer, `${this.path}: ${path}`), entry.layer.size);
  }

  async close(): Promise<void> {
    await this.onClose?.();
  }
}

/**
 * Resolves `reference` (a tag or digest in `store`, or an already resolved
 * descriptor) once and reads the pack
 * artifact it names: manifest and config only, both checked byte for byte.
 * Throws `not_a_pack` for other artifacts and `pack_layer_mismatch` when the
 * layers are not exactly manifest.json's embedded artifacts.
 */
export async function openRemotePack(store: PackSourceStore, reference: string | Descriptor, options: RemotePackOptions = {}): Promise<RemotePack> {
  const signalOption = options.signal ? { signal: options.signal } : {};
  const descriptor = typeof reference === 'string' ? await store.resolve(reference, signalOption) : reference;
  const display = options.displayName ?? `${store.name ?? 'store'}@${descriptor.digest}`;
  if (descriptor.size > MAX_IMAGE_MANIFEST_SIZE) {
    throw new RegistryError('manifest_too_large', `${display}: the manifest is ${descriptor.size} bytes (limit ${MAX_IMAGE_MANIFEST_SIZE})`);
  }
  const manifestBytes = await readAll(await store.fetch(descriptor, signalOption), MAX_IMAGE_MANIFEST_SIZE);
  verifyBytes(descriptor, manifestBytes, display);
  const imageManifest = parsePackImageManifest(manifestBytes, display);
  const configBytes = await readAll(await fetchVerified(store, imageManifest.config, `${display}: manifest.json`, signalOption), imageManifest.config.size);
  const manifest = parseManifest(configBytes, options.limits ?? {});
  const layers = matchPackLayers(imageManifest, manifest, display);
  return new RemotePack(store, { ...descriptor }, imageManifest, configBytes, manifest, layers, display, options.onClose);
}

/** Fetches a blob through a digest and size check; the stream errors on any mismatch. */
export async function fetchVerified(store: Fetcher, desc: Descriptor, where: string, options: FetchOptions = {}): Promise<Readable> {
  const signalOption = options.signal ? { signal: options.signal } : {};
  // A registry, layout or memory store checks its own streams: the bytes are not hashed twice.
  if (fetchVerifies(store)) return store.fetch(desc, { ...signalOption, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
  const source = await store.fetch(desc, signalOption);
  const verifier = new DigestVerifier(desc, where, options.onProgress);
  pipeline(source, verifier, () => {
    // Errors reach the consumer through `verifier`, which pipeline destroys with them.
  });
  return verifier;
}

// fetchVerified: the store's or our own digest check, which holds back the last chunk too.
registerVerifyingOpen(RemotePack.prototype.openArtifact);

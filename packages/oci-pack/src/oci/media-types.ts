/** Media types and annotation keys used across the library (design §4). */
export const MediaType = {
  imageManifest: 'application/vnd.oci.image.manifest.v1+json',
  imageIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  empty: 'application/vnd.oci.empty.v1+json',
  imageConfig: 'application/vnd.oci.image.config.v1+json',
  layerTar: 'application/vnd.oci.image.layer.v1.tar',
  octetStream: 'application/octet-stream',
  /** The OCI artifactType of an Evidence Pack. */
  evidencePack: 'application/vnd.evidencepack.pack.v1',
  /** The config blob of a pack artifact: the pack's manifest.json, verbatim. */
  evidencePackManifest: 'application/vnd.evidencepack.manifest.v1+json',
  sigstoreBundleV03: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  inToto: 'application/vnd.in-toto+json',
} as const;

/** Manifest media types a client accepts when resolving or fetching. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaType.imageManifest,
  MediaType.imageIndex,
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
];

export const Annotation = {
  title: 'org.opencontainers.image.title',
  created: 'org.opencontainers.image.created',
  source: 'org.opencontainers.image.source',
  revision: 'org.opencontainers.image.revision',
  version: 'org.opencontainers.image.version',
  refName: 'org.opencontainers.image.ref.name',
  description: 'org.opencontainers.image.description',
  packStream: 'org.evidencepack.stream',
  packDigest: 'org.evidencepack.pack-digest',
  packLabels: 'org.evidencepack.labels',
  sigstoreBundleContent: 'dev.sigstore.bundle.content',
  sigstoreBundlePredicateType: 'dev.sigstore.bundle.predicateType',
} as const;

/** The OCI empty descriptor's content: `{}`. */
export const EMPTY_JSON = new Uint8Array([0x7b, 0x7d]);
export const EMPTY_JSON_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

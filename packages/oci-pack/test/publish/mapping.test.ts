import { describe, expect, it } from 'vitest';
import { digestOf } from '../../src/oci/digest.js';
import { MediaType } from '../../src/oci/media-types.js';
import { parseManifest } from '../../src/pack/manifest.js';
import { matchPackLayers, packToImageManifest, parsePackImageManifest, provenanceFromEnv } from '../../src/publish/mapping.js';
import { fakePack } from './fixtures.js';

const pack = fakePack({
  files: { 'artifacts/sbom.cdx.json': '{"bomFormat":"CycloneDX"}', 'artifacts/raw.bin': 'raw' },
  contentTypes: { 'artifacts/sbom.cdx.json': 'application/vnd.cyclonedx+json' },
});
const att = { path: 'attestations/a.sigstore.json', digest: digestOf('{}'), size: 2 };
const layout = { manifestBytes: pack.manifestBytes, manifest: pack.manifest, artifacts: pack.artifacts, attestations: [att] };

describe('pack -> OCI image manifest', () => {
  it('maps config, layers and annotations as design §4 says', () => {
    const mapped = packToImageManifest(layout, { labels: ['soc2', 'q4'], source: 'https://github.com/acme/app', revision: 'abc', version: 'v1' });
    const m = mapped.imageManifest;
    expect(m.mediaType).toBe(MediaType.imageManifest);
    expect(m.artifactType).toBe('application/vnd.evidencepack.pack.v1');
    expect(m.config).toEqual({ mediaType: 'application/vnd.evidencepack.manifest.v1+json', digest: digestOf(pack.manifestBytes), size: pack.manifestBytes.byteLength });
    expect(m.layers.map((l) => [l.mediaType, l.annotations?.['org.opencontainers.image.title']])).toEqual([
      ['application/vnd.cyclonedx+json', 'artifacts/sbom.cdx.json'],
      ['application/octet-stream', 'artifacts/raw.bin'],
      ['application/vnd.dev.sigstore.bundle.v0.3+json', 'attestations/a.sigstore.json'],
    ]);
    expect(m.layers[0]).toMatchObject({ digest: pack.artifacts[0]!.digest, size: pack.artifacts[0]!.size });
    expect(m.annotations).toEqual({
      'org.evidencepack.labels': 'soc2,q4',
      'org.evidencepack.pack-digest': pack.manifest.pack_digest,
      'org.evidencepack.stream': 'acme/prod',
      'org.opencontainers.image.created': '2026-11-01T12:00:00Z',
      'org.opencontainers.image.revision': 'abc',
      'org.opencontainers.image.source': 'https://github.com/acme/app',
      'org.opencontainers.image.version': 'v1',
    });
    expect(mapped.descriptor).toEqual({ mediaType: MediaType.imageManifest, digest: digestOf(mapped.bytes), size: mapped.bytes.byteLength, artifactType: MediaType.evidencePack });
  });

  it('is deterministic', () => {
    expect(packToImageManifest(layout).descriptor.digest).toBe(packToImageManifest(layout).descriptor.digest);
  });

  it('reads source, revision and version from GitHub Actions and GitLab CI', () => {
    expect(provenanceFromEnv({ GITHUB_SERVER_URL: 'https://github.example', GITHUB_REPOSITORY: 'acme/app', GITHUB_SHA: 'f00', GITHUB_REF_TYPE: 'tag', GITHUB_REF_NAME: 'v2' })).toEqual({
      source: 'https://github.example/acme/app',
      revision: 'f00',
      version: 'v2',
    });
    expect(provenanceFromEnv({ CI_PROJECT_URL: 'https://gitlab.com/a/b', CI_COMMIT_SHA: 'bar' })).toEqual({ source: 'https://gitlab.com/a/b', revision: 'bar' });
    expect(provenanceFromEnv({})).toEqual({});
  });
});

describe('reading a pulled manifest', () => {
  const mapped = packToImageManifest(layout);
  const packManifest = parseManifest(pack.manifestBytes);

  it('accepts what push produces and pairs layers with artifacts', () => {
    const m = parsePackImageManifest(mapped.bytes, 'ref');
    const layers = matchPackLayers(m, packManifest, 'ref');
    expect([...layers.artifacts.keys()]).toEqual(['artifacts/sbom.cdx.json', 'artifacts/raw.bin']);
    expect(layers.attestations.map((a) => a.path)).toEqual(['attestations/a.sigstore.json']);
  });

  it('rejects other artifacts with not_a_pack', () => {
    const image = { schemaVersion: 2, mediaType: MediaType.imageManifest, config: { mediaType: MediaType.imageConfig, digest: digestOf('{}'), size: 2 }, layers: [] };
    expect(() => parsePackImageManifest(new TextEncoder().encode(JSON.stringify(image)), 'ref')).toThrow(expect.objectContaining({ code: 'not_a_pack' }));
    const index = { schemaVersion: 2, mediaType: MediaType.imageIndex, manifests: [] };
    expect(() => parsePackImageManifest(new TextEncoder().encode(JSON.stringify(index)), 'ref')).toThrow(expect.objectContaining({ code: 'not_a_pack' }));
    const other = { ...mapped.imageManifest, artifactType: 'application/vnd.example+type' };
    expect(() => parsePackImageManifest(new TextEncoder().encode(JSON.stringify(other)), 'ref')).toThrow(/application\/vnd\.example\+type/);
  });

  const tamper = (change: (layers: typeof mapped.imageManifest.layers) => void) => {
    const copy = structuredClone(mapped.imageManifest);
    change(copy.layers);
    return () => matchPackLayers(copy, packManifest, 'ref');
  };
  const mismatch = expect.objectContaining({ code: 'pack_layer_mismatch', kind: 'verification' });

  it('rejects an extra file smuggled in as a layer', () => {
    expect(tamper((l) => l.push({ mediaType: 'text/plain', digest: digestOf('x'), size: 1, annotations: { 'org.opencontainers.image.title': 'artifacts/extra.txt' } }))).toThrow(mismatch);
    expect(tamper((l) => l.push({ mediaType: 'text/plain', digest: digestOf('x'), size: 1 }))).toThrow(mismatch);
  });
  it('rejects a missing, swapped or duplicated layer', () => {
    expect(tamper((l) => l.splice(1, 1))).toThrow(mismatch);
    expect(tamper((l) => (l[0]!.digest = digestOf('evil')))).toThrow(mismatch);
    expect(tamper((l) => (l[0]!.size += 1))).toThrow(mismatch);
    expect(tamper((l) => l.push(structuredClone(l[0]!)))).toThrow(mismatch);
  });
  it('rejects attestations with another media type or in subfolders', () => {
    expect(tamper((l) => (l[2]!.mediaType = 'application/json'))).toThrow(mismatch);
    expect(tamper((l) => (l[2]!.annotations = { 'org.opencontainers.image.title': 'attestations/x/a.sigstore.json' }))).toThrow(mismatch);
  });
  it('rejects malformed descriptors', () => {
    const copy = structuredClone(mapped.imageManifest) as unknown as { layers: { digest: string }[] };
    copy.layers[0]!.digest = 'sha256:nothex';
    expect(() => parsePackImageManifest(new TextEncoder().encode(JSON.stringify(copy)), 'ref')).toThrow(expect.objectContaining({ code: 'invalid_manifest' }));
  });
});

describe('default pull file name', () => {
  it('uses the repository name and the tag, else a short digest', async () => {
    const { defaultPackName } = await import('../../src/publish/transfer.js');
    const digest = 'sha256:0123456789abcdef' + '0'.repeat(48);
    expect(defaultPackName('ghcr.io/acme/evidence', '2026-11', digest)).toBe('evidence-2026-11.epack');
    expect(defaultPackName('oci:./demo-out/store', undefined, digest)).toBe('store-0123456789ab.epack');
    expect(defaultPackName('oci:/abs/store/', 'v1', digest)).toBe('store-v1.epack');
  });
});

/**
 * In-memory packs for publish tests: a PackReader over given files, with a
 * valid manifest.json (pack_digest computed), no ZIP involved.
 */
import { Readable } from 'node:stream';
import { NotFoundError } from '../../src/error.js';
import { digestOf } from '../../src/oci/digest.js';
import { computeManifestDigest, computePackDigest } from '../../src/pack/digest.js';
import type { EmbeddedArtifact, PackManifest, PackReader } from '../../src/pack/types.js';

export interface FakePackInput {
  stream?: string;
  generatedAt?: string;
  files: Record<string, string | Uint8Array>;
  contentTypes?: Record<string, string>;
  attestations?: Record<string, string>;
  /** Referenced (not embedded) artifacts: listed in the manifest, no bytes. */
  referenced?: { name: string; uri: string }[];
}

export function fakePack(input: FakePackInput): PackReader & { opened: string[] } {
  const bytesOf = (v: string | Uint8Array): Uint8Array => (typeof v === 'string' ? new TextEncoder().encode(v) : v);
  const files = new Map(Object.entries(input.files).map(([p, v]) => [p, bytesOf(v)]));
  const artifacts: EmbeddedArtifact[] = [...files].map(([path, bytes]) => ({
    type: 'embedded',
    path,
    digest: digestOf(bytes),
    size: bytes.byteLength,
    ...(input.contentTypes?.[path] ? { content_type: input.contentTypes[path] } : {}),
  }));
  const manifest: PackManifest = {
    spec_version: '1.0',
    stream: input.stream ?? 'acme/prod',
    generated_at: input.generatedAt ?? '2026-11-01T12:00:00Z',
    pack_digest: computePackDigest(artifacts),
    sources: [{ name: 'ci', version: '1.0.0' }],
    artifacts: [...artifacts, ...(input.referenced ?? []).map((r) => ({ type: 'reference', name: r.name, uri: r.uri, access: { policy: 'nda_required' } }))],
  };
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n');
  const attestations = new Map(Object.entries(input.attestations ?? {}).map(([p, v]) => [p, bytesOf(v)]));
  const opened: string[] = [];
  return {
    path: 'fake.pack',
    manifestBytes,
    manifest,
    manifestDigest: computeManifestDigest(manifestBytes),
    artifacts,
    attestations: [...attestations.keys()].sort(),
    opened,
    async openArtifact(path: string) {
      const bytes = files.get(path);
      if (!bytes) throw new NotFoundError('artifact_not_found', path);
      opened.push(path);
      return Readable.from([Buffer.from(bytes)]);
    },
    async readAttestation(path: string) {
      const bytes = attestations.get(path);
      if (!bytes) throw new NotFoundError('attestation_not_found', path);
      return bytes;
    },
    async close() {},
  };
}

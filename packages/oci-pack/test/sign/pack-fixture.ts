/** Builds small valid Evidence Packs for the signing tests. */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { writePack } from '../../src/pack/write.js';
import { computePackDigest } from '../../src/pack/digest.js';

export interface FixtureArtifact {
  path: string;
  content: string;
}

export function fixtureManifest(artifacts: FixtureArtifact[], stream = 'acme/prod'): Uint8Array {
  const entries = artifacts.map((a) => ({
    type: 'embedded' as const,
    path: a.path,
    digest: `sha256:${createHash('sha256').update(a.content).digest('hex')}`,
    size: Buffer.byteLength(a.content),
  }));
  const manifest = {
    spec_version: '1.0',
    stream,
    generated_at: '2026-01-15T10:00:00Z',
    pack_digest: computePackDigest(entries),
    sources: [{ name: 'fixture', version: '1.0.0' }],
    artifacts: entries,
  };
  return new TextEncoder().encode(JSON.stringify(manifest, null, 2));
}

export async function makePack(file: string, artifacts: FixtureArtifact[] = [{ path: 'artifacts/sbom.json', content: '{"bom":1}' }]): Promise<string> {
  await writePack(file, {
    manifestBytes: fixtureManifest(artifacts),
    artifacts: artifacts.map((a) => ({ path: a.path, size: Buffer.byteLength(a.content), open: async () => Readable.from([Buffer.from(a.content)]) })),
  });
  return file;
}

/**
 * An in-memory PackReader for report tests: real bytes and digests, no ZIP.
 * openArtifact checks the digest at the end like the real reader does.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import type { EmbeddedArtifact, PackReader, PackSource } from '../../src/pack/types.js';

export interface FakeArtifact {
  path: string;
  bytes: Uint8Array;
  content_type?: string;
  display_name?: string;
  description?: string;
  controls?: string[];
}

export interface FakePackInput {
  stream?: string;
  generatedAt?: string;
  sources?: PackSource[];
  artifacts: FakeArtifact[];
  attestations?: Record<string, Uint8Array>;
  /** Bytes served instead of the recorded ones (to simulate tampering). */
  tampered?: Record<string, Uint8Array>;
}

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

export function fakePack(input: FakePackInput, packPath = '/tmp/fake.epack'): PackReader {
  const artifacts: EmbeddedArtifact[] = input.artifacts.map((a) => {
    const e: EmbeddedArtifact = { type: 'embedded', path: a.path, digest: `sha256:${sha256(a.bytes)}`, size: a.bytes.length };
    for (const key of ['content_type', 'display_name', 'description', 'controls'] as const) if (a[key] !== undefined) (e as any)[key] = a[key];
    return e;
  });
  const sorted = [...artifacts].sort((x, y) => Buffer.compare(Buffer.from(x.path), Buffer.from(y.path)));
  const manifest = {
    spec_version: '1.0',
    stream: input.stream ?? 'acme/prod/evidence',
    generated_at: input.generatedAt ?? '2026-11-20T10:00:00Z',
    pack_digest: `sha256:${sha256(sorted.map((a) => `${a.path}\t${a.digest}\n`).join(''))}`,
    sources: input.sources ?? [{ name: 'github-actions', version: '1.0' }],
    artifacts,
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const bytes = new Map(input.artifacts.map((a) => [a.path, input.tampered?.[a.path] ?? a.bytes]));
  const attestations = input.attestations ?? {};
  return {
    path: packPath,
    manifestBytes,
    manifest,
    manifestDigest: sha256(manifestBytes),
    artifacts,
    attestations: Object.keys(attestations).sort(),
    async openArtifact(p: string) {
      const data = bytes.get(p);
      const expected = artifacts.find((a) => a.path === p)!.digest;
      if (!data) throw new Error(`no ${p}`);
      return Readable.from(
        (async function* () {
          for (let i = 0; i < data.length; i += 4096) yield Buffer.from(data.subarray(i, i + 4096));
          if (`sha256:${sha256(data)}` !== expected) throw new Error(`digest mismatch: ${p}`);
        })(),
      );
    },
    async readAttestation(p: string) {
      const data = attestations[p];
      if (!data) throw new Error(`no ${p}`);
      return data;
    },
    async close() {},
  };
}

/** The real-world samples as artifacts (content types as a build would record them). */
export function sampleArtifacts(dir: string): FakeArtifact[] {
  const read = (name: string) => readFileSync(path.join(dir, name));
  return [
    { path: 'artifacts/sbom/atc-router.spdx.json', bytes: read('syft-0.83.0-kong-atc-router.spdx.json'), content_type: 'application/spdx+json', display_name: 'SBOM: atc-router (syft)' },
    { path: 'artifacts/sbom/postgresql.spdx.json', bytes: read('bitnami-postgresql-17.2.0.spdx.json'), content_type: 'application/spdx+json' },
    { path: 'artifacts/sbom/npm-bundled.cdx.json', bytes: read('cyclonedx-npm-bundled-deps.cdx15.cdx.json'), content_type: 'application/vnd.cyclonedx+json' },
    { path: 'artifacts/sbom/trivy-npm.cdx.json', bytes: read('trivy-npm.cdx16.cdx.json'), content_type: 'application/vnd.cyclonedx+json' },
    { path: 'artifacts/scans/trivy-alpine.sarif', bytes: read('trivy-alpine-310.sarif'), content_type: 'application/sarif+json', controls: ['CC7.1'] },
    { path: 'artifacts/scans/codeql-irql.sarif', bytes: read('codeql-2.25.5-windows-drivers-IrqlTooHigh.sarif'), content_type: 'application/sarif+json' },
    { path: 'artifacts/tests/jest.junit.xml', bytes: read('dorny-jest.junit.xml'), content_type: 'application/junit+xml' },
    { path: 'artifacts/tests/pulsar.junit.xml', bytes: read('dorny-pulsar-surefire.junit.xml'), content_type: 'application/junit+xml' },
    { path: 'artifacts/licenses/go-licenses.csv', bytes: read('go-licenses-complex.csv'), content_type: 'text/csv' },
    { path: 'artifacts/provenance/slsa-generic.intoto.jsonl', bytes: read('slsa-github-generator-v2.0.0-generic.intoto.jsonl') },
    { path: 'artifacts/provenance/rules_lint.sigstore.json', bytes: read('bcr-rules_lint-v1.3.1-provenance.sigstore.json'), content_type: 'application/vnd.dev.sigstore.bundle.v0.3+json' },
    { path: 'artifacts/screenshots/mocha-groups.png', bytes: read('dorny-mocha-groups.png'), content_type: 'image/png', description: 'Test report screenshot' },
  ];
}

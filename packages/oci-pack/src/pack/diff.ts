/**
 * Differences between two packs: stream, sources and artifacts (added,
 * removed, changed). Works on manifests alone, so a remote pack (manifest
 * fetched from a registry) can be compared without its blobs.
 */
import { compareUtf8 } from './digest.js';
import { embeddedArtifacts } from './manifest.js';
import type { EmbeddedArtifact, PackManifest, PackReader, PackSource } from './types.js';

export interface ArtifactSummary {
  path: string;
  digest: string;
  size: number;
  content_type?: string;
}

export interface ArtifactChange {
  path: string;
  from: ArtifactSummary;
  to: ArtifactSummary;
  /** Which of digest, size, content_type, display_name, description, collected_at, schema, controls differ. */
  fields: string[];
}

export interface PackSide {
  stream: string;
  generated_at: string;
  pack_digest: string;
  manifest_digest?: string;
  artifacts: number;
  attestations?: number;
}

export interface PackDiff {
  a: PackSide;
  b: PackSide;
  streamChanged: boolean;
  added: ArtifactSummary[];
  removed: ArtifactSummary[];
  changed: ArtifactChange[];
  unchanged: number;
  sources: { added: PackSource[]; removed: PackSource[]; changed: { name: string; from: PackSource; to: PackSource }[] };
  /** True when stream, sources and every artifact are the same (generated_at and attestations may differ). */
  identical: boolean;
}

const COMPARED_FIELDS = ['digest', 'size', 'content_type', 'display_name', 'description', 'collected_at', 'schema', 'controls'] as const;

function summary(a: EmbeddedArtifact): ArtifactSummary {
  return { path: a.path, digest: a.digest, size: a.size, ...(a.content_type ? { content_type: a.content_type } : {}) };
}

export function diffManifests(a: PackManifest, b: PackManifest, extra: { a?: Partial<PackSide>; b?: Partial<PackSide> } = {}): PackDiff {
  const left = new Map(embeddedArtifacts(a).map((x) => [x.path, x]));
  const right = new Map(embeddedArtifacts(b).map((x) => [x.path, x]));
  const added: ArtifactSummary[] = [];
  const removed: ArtifactSummary[] = [];
  const changed: ArtifactChange[] = [];
  let unchanged = 0;
  for (const [p, x] of left) {
    const y = right.get(p);
    if (!y) {
      removed.push(summary(x));
      continue;
    }
    const fields = COMPARED_FIELDS.filter((f) => JSON.stringify(x[f]) !== JSON.stringify(y[f]));
    if (fields.length > 0) changed.push({ path: p, from: summary(x), to: summary(y), fields });
    else unchanged++;
  }
  for (const [p, y] of right) if (!left.has(p)) added.push(summary(y));
  const byPath = (u: { path: string }, v: { path: string }): number => compareUtf8(u.path, v.path);
  added.sort(byPath);
  removed.sort(byPath);
  changed.sort(byPath);
  const sources = diffSources(a.sources, b.sources);
  const streamChanged = a.stream !== b.stream;
  return {
    a: side(a, extra.a),
    b: side(b, extra.b),
    streamChanged,
    added,
    removed,
    changed,
    unchanged,
    sources,
    identical: !streamChanged && added.length === 0 && removed.length === 0 && changed.length === 0 && sources.added.length === 0 && sources.removed.length === 0 && sources.changed.length === 0,
  };
}

export function diffPacks(a: PackReader, b: PackReader): PackDiff {
  return diffManifests(a.manifest, b.manifest, {
    a: { manifest_digest: a.manifestDigest, attestations: a.attestations.length },
    b: { manifest_digest: b.manifestDigest, attestations: b.attestations.length },
  });
}

function side(m: PackManifest, extra: Partial<PackSide> = {}): PackSide {
  return { stream: m.stream, generated_at: m.generated_at, pack_digest: m.pack_digest, artifacts: embeddedArtifacts(m).length, ...extra };
}

function diffSources(a: readonly PackSource[], b: readonly PackSource[]): PackDiff['sources'] {
  const left = new Map(a.map((s) => [s.name, s]));
  const right = new Map(b.map((s) => [s.name, s]));
  const added = b.filter((s) => !left.has(s.name));
  const removed = a.filter((s) => !right.has(s.name));
  const changed: { name: string; from: PackSource; to: PackSource }[] = [];
  for (const [name, s] of left) {
    const t = right.get(name);
    if (t && JSON.stringify(sorted(s)) !== JSON.stringify(sorted(t))) changed.push({ name, from: s, to: t });
  }
  return { added, removed, changed };
}

function sorted(o: PackSource): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

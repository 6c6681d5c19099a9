/** "What changed since": artifacts added, removed and changed against a previous pack. */
import type { EmbeddedArtifact, PackReader } from '../pack/types.js';
import type { ArtifactSummary } from './summarize/types.js';
import type { ArtifactChange, ReportChanges } from './types.js';

/** Key figures of a summary, compared between two versions of an artifact. */
export function keyMetrics(summary: ArtifactSummary): { label: string; value: number }[] {
  switch (summary.kind) {
    case 'spdx':
      return [
        { label: 'Packages', value: summary.packages },
        { label: 'Files', value: summary.files },
      ];
    case 'cyclonedx':
      return [
        { label: 'Components', value: summary.components },
        { label: 'Vulnerabilities', value: summary.vulnerabilities },
      ];
    case 'sarif':
      return [
        { label: 'Results', value: summary.results },
        { label: 'Errors', value: summary.byLevel.error },
        { label: 'Warnings', value: summary.byLevel.warning },
      ];
    case 'junit':
      return [
        { label: 'Tests', value: summary.counted.tests },
        { label: 'Failures', value: summary.counted.failures },
        { label: 'Errors', value: summary.counted.errors },
        { label: 'Skipped', value: summary.counted.skipped },
      ];
    case 'csv':
      return [{ label: 'Records', value: summary.records }];
    case 'provenance':
      return [{ label: 'Subjects', value: summary.statements.reduce((n, s) => n + s.subjectCount, 0) }];
    default:
      return [];
  }
}

export function compareMetrics(before: ArtifactSummary, after: ArtifactSummary): ArtifactChange['metrics'] {
  if (before.kind !== after.kind) return undefined;
  const a = keyMetrics(before);
  const b = keyMetrics(after);
  return a.map((m, i) => ({ label: m.label, before: m.value, after: b[i]!.value }));
}

const entry = (a: EmbeddedArtifact) => ({ digest: a.digest, size: a.size });

/** Compares manifests only; metrics of changed artifacts are added by the caller. */
export function compareManifests(previous: PackReader, current: PackReader): ReportChanges {
  const before = new Map(previous.artifacts.map((a) => [a.path, a]));
  const after = new Map(current.artifacts.map((a) => [a.path, a]));
  const changes: ReportChanges = {
    previous: {
      stream: previous.manifest.stream,
      generatedAt: previous.manifest.generated_at,
      packDigest: previous.manifest.pack_digest,
      manifestDigest: previous.manifestDigest,
    },
    added: [],
    removed: [],
    changed: [],
    unchanged: 0,
    sources: [],
    streamChanged: previous.manifest.stream !== current.manifest.stream,
  };
  for (const [path, a] of after) {
    const b = before.get(path);
    if (!b) changes.added.push({ path, after: entry(a) });
    else if (b.digest !== a.digest || b.size !== a.size) changes.changed.push({ path, before: entry(b), after: entry(a) });
    else changes.unchanged++;
  }
  for (const [path, b] of before) if (!after.has(path)) changes.removed.push({ path, before: entry(b) });
  const byPath = (x: ArtifactChange, y: ArtifactChange) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0);
  changes.added.sort(byPath);
  changes.removed.sort(byPath);
  changes.changed.sort(byPath);

  const version = (s: { version?: string }) => (typeof s.version === 'string' ? s.version : '');
  const sourcesBefore = new Map(previous.manifest.sources.map((s) => [s.name, version(s)]));
  const sourcesAfter = new Map(current.manifest.sources.map((s) => [s.name, version(s)]));
  for (const [name, v] of sourcesAfter) {
    if (!sourcesBefore.has(name)) changes.sources.push({ name, after: v });
    else if (sourcesBefore.get(name) !== v) changes.sources.push({ name, before: sourcesBefore.get(name)!, after: v });
  }
  for (const [name, v] of sourcesBefore) if (!sourcesAfter.has(name)) changes.sources.push({ name, before: v });
  return changes;
}

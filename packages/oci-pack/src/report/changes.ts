/** "What changed since": artifacts added, removed and changed against a previous pack. */
import { diffPacks } from '../pack/diff.js';
import type { PackReader, PackSource } from '../pack/types.js';
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
    case 'openvex':
      return [
        { label: 'Statements', value: summary.statements },
        { label: 'Affected', value: summary.byStatus.affected },
      ];
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

function versionOf(source: PackSource): string {
  return typeof source.version === 'string' ? source.version : '';
}

/** The pack diff (src/pack/diff.ts) in the report's terms; metrics of changed artifacts are added by the caller. */
export function compareManifests(previous: PackReader, current: PackReader): ReportChanges {
  const diff = diffPacks(previous, current);
  const side = (a: { digest: string; size: number }) => ({ digest: a.digest, size: a.size });
  return {
    previous: {
      stream: diff.a.stream,
      generatedAt: diff.a.generated_at,
      packDigest: diff.a.pack_digest,
      manifestDigest: previous.manifestDigest,
    },
    added: diff.added.map((a) => ({ path: a.path, after: side(a) })),
    removed: diff.removed.map((a) => ({ path: a.path, before: side(a) })),
    changed: diff.changed.map((c) => ({ path: c.path, before: side(c.from), after: side(c.to), fields: c.fields })),
    unchanged: diff.unchanged,
    sources: [
      ...diff.sources.changed.map((c) => ({ name: c.name, before: versionOf(c.from), after: versionOf(c.to) })),
      ...diff.sources.added.map((s) => ({ name: s.name, after: versionOf(s) })),
      ...diff.sources.removed.map((s) => ({ name: s.name, before: versionOf(s) })),
    ],
    streamChanged: diff.streamChanged,
  };
}

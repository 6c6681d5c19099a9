/** Builds the report model of a pack: manifest facts, artifact summaries, signatures, changes. */
import type { EmbeddedArtifact, PackReader } from '../pack/types.js';
import { compareManifests, compareMetrics } from './changes.js';
import { verifyCommands } from './commands.js';
import { summarizeArtifact } from './summarize/index.js';
import { claimedSignature } from './claimed-signature.js';
import type { ReportArtifact, ReportModel, ReportOptions, ReportSignature } from './types.js';

const DEFAULT_INLINE_IMAGE = 1024 * 1024;
const DEFAULT_INLINE_TOTAL = 8 * 1024 * 1024;
const MAX_ATTESTATION_READ = 1024 * 1024;

/** What each attestation in the pack claims; nothing here is verified. */
export async function readClaimedSignatures(pack: PackReader): Promise<ReportSignature[]> {
  const out: ReportSignature[] = [];
  for (const path of pack.attestations) {
    try {
      const bytes = await pack.readAttestation(path);
      if (bytes.length > MAX_ATTESTATION_READ) throw new Error('attestation too large');
      const bundle: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
      out.push(claimedSignature(bundle, { source: path }));
    } catch (err) {
      out.push({ source: path, error: `unreadable: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  return out;
}

async function summarizeAll(pack: PackReader, options: ReportOptions): Promise<ReportArtifact[]> {
  let budget = options.maxInlineImagesTotal ?? DEFAULT_INLINE_TOTAL;
  const perImage = options.maxInlineImageBytes ?? DEFAULT_INLINE_IMAGE;
  const out: ReportArtifact[] = [];
  for (const [i, a] of pack.artifacts.entries()) {
    const summary = await summarizeArtifact(a, () => pack.openArtifact(a.path), { maxInlineImageBytes: Math.min(perImage, budget) });
    if (summary.kind === 'image' && summary.dataUri) budget -= a.size;
    out.push(toReportArtifact(a, `artifact-${i + 1}`, summary));
  }
  return out;
}

function toReportArtifact(a: EmbeddedArtifact, id: string, summary: ReportArtifact['summary']): ReportArtifact {
  const r: ReportArtifact = { id, path: a.path, digest: a.digest, size: a.size, summary };
  if (a.content_type) r.contentType = a.content_type;
  if (a.display_name) r.displayName = a.display_name;
  if (a.description) r.description = a.description;
  if (a.collected_at) r.collectedAt = a.collected_at;
  if (a.schema) r.schema = a.schema;
  if (a.controls?.length) r.controls = [...a.controls];
  return r;
}

export async function buildReportModel(pack: PackReader, options: ReportOptions = {}): Promise<ReportModel> {
  const m = pack.manifest;
  const artifacts = await summarizeAll(pack, options);
  const signatures = options.signatures ?? (await readClaimedSignatures(pack));
  const packArgument = options.packArgument ?? pack.path;
  const model: ReportModel = {
    stream: m.stream,
    specVersion: m.spec_version,
    generatedAt: m.generated_at,
    packDigest: m.pack_digest,
    manifestDigest: pack.manifestDigest,
    pack: packArgument,
    sources: m.sources,
    artifacts,
    referenced: m.artifacts.filter((a) => a.type !== 'embedded') as Record<string, unknown>[],
    totalSize: pack.artifacts.reduce((n, a) => n + a.size, 0),
    attestations: [...pack.attestations],
    signatures,
    verifyCommands: verifyCommands(signatures, packArgument, options.reference),
  };
  if (options.reference) model.reference = options.reference;
  if (m.provenance) model.provenance = m.provenance;
  if (options.generator) model.generator = options.generator;
  if (options.previous) {
    const previous = options.previous;
    const changes = compareManifests(previous, pack);
    const current = new Map(artifacts.map((a) => [a.path, a]));
    for (const change of changes.changed) {
      const before = previous.artifacts.find((a) => a.path === change.path);
      const after = current.get(change.path);
      if (!before || !after || change.before?.digest === change.after?.digest) continue;
      const summary = await summarizeArtifact(before, () => previous.openArtifact(before.path), { maxInlineImageBytes: 0 });
      const metrics = compareMetrics(summary, after.summary);
      if (metrics?.length) change.metrics = metrics;
    }
    model.changes = changes;
  }
  return model;
}

/** The model as `epack report --json` prints it: inline image bytes left out. */
export function modelForJson(model: ReportModel): ReportModel {
  return {
    ...model,
    artifacts: model.artifacts.map((a) => {
      if (a.summary.kind !== 'image' || !a.summary.dataUri) return a;
      const { dataUri: _dataUri, ...summary } = a.summary;
      return { ...a, summary: { ...summary, inlined: true } as typeof a.summary };
    }),
  };
}

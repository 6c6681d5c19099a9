/** Type-aware, bounded-memory summaries of artifact contents. */
import type { EmbeddedArtifact } from '../../pack/types.js';
import { summarizeCsv } from './csv.js';
import { summarizeCycloneDx } from './cyclonedx.js';
import { describeOther, detectKind, SNIFF_BYTES, type SummarizerKind } from './detect.js';
import { DEFAULT_MAX_INLINE_IMAGE_BYTES, summarizeImage } from './image.js';
import { summarizeJunit } from './junit.js';
import { summarizeProvenance } from './provenance.js';
import { summarizeSarif } from './sarif.js';
import { summarizeSpdx } from './spdx.js';
import type { ArtifactSummary } from './types.js';

export type * from './types.js';
export { summarizeCsv, summarizeCycloneDx, summarizeImage, summarizeJunit, summarizeProvenance, summarizeSarif, summarizeSpdx };
export { claimedSigner } from './sigstore.js';
export { detectKind, type SummarizerKind } from './detect.js';
export { JsonStreamParser, parseJsonStream, type JsonVisitor, type JsonPath } from './json-stream.js';

export interface SummarizeOptions {
  /** Images up to this size are embedded as data: URIs (default 1 MiB; 0 = never). */
  maxInlineImageBytes?: number;
}

/** Reads the first bytes of a stream and gives back a stream that replays them. */
async function peek(source: AsyncIterable<Uint8Array>, bytes: number): Promise<{ head: Uint8Array; stream: AsyncIterable<Uint8Array> }> {
  const iterator = source[Symbol.asyncIterator]();
  const buffered: Uint8Array[] = [];
  let got = 0;
  let done = false;
  while (got < bytes) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    buffered.push(next.value);
    got += next.value.length;
  }
  const head = Buffer.concat(buffered).subarray(0, bytes);
  async function* replay(): AsyncGenerator<Uint8Array> {
    let finished = done;
    try {
      yield* buffered;
      while (!finished) {
        const next = await iterator.next();
        if (next.done) finished = true;
        else yield next.value;
      }
    } finally {
      if (!finished) await iterator.return?.();
    }
  }
  return { head, stream: replay() };
}

async function run(kind: SummarizerKind, stream: AsyncIterable<Uint8Array>, artifact: EmbeddedArtifact, head: Uint8Array, options: SummarizeOptions): Promise<ArtifactSummary> {
  switch (kind) {
    case 'spdx':
      return summarizeSpdx(stream);
    case 'cyclonedx':
      return summarizeCycloneDx(stream);
    case 'sarif':
      return summarizeSarif(stream);
    case 'junit':
      return summarizeJunit(stream);
    case 'provenance':
      return summarizeProvenance(stream);
    case 'csv':
      return summarizeCsv(stream);
    case 'image': {
      const image = await summarizeImage(stream, artifact.size, options.maxInlineImageBytes ?? DEFAULT_MAX_INLINE_IMAGE_BYTES);
      return image ?? { kind: 'other', description: describeOther(artifact.content_type, head) };
    }
    case 'other':
      return { kind: 'other', description: describeOther(artifact.content_type, head) };
  }
}

/**
 * Summarizes one artifact. Never throws for bad content: a summary of kind
 * `error` says what went wrong (a digest mismatch included).
 */
export async function summarizeArtifact(
  artifact: EmbeddedArtifact,
  open: () => Promise<AsyncIterable<Uint8Array>>,
  options: SummarizeOptions = {},
): Promise<ArtifactSummary> {
  let kind: SummarizerKind = 'other';
  let stream: AsyncIterable<Uint8Array> | undefined;
  try {
    const peeked = await peek(await open(), SNIFF_BYTES);
    stream = peeked.stream;
    kind = detectKind(artifact.path, artifact.content_type, peeked.head);
    const summary = await run(kind, peeked.stream, artifact, peeked.head, options);
    // Read what the summarizer did not need, so the reader's size and digest check completes.
    for await (const _ of peeked.stream) void _;
    return summary;
  } catch (err) {
    return { kind: 'error', detected: kind, message: err instanceof Error ? err.message : String(err) };
  } finally {
    if (stream) {
      const it = stream[Symbol.asyncIterator]() as AsyncGenerator<Uint8Array>;
      await it.return?.(undefined);
    }
  }
}

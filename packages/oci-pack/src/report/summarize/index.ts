/** Type-aware, bounded-memory summaries of artifact contents. */
import type { EmbeddedArtifact } from '../../pack/types.js';
import { summarizeCsv } from './csv.js';
import { summarizeCycloneDx } from './cyclonedx.js';
import { describeOther, detectKind, SNIFF_BYTES, type SummarizerKind } from './detect.js';
import { DEFAULT_MAX_INLINE_IMAGE_BYTES, summarizeImage } from './image.js';
import { summarizeJunit } from './junit.js';
import { summarizeProvenance } from './provenance.js';
import { summarizeOpenVex } from './openvex.js';
import { summarizeSarif } from './sarif.js';
import { summarizeSpdx } from './spdx.js';
import type { ArtifactSummary } from './types.js';

export type * from './types.js';
export { summarizeCsv, summarizeCycloneDx, summarizeImage, summarizeJunit, summarizeOpenVex, summarizeProvenance, summarizeSarif, summarizeSpdx };
export { claimedSigner } from './sigstore.js';
export { detectKind, type SummarizerKind } from './detect.js';
export { JsonStreamParser, parseJsonStream, type JsonVisitor, type JsonPath } from './json-stream.js';

export interface SummarizeOptions {
  /** Images up to this size are embedded as data: URIs (default 1 MiB; 0 = never). */
  maxInlineImageBytes?: number;
}

/**
 * A stream whose first bytes were read ahead for sniffing. `view()` replays
 * them; a summarizer that stops early (or throws) does not close the
 * source, so the rest can still be drained for the reader's digest check.
 */
class PeekedStream {
  private readonly buffered: Uint8Array[] = [];
  private done = false;

  private constructor(private readonly iterator: AsyncIterator<Uint8Array>) {}

  static async open(source: AsyncIterable<Uint8Array>, bytes: number): Promise<{ head: Uint8Array; stream: PeekedStream }> {
    const stream = new PeekedStream(source[Symbol.asyncIterator]());
    let got = 0;
    while (got < bytes) {
      const next = await stream.iterator.next();
      if (next.done) {
        stream.done = true;
        break;
      }
      stream.buffered.push(next.value);
      got += next.value.length;
    }
    return { head: Buffer.concat(stream.buffered).subarray(0, bytes), stream };
  }

  async next(): Promise<IteratorResult<Uint8Array, undefined>> {
    const chunk = this.buffered.shift();
    if (chunk) return { done: false, value: chunk };
    if (this.done) return { done: true, value: undefined };
    const next = await this.iterator.next();
    if (next.done) {
      this.done = true;
      return { done: true, value: undefined };
    }
    return { done: false, value: next.value };
  }

  view(): AsyncIterable<Uint8Array> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: () => this.next(),
        return: async () => ({ done: true as const, value: undefined }),
      }),
    };
  }

  async drain(): Promise<void> {
    while (!(await this.next()).done);
  }

  async close(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.iterator.return?.();
    }
  }
}

async function run(kind: SummarizerKind, stream: AsyncIterable<Uint8Array>, artifact: EmbeddedArtifact, head: Uint8Array, options: SummarizeOptions): Promise<ArtifactSummary> {
  switch (kind) {
    case 'spdx':
      return summarizeSpdx(stream);
    case 'cyclonedx':
      return summarizeCycloneDx(stream);
    case 'sarif':
      return summarizeSarif(stream);
    case 'openvex':
      return summarizeOpenVex(stream);
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
  let stream: PeekedStream | undefined;
  try {
    const peeked = await PeekedStream.open(await open(), SNIFF_BYTES);
    stream = peeked.stream;
    kind = detectKind(artifact.path, artifact.content_type, peeked.head);
    const summary = await run(kind, stream.view(), artifact, peeked.head, options);
    // Read what the summarizer did not need, so the reader's size and digest check completes.
    await stream.drain();
    return summary;
  } catch (err) {
    // Content that fails to parse may be content that was tampered with:
    // read on, and report the reader's size or digest failure first.
    let failure = err;
    try {
      await stream?.drain();
    } catch (readErr) {
      failure = readErr;
    }
    return { kind: 'error', detected: kind, message: failure instanceof Error ? failure.message : String(failure) };
  } finally {
    await stream?.close().catch(() => undefined);
  }
}

/** Small manifest graphs for store tests. */
import { createHash } from 'node:crypto';
import type { Descriptor } from '../../src/oci/descriptor.js';
import { MediaType, EMPTY_JSON, EMPTY_JSON_DIGEST } from '../../src/oci/media-types.js';
import type { Storage } from '../../src/store/types.js';

export interface Node {
  desc: Descriptor;
  bytes: Uint8Array;
}

export function blob(content: string | Uint8Array, mediaType: string = MediaType.octetStream): Node {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  return { desc: { mediaType, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.byteLength }, bytes };
}

export const emptyConfig: Node = { desc: { mediaType: MediaType.empty, digest: EMPTY_JSON_DIGEST, size: 2 }, bytes: EMPTY_JSON };

export function manifest(config: Node, layers: Node[], extra: { artifactType?: string; subject?: Descriptor; annotations?: Record<string, string> } = {}): Node {
  const doc = {
    schemaVersion: 2,
    mediaType: MediaType.imageManifest,
    ...(extra.artifactType ? { artifactType: extra.artifactType } : {}),
    config: config.desc,
    layers: layers.map((l) => l.desc),
    ...(extra.subject ? { subject: { mediaType: extra.subject.mediaType, digest: extra.subject.digest, size: extra.subject.size } } : {}),
    ...(extra.annotations ? { annotations: extra.annotations } : {}),
  };
  return blob(JSON.stringify(doc), MediaType.imageManifest);
}

export function index(manifests: Node[]): Node {
  return blob(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.imageIndex, manifests: manifests.map((m) => m.desc) }), MediaType.imageIndex);
}

/** An artifact: two layers and a config, all distinct per `seed`. */
export function artifact(seed: string, extra: Parameters<typeof manifest>[2] = {}): { root: Node; nodes: Node[] } {
  const config = blob(JSON.stringify({ seed }), 'application/vnd.test.config+json');
  const layers = [blob(`layer one of ${seed}`), blob(`layer two of ${seed}`.repeat(1000))];
  const root = manifest(config, layers, extra);
  return { root, nodes: [config, ...layers, root] };
}

export async function pushAll(store: Storage, nodes: Node[]): Promise<void> {
  for (const n of nodes) await store.push(n.desc, n.bytes);
}

export async function text(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/**
 * An in-memory content store: for tests, dry runs and staging a graph
 * before pushing it. Referrers are found by scanning stored manifests.
 */
import { Readable } from 'node:stream';
import type { Descriptor } from '../oci/descriptor.js';
import { NotFoundError, UsageError } from '../error.js';
import { registerVerifyingFetch } from './types.js';
import type { BlobResolver, Deleter, FetchOptions, GraphTarget, PushOptions, TagLister } from './types.js';
import { isManifestType, parseManifest, referrerDescriptor } from './graph.js';
import { readAll } from './read-all.js';
import { parseDigest, sizeMismatchError, verifyBytes } from '../oci/digest.js';

interface Entry {
  desc: Descriptor;
  bytes: Uint8Array;
}

export class MemoryStore implements GraphTarget, TagLister, Deleter, BlobResolver {
  readonly name: string;
  private readonly content = new Map<string, Entry>();
  private readonly tagMap = new Map<string, Descriptor>();

  constructor(name = 'memory') {
    this.name = name;
  }

  async fetch(desc: Descriptor, options: FetchOptions = {}): Promise<Readable> {
    const entry = this.content.get(desc.digest);
    if (!entry) throw new NotFoundError('blob_unknown', `${desc.digest} is not in ${this.name}`);
    // stored bytes were verified against their digest; the caller's size must agree too
    if (entry.bytes.byteLength !== desc.size) throw sizeMismatchError(desc, entry.bytes.byteLength, this.name);
    options.onProgress?.(entry.bytes.byteLength);
    return Readable.from([Buffer.from(entry.bytes)]);
  }

  async push(desc: Descriptor, content: Readable | Uint8Array, options: PushOptions = {}): Promise<void> {
    const bytes = content instanceof Uint8Array ? content : await readAll(content, Number.MAX_SAFE_INTEGER);
    verifyBytes(desc, bytes, this.name);
    options.onProgress?.(bytes.byteLength);
    if (!this.content.has(desc.digest)) this.content.set(desc.digest, { desc: { mediaType: desc.mediaType, digest: desc.digest, size: desc.size }, bytes });
  }

  async exists(desc: Descriptor): Promise<boolean> {
    return this.content.has(desc.digest);
  }

  async resolveBlob(digest: string): Promise<Descriptor> {
    const entry = this.content.get(digest);
    if (!entry) throw new NotFoundError('blob_unknown', `blob ${digest} is not in ${this.name}`);
    return { ...entry.desc };
  }

  async resolve(reference: string): Promise<Descriptor> {
    if (reference.includes(':')) {
      parseDigest(reference);
      const entry = this.content.get(reference);
      if (!entry || !isManifestType(entry.desc.mediaType)) {
        throw new NotFoundError('manifest_unknown', `manifest ${reference} is not in ${this.name}`);
      }
      return { ...entry.desc };
    }
    const desc = this.tagMap.get(reference);
    if (!desc) throw new NotFoundError('tag_not_found', `tag "${reference}" is not in ${this.name}`);
    return { ...desc };
  }

  async tag(desc: Descriptor, tag: string): Promise<void> {
    if (tag === '' || tag.includes(':') || tag.includes('@')) throw new UsageError('invalid_tag', `"${tag}" is not a valid tag`);
    if (!this.content.has(desc.digest)) {
      throw new NotFoundError('manifest_unknown', `cannot tag ${desc.digest}: it is not in ${this.name}`);
    }
    this.tagMap.set(tag, { mediaType: desc.mediaType, digest: desc.digest, size: desc.size });
  }

  async *referrers(desc: Descriptor, artifactType?: string): AsyncIterable<Descriptor> {
    for (const entry of [...this.content.values()]) {
      if (!isManifestType(entry.desc.mediaType)) continue;
      const manifest = parseManifest(entry.bytes, entry.desc.digest);
      if (manifest.subject?.digest !== desc.digest) continue;
      const referrer = referrerDescriptor(entry.desc, manifest);
      if (artifactType === undefined || referrer.artifactType === artifactType) yield referrer;
    }
  }

  async *tags(options: { last?: string } = {}): AsyncIterable<string> {
    const sorted = [...this.tagMap.keys()].sort();
    for (const tag of sorted) {
      if (options.last === undefined || tag > options.last) yield tag;
    }
  }

  async delete(desc: Descriptor): Promise<void> {
    if (!this.content.delete(desc.digest)) throw new NotFoundError('blob_unknown', `${desc.digest} is not in ${this.name}`);
    for (const [tag, tagged] of this.tagMap) if (tagged.digest === desc.digest) this.tagMap.delete(tag);
  }
}

registerVerifyingFetch(MemoryStore.prototype.fetch);

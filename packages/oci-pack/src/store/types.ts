/**
 * Content store interfaces, modelled on oras-go's `content` and `registry`
 * packages. Every store (registry repository, OCI image layout directory,
 * memory) implements {@link Target}; registries and layouts also implement
 * {@link ReferrerLister}, {@link TagLister} and (where allowed) {@link Deleter}.
 *
 * Content is streamed as Node `Readable`s. A fetch stream verifies size and
 * digest while it is read and errors (with a typed EpackError, code
 * `digest_mismatch` or `size_mismatch`) instead of ending normally when the
 * bytes do not match the descriptor.
 */
import type { Readable } from 'node:stream';
import type { Descriptor } from '../oci/descriptor.js';

export interface FetchOptions {
  signal?: AbortSignal;
  /** Called with the number of bytes read so far (progress). */
  onProgress?: (bytes: number) => void;
}

export interface PushOptions {
  signal?: AbortSignal;
  onProgress?: (bytes: number) => void;
  /** The caller has just seen that the target lacks this blob: a store may skip its own existence check. */
  knownMissing?: boolean;
  /**
   * The content stream already fails unless it has the descriptor's digest and size, and holds back
   * its last chunk until it knows (a pack reader's checked artifact): a store need not hash it again.
   */
  contentVerified?: boolean;
}

export interface Fetcher {
  /** Streams the content of `desc`, verified against its digest and size. */
  fetch(desc: Descriptor, options?: FetchOptions): Promise<Readable>;
}

const verifyingFetches = new WeakSet<object>();

/**
 * Records a `fetch` implementation whose streams error instead of ending
 * unless the bytes have the descriptor's digest and size (the store classes
 * of this library register theirs). Callers about to check the same digest
 * again may skip it when {@link fetchVerifies} says so. It is the function
 * that is recorded, so a wrapper that replaces `fetch` is checked again.
 */
export function registerVerifyingFetch(fetch: Fetcher['fetch']): void {
  verifyingFetches.add(fetch);
}

export function fetchVerifies(store: Fetcher): boolean {
  return verifyingFetches.has(store.fetch);
}

export interface Pusher {
  /**
   * Stores `content`, which must hash to `desc.digest` and be `desc.size`
   * bytes long; nothing is committed otherwise. Pushing content that already
   * exists is not an error.
   */
  push(desc: Descriptor, content: Readable | Uint8Array, options?: PushOptions): Promise<void>;
}

export interface ReadOnlyStorage extends Fetcher {
  exists(desc: Descriptor, options?: { signal?: AbortSignal }): Promise<boolean>;
}

export interface Storage extends ReadOnlyStorage, Pusher {}

export interface Resolver {
  /** Resolves a tag or digest to the descriptor of a manifest. */
  resolve(reference: string, options?: { signal?: AbortSignal }): Promise<Descriptor>;
}

export interface Tagger {
  /** Points `tag` at the manifest `desc`, which must already be stored. */
  tag(desc: Descriptor, tag: string, options?: { signal?: AbortSignal }): Promise<void>;
}

export interface ReadOnlyTarget extends ReadOnlyStorage, Resolver {}

export interface Target extends Storage, Resolver, Tagger {
  /** A human-readable name of the store, for messages (`localhost:5000/repo`, `oci:./store`). */
  readonly name: string;
}

export interface ReferrerLister {
  /**
   * Lists the manifests whose `subject` is `desc`, optionally only those of
   * `artifactType`. Descriptors carry `artifactType` and `annotations`.
   */
  referrers(desc: Descriptor, artifactType?: string, options?: { signal?: AbortSignal }): AsyncIterable<Descriptor>;
}

export interface TagLister {
  tags(options?: { last?: string; signal?: AbortSignal }): AsyncIterable<string>;
}

export interface Deleter {
  delete(desc: Descriptor, options?: { signal?: AbortSignal }): Promise<void>;
}

/** Cross-repository blob mount within one registry. */
export interface Mounter {
  /** Mounts `desc` from repository `fromRepo`; falls back to `getContent` + push when the registry declines. */
  mount(desc: Descriptor, fromRepo: string, getContent: () => Promise<Readable>, options?: PushOptions): Promise<void>;
}

/** A Target that can also list referrers: what `copy -r`, `discover` and `sign <ref>` need. */
export interface GraphTarget extends Target, ReferrerLister {}

export function isReferrerLister(store: unknown): store is ReferrerLister {
  return typeof (store as ReferrerLister | null)?.referrers === 'function';
}
export function isTagLister(store: unknown): store is TagLister {
  return typeof (store as TagLister | null)?.tags === 'function';
}
export function isDeleter(store: unknown): store is Deleter {
  return typeof (store as Deleter | null)?.delete === 'function';
}
export function isMounter(store: unknown): store is Mounter {
  return typeof (store as Mounter | null)?.mount === 'function';
}

/** Pushes a manifest and tags it in one step (a registry PUT by tag). */
export interface ReferencePusher {
  pushReference(desc: Descriptor, content: Uint8Array, tag: string, options?: PushOptions): Promise<void>;
}
export function isReferencePusher(store: unknown): store is ReferencePusher {
  return typeof (store as ReferencePusher | null)?.pushReference === 'function';
}

/** Looks a blob up by digest alone (a registry HEAD, a layout stat): what `blob fetch <ref@digest>` needs. */
export interface BlobResolver {
  /** The blob's descriptor (`application/octet-stream` unless the store knows better); `blob_unknown` when absent. */
  resolveBlob(digest: string, options?: { signal?: AbortSignal }): Promise<Descriptor>;
}
export function isBlobResolver(store: unknown): store is BlobResolver {
  return typeof (store as BlobResolver | null)?.resolveBlob === 'function';
}

/**
 * The referrers of a manifest as a tree (what `discover` shows): each node's
 * referrers, and theirs, down to a depth.
 */
import type { Descriptor } from '../oci/descriptor.js';
import { UsageError } from '../error.js';
import type { ReferrerLister } from './types.js';

export interface ReferrerNode extends Descriptor {
  referrers: ReferrerNode[];
}

export interface ReferrerTreeOptions {
  /** Only the root's referrers of this type (their own referrers are all listed). */
  artifactType?: string;
  /** Levels below the root to list (default: all). */
  depth?: number;
  signal?: AbortSignal;
}

export async function referrerTree(store: ReferrerLister, root: Descriptor, options: ReferrerTreeOptions = {}): Promise<ReferrerNode> {
  const depth = options.depth ?? Number.POSITIVE_INFINITY;
  if (!(depth >= 1)) throw new UsageError('invalid_depth', `depth must be 1 or more, not ${options.depth}`);
  const seen = new Set<string>([root.digest]);
  const expand = async (desc: Descriptor, level: number): Promise<ReferrerNode> => {
    const node: ReferrerNode = { ...desc, referrers: [] };
    if (level >= depth) return node;
    const filter = level === 0 ? options.artifactType : undefined;
    const found: Descriptor[] = [];
    for await (const referrer of store.referrers(desc, filter, options.signal ? { signal: options.signal } : undefined)) {
      // A graph with a cycle cannot be built from digests, but a lying store could fake one.
      if (seen.has(referrer.digest)) continue;
      seen.add(referrer.digest);
      found.push(referrer);
    }
    found.sort((a, b) => (a.artifactType ?? '').localeCompare(b.artifactType ?? '') || a.digest.localeCompare(b.digest));
    for (const referrer of found) node.referrers.push(await expand(referrer, level + 1));
    return node;
  };
  return expand(root, 0);
}

/**
 * Where a `<pack>` argument comes from. Every pack-reading command resolves
 * its argument through {@link openPackSource}, so other sources (an OCI
 * reference, a local OCI layout) can be added in one place. For now: files.
 */
import type { PackLimits, PackReader } from './types.js';
import { openPack } from './read.js';

export interface OpenPackSourceOptions {
  limits?: Partial<PackLimits>;
}

/** Opens a pack named on the command line. The caller must close it. */
export async function openPackSource(arg: string, opts: OpenPackSourceOptions = {}): Promise<PackReader> {
  return openPack(arg, opts);
}

/**
 * Where a `<pack>` argument comes from. Every pack-reading command resolves
 * its argument through {@link openPackSource}, so other sources (an OCI
 * reference, a local OCI layout) can be added in one place: files, and pack
 * artifacts named by `oci:<dir>:<tag>` or a registry reference (publish).
 */
import type { PackLimits, PackReader } from './types.js';
import { openPack } from './read.js';
import type { OpenTargetOptions } from '../store/open.js';

export interface OpenPackSourceOptions {
  limits?: Partial<PackLimits>;
  /** Registry flags for references (publish helper). */
  targetOptions?: OpenTargetOptions;
}

/** Opens a pack named on the command line. The caller must close it. */
export async function openPackSource(arg: string, opts: OpenPackSourceOptions = {}): Promise<PackReader> {
  // --- pack artifacts in a registry or OCI layout (publish helper; docs/oci-mapping.md) ---
  // Imported lazily: pack must not depend on publish at load time.
  const { isPackReference, openPackReference } = await import('../publish/source-ref.js');
  if (isPackReference(arg)) return openPackReference(arg, opts.targetOptions);
  // --- pack files ---
  return openPack(arg, opts);
}

/** Opens a pack named on the command line for a report, and pins a reference to its digest. */
import type { Descriptor } from '../oci/descriptor.js';
import { formatReference, parseReference } from '../oci/reference.js';
import { openPackSource, type OpenPackSourceOptions } from '../pack/source.js';
import type { PackReader } from '../pack/types.js';

export interface ReportSource {
  pack: PackReader;
  /** For packs read from a registry or OCI layout: the reference pinned to the resolved manifest digest. */
  reference?: string;
  /** Whether the reference names a registry (so cosign can verify its referrers). */
  registry?: boolean;
  /** The resolved OCI manifest: what registry signatures (referrers) are attached to. */
  subject?: Descriptor;
}

/** The reference with its tag replaced by the digest it resolved to. */
export function pinReference(arg: string, digest: string): string {
  const ref = parseReference(arg);
  return formatReference({ ...ref, tag: undefined, digest });
}

export async function openReportSource(arg: string, options: OpenPackSourceOptions = {}): Promise<ReportSource> {
  const pack = await openPackSource(arg, options);
  const descriptor = (pack as PackReader & { descriptor?: Descriptor }).descriptor;
  if (!descriptor) return { pack };
  try {
    return { pack, reference: pinReference(arg, descriptor.digest), registry: !arg.startsWith('oci:'), subject: descriptor };
  } catch {
    return { pack };
  }
}

/**
 * Witnesses add a trusted time and public record to a signature: a Rekor
 * transparency log entry and/or RFC 3161 timestamps from a TSA.
 */
import { RekorWitness, TSAWitness } from '@sigstore/sign';
import type { Witness } from '@sigstore/sign';

export const DEFAULT_REKOR_URL = 'https://rekor.sigstore.dev';

export interface WitnessOptions {
  /** Upload to the transparency log (default true). */
  tlogUpload?: boolean;
  rekorURL?: string;
  /**
   * Rekor v1 entry kind for DSSE bundles. `dsse` is what the public-good log
   * expects; `intoto` also works and is what log mocks that store the proposed
   * entry as the body can verify.
   */
  tlogEntryType?: 'dsse' | 'intoto';
  /** RFC 3161 timestamp authority; none when undefined. */
  tsaURL?: string;
  timeoutMs?: number;
}

export function witnesses(options: WitnessOptions): Witness[] {
  const timeout = options.timeoutMs ?? 30_000;
  const list: Witness[] = [];
  if (options.tlogUpload !== false) {
    list.push(
      new RekorWitness({
        rekorBaseURL: options.rekorURL ?? DEFAULT_REKOR_URL,
        entryType: options.tlogEntryType ?? 'dsse',
        fetchOnConflict: true,
        timeout,
        retry: { retries: 2 },
      }),
    );
  }
  if (options.tsaURL) list.push(new TSAWitness({ tsaBaseURL: options.tsaURL, timeout, retry: { retries: 2 } }));
  return list;
}

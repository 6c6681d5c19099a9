/**
 * Size and count budgets of a pack reader. Defaults are the spec's (and the
 * reference implementation's); callers may raise or lower any of them since
 * reading streams and never needs a whole artifact in memory.
 */
import { UsageError } from '../error.js';
import type { PackLimits } from './types.js';

const MB = 1024 * 1024;
const GB = 1024 * MB;

export const DEFAULT_LIMITS: Readonly<PackLimits> = Object.freeze({
  maxArtifactSize: 100 * MB,
  maxPackSize: 2 * GB,
  maxArtifactCount: 10_000,
  maxEntryCount: 15_000,
  maxManifestSize: 10 * MB,
  maxAttestationSize: 1 * MB,
  maxCompressionRatio: 100,
});

/** Fills unset budgets with the defaults; rejects non-positive or non-integer values. */
export function resolveLimits(partial: Partial<PackLimits> = {}): PackLimits {
  const limits: PackLimits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(partial) as [keyof PackLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_LIMITS)) throw new UsageError('invalid_limit', `unknown pack limit ${key}`);
    if (typeof value !== 'number' || !(value > 0) || (key !== 'maxCompressionRatio' && !Number.isSafeInteger(value))) {
      throw new UsageError('invalid_limit', `pack limit ${key} must be a positive ${key === 'maxCompressionRatio' ? 'number' : 'integer'}, got ${value}`);
    }
    limits[key] = value;
  }
  return limits;
}

/**
 * Size and count budgets of a pack reader. Defaults are the spec's (pack.md
 * §7.2) and the reference implementation's; callers may raise or lower any
 * of them (reading streams, so a limit is a policy, not a memory ceiling),
 * but never below the spec's minimums and never to "off" (§7.2.4).
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

/** The lowest values a limit may be set to (pack.md §7.2.4; 1 for the rest). */
export const MINIMUM_LIMITS: Readonly<PackLimits> = Object.freeze({
  maxArtifactSize: 1 * MB,
  maxPackSize: 10 * MB,
  maxArtifactCount: 100,
  maxEntryCount: 100,
  maxManifestSize: 64 * 1024,
  maxAttestationSize: 64 * 1024,
  maxCompressionRatio: 1,
});

/** The spec's configuration names (pack.md §7.2.4) for our limits. */
const CONFIG_NAMES: Record<string, keyof PackLimits> = {
  max_artifact_size: 'maxArtifactSize',
  max_pack_size: 'maxPackSize',
  max_artifact_count: 'maxArtifactCount',
  max_entry_count: 'maxEntryCount',
  max_manifest_size: 'maxManifestSize',
  max_attestation_size: 'maxAttestationSize',
  max_compression_ratio: 'maxCompressionRatio',
};

/**
 * Fills unset budgets with the defaults. Throws `invalid_limit` for unknown
 * names, non-numbers, zero/negative ("disabled") values and values below
 * {@link MINIMUM_LIMITS}.
 */
export function resolveLimits(partial: Partial<PackLimits> = {}): PackLimits {
  const limits: PackLimits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(partial) as [keyof PackLimits, unknown][]) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_LIMITS)) throw new UsageError('invalid_limit', `unknown pack limit "${key}"`);
    const integral = key !== 'maxCompressionRatio';
    if (typeof value !== 'number' || !Number.isFinite(value) || (integral && !Number.isSafeInteger(value))) {
      throw new UsageError('invalid_limit', `pack limit ${key} must be a ${integral ? 'whole number' : 'number'}, got ${String(value)}`);
    }
    if (value <= 0) {
      throw new UsageError('invalid_limit', `pack limit ${key} cannot be disabled (got ${value})`, { details: { reason: 'limits_disabled' } });
    }
    const min = MINIMUM_LIMITS[key];
    if (value < min) {
      throw new UsageError('invalid_limit', `pack limit ${key} is ${value}; the minimum is ${min}`, { details: { reason: 'below_minimum', minimum: min } });
    }
    limits[key] = value;
  }
  return limits;
}

/** resolveLimits for a spec-style config object (`max_artifact_size`, `max_pack_size`, …). */
export function limitsFromConfig(config: Record<string, unknown>): PackLimits {
  const partial: Partial<Record<keyof PackLimits, unknown>> = {};
  for (const [name, value] of Object.entries(config)) {
    const key = CONFIG_NAMES[name];
    if (!key) throw new UsageError('invalid_limit', `unknown pack limit "${name}"`);
    partial[key] = value;
  }
  return resolveLimits(partial as Partial<PackLimits>);
}

/**
 * The pack budgets (pack.md §7.2) as flags, shared by every command that
 * reads or writes a pack file, so a user with a 3 GB pack raises the same
 * limit the same way everywhere: `--max-pack-size 4GiB`.
 */
import type { Argv } from 'yargs';
import type { PackLimits } from '@epack/oci-pack/pack';
import { UsageError } from '@epack/oci-pack/error';

export interface PackLimitFlags {
  maxPackSize?: string;
  maxArtifactSize?: string;
  maxArtifactCount?: number;
  maxEntryCount?: number;
}

const GROUP = 'Pack limits (defaults: the spec\'s):';

export function withPackLimitFlags(yargs: Argv): Argv {
  return yargs
    .option('max-pack-size', { type: 'string', describe: 'Largest total of the pack\'s contents, e.g. 4GiB (default 2GiB)' })
    .option('max-artifact-size', { type: 'string', describe: 'Largest single artifact, e.g. 512MiB (default 100MiB)' })
    .option('max-artifact-count', { type: 'number', describe: 'Most artifacts in a pack (default 10000)' })
    .option('max-entry-count', { type: 'number', describe: 'Most ZIP entries in a pack (default 15000)' })
    .group(['max-pack-size', 'max-artifact-size', 'max-artifact-count', 'max-entry-count'], GROUP);
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024, kib: 1024, kb: 1000,
  m: 1024 ** 2, mib: 1024 ** 2, mb: 1000 ** 2,
  g: 1024 ** 3, gib: 1024 ** 3, gb: 1000 ** 3,
  t: 1024 ** 4, tib: 1024 ** 4, tb: 1000 ** 4,
};

/** `1048576`, `512MiB`, `4G` (binary), `3GB` (decimal) → bytes. */
export function parseByteSize(flag: string, text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new UsageError('invalid_limit', `--${flag} ${JSON.stringify(text)} is not a size`, {
      hint: 'use bytes or a unit: 512MiB, 4GiB (binary), 3GB (decimal)',
    });
  }
  return Math.floor(Number(match[1]) * unit);
}

/** The limits the flags set (undefined when none is given); the library checks the minimums. */
export function packLimits(flags: PackLimitFlags): Partial<PackLimits> | undefined {
  const limits: Partial<PackLimits> = {};
  if (flags.maxPackSize !== undefined) limits.maxPackSize = parseByteSize('max-pack-size', flags.maxPackSize);
  if (flags.maxArtifactSize !== undefined) limits.maxArtifactSize = parseByteSize('max-artifact-size', flags.maxArtifactSize);
  if (flags.maxArtifactCount !== undefined) limits.maxArtifactCount = flags.maxArtifactCount;
  if (flags.maxEntryCount !== undefined) limits.maxEntryCount = flags.maxEntryCount;
  return Object.keys(limits).length > 0 ? limits : undefined;
}

/** `{ limits }` when a flag is set, else `{}` (for option spreads). */
export function limitsOption(flags: PackLimitFlags): { limits?: Partial<PackLimits> } {
  const limits = packLimits(flags);
  return limits ? { limits } : {};
}

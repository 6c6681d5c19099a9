/** The `concurrency` option of push and pull: a whole number of at least 1, or the default. */
import { UsageError } from '../error.js';

export function resolveConcurrency(value: number | undefined, fallback: number): number {
  const concurrency = value ?? fallback;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new UsageError('invalid_concurrency', `concurrency must be a whole number of at least 1, got ${String(concurrency)}`);
  }
  return concurrency;
}

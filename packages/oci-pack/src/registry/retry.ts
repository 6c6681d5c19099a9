/**
 * Retry policy for registry requests: which failures are worth another
 * attempt, how long to wait (exponential backoff with full jitter, or the
 * registry's `Retry-After`), and when to give up (attempt count and total time).
 */

export interface RetryOptions {
  /** Attempts in total, including the first (default 5; 1 disables retries). */
  maxAttempts?: number;
  /** Give up when the next wait would end later than this after the first attempt (default 60 s). */
  maxElapsedMs?: number;
  /** First backoff step (default 200 ms). */
  baseDelayMs?: number;
  /** Longest single wait, also the cap for `Retry-After` (default 20 s). */
  maxDelayMs?: number;
}

export interface RetryPolicy {
  maxAttempts: number;
  maxElapsedMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  return {
    maxAttempts: Math.max(1, options.maxAttempts ?? 5),
    maxElapsedMs: options.maxElapsedMs ?? 60_000,
    baseDelayMs: options.baseDelayMs ?? 200,
    maxDelayMs: options.maxDelayMs ?? 20_000,
  };
}

/** HTTP statuses that mean "try again later": 408, 429 and the transient 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** Network failures (resets, timeouts, refused connections) that a retry can fix. */
export function isRetryableNetworkError(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && RETRYABLE_NETWORK_CODES.has(code);
}

export function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('E') || code.startsWith('UND_'))) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Parses `Retry-After` (delta-seconds or an HTTP-date) into milliseconds
 * from `now`; undefined when absent or malformed. Past dates give 0.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text.length === 0 || text.length > 64) return undefined;
  if (/^[0-9]+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : undefined;
  }
  // HTTP-date (IMF-fixdate, or the obsolete RFC 850 / asctime forms Date.parse accepts).
  if (!/^[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Backoff before attempt `attempt` (1 = first retry): full jitter over an exponential window. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const window = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt - 1, 20));
  return Math.round(window / 2 + (random() * window) / 2);
}

/**
 * The wait before the next attempt, or undefined when the policy says stop.
 * A `Retry-After` wins over the backoff but is capped at `maxDelayMs`.
 */
export function nextDelay(policy: RetryPolicy, attempt: number, startedAt: number, retryAfterMs: number | undefined, now: number = Date.now()): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  const delay = retryAfterMs !== undefined ? Math.min(retryAfterMs, policy.maxDelayMs) : backoffDelay(policy, attempt);
  if (now + delay - startedAt > policy.maxElapsedMs) return undefined;
  return delay;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

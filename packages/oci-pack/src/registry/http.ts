/**
 * The HTTP layer of one registry: an undici Agent (keep-alive, no
 * pipelining), authorization, manual redirects (Authorization never crosses
 * origins), retries with backoff for 408/429/5xx and connection failures
 * (only when the body can be sent again), `Warning` headers and debug traces.
 */
import type { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { AuthError, EpackError, NetworkError } from '../error.js';
import type { Authenticator } from './auth/authenticator.js';
import { displayUrl, formatHeaders, redactUrl } from './debug.js';
import { errorCode, isRetryableNetworkError, isRetryableStatus, nextDelay, parseRetryAfter, sleep, type RetryPolicy } from './retry.js';

/** A request body that can be opened again for a retry. */
export interface BodySource {
  open(): Promise<Readable | Uint8Array>;
  length: number;
  /** False for a one-shot stream: the request is then never retried after it was sent. */
  replayable: boolean;
  /**
   * Whether a connection failure mid-request may be retried by sending the
   * body again (default: `replayable`). Upload PUTs say no: the session may
   * hold part of the body, so the whole upload starts over instead.
   */
  replayAfterReset?: boolean;
}

export type RequestBody = Uint8Array | BodySource;

export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

export interface RegistryRequest {
  method: HttpMethod;
  url: URL;
  headers?: Record<string, string>;
  body?: RequestBody;
  /** Token scopes the request needs. */
  scopes: readonly string[];
  signal?: AbortSignal | undefined;
  /** Follow redirects (default: GET and HEAD only). */
  followRedirects?: boolean;
  /** For messages: `GET manifest localhost:5000/acme/x:v1`. */
  what: string;
}

export type ResponseBody = Dispatcher.ResponseData['body'];

export interface RegistryResponse {
  status: number;
  headers: Record<string, string>;
  body: ResponseBody;
  /** The URL that answered (after redirects). */
  url: URL;
}

export interface TransportOptions {
  registry: string;
  origin: URL;
  auth: Authenticator;
  retry: RetryPolicy;
  insecure: boolean;
  userAgent: string;
  onDebug?: ((line: string) => void) | undefined;
  onWarning?: ((text: string) => void) | undefined;
  /** Milliseconds to wait for response headers (default 60 s). */
  headersTimeoutMs?: number | undefined;
  /** Milliseconds a body may stall (default 120 s). */
  bodyTimeoutMs?: number | undefined;
}

const MAX_REDIRECTS = 8;
const MAX_AUTH_RETRIES = 3;

export class Transport {
  readonly agent: Agent;
  private readonly warned = new Set<string>();

  constructor(readonly options: TransportOptions) {
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      pipelining: 1,
      connections: 16,
      headersTimeout: options.headersTimeoutMs ?? 60_000,
      bodyTimeout: options.bodyTimeoutMs ?? 120_000,
      connect: { rejectUnauthorized: !options.insecure },
    });
  }

  get registry(): string {
    return this.options.registry;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** Sends a request; returns any response that is not retried (the caller checks the status). */
  async send(req: RegistryRequest): Promise<RegistryResponse> {
    const started = Date.now();
    let attempt = 0;
    let url = req.url;
    let method: HttpMethod = req.method;
    let redirects = 0;
    let authRetries = 0;
    let sentBody = false;
    const follow = req.followRedirects ?? (req.method === 'GET' || req.method === 'HEAD');
    for (;;) {
      attempt++;
      const sameOrigin = url.origin === this.options.origin.origin;
      const headers: Record<string, string> = { 'user-agent': this.options.userAgent, ...req.headers };
      let authorization: string | undefined;
      if (sameOrigin) {
        authorization = await this.options.auth.authorization(req.scopes);
        if (authorization) headers['authorization'] = authorization;
      }
      const body = req.body === undefined || method === 'GET' || method === 'HEAD' ? undefined : req.body;
      if (body !== undefined) {
        if (sentBody && !(body instanceof Uint8Array) && !body.replayable) {
          throw new NetworkError('retry_not_possible', `${req.what}: the upload failed and its content cannot be read again`);
        }
        headers['content-length'] = String(body instanceof Uint8Array ? body.byteLength : body.length);
      }
      if (this.tracing) this.debug(`> ${method} ${redactUrl(url)} ${formatHeaders(headers)}`);
      // Opening the content (a file, a stream) is not a network step: its errors pass through untouched.
      const payload = body === undefined ? undefined : body instanceof Uint8Array ? body : await body.open();
      let res: Dispatcher.ResponseData;
      try {
        sentBody = body !== undefined;
        // reset: false keeps the connection after a HEAD, which undici otherwise closes (in case a
        // server sends a body anyway): a new connection, or TLS handshake, per blob check made
        // pushes of many small blobs several times slower (docs/performance.md).
        res = await request(url, { dispatcher: this.agent, method, headers, body: payload ?? null, signal: req.signal ?? null, reset: false });
      } catch (err) {
        if (req.signal?.aborted) throw req.signal.reason ?? err;
        if (err instanceof EpackError) throw err;
        const replayable = body === undefined || body instanceof Uint8Array || (body.replayAfterReset ?? body.replayable);
        const delay = isRetryableNetworkError(err) && replayable ? nextDelay(this.options.retry, attempt, started, undefined) : undefined;
        this.debug(`! ${method} ${redactUrl(url)} ${errorCode(err) ?? 'error'}${delay === undefined ? '' : `, retry in ${delay} ms`}`);
        if (delay === undefined) throw networkError(req.what, url, err);
        await sleep(delay, req.signal);
        continue;
      }
      const resHeaders = flattenHeaders(res.headers);
      if (this.tracing) this.debug(`< ${res.statusCode} ${method} ${redactUrl(url)} ${formatHeaders(resHeaders)}`);
      this.warnOnce(resHeaders['warning']);

      if (res.statusCode === 401 && sameOrigin) {
        const replayable = body === undefined || body instanceof Uint8Array || body.replayable;
        const challenge = resHeaders['www-authenticate'];
        await res.body.dump();
        // A registry that keeps changing its challenge must not keep us looping.
        if (authRetries >= MAX_AUTH_RETRIES || (authRetries > 0 && authorization === undefined)) {
          throw new AuthError('unauthorized', `${req.what}: ${this.options.registry} kept answering 401`, { hint: `run epack login ${this.options.registry}` });
        }
        await this.options.auth.challenge(challenge, req.scopes, authorization);
        if (!replayable) {
          throw new AuthError('unauthorized', `${req.what}: the registry asked for authentication after the upload had started`, {
            hint: 'retry; epack authenticates before uploading from then on',
          });
        }
        authRetries++;
        attempt--;
        continue;
      }
      if (follow && isRedirect(res.statusCode) && resHeaders['location']) {
        await res.body.dump();
        if (++redirects > MAX_REDIRECTS) throw new NetworkError('too_many_redirects', `${req.what}: more than ${MAX_REDIRECTS} redirects`);
        url = new URL(resHeaders['location'], url);
        if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new NetworkError('invalid_redirect', `${req.what}: redirect to a ${url.protocol} URL`);
        if (res.statusCode === 303) method = 'GET';
        attempt--;
        continue;
      }
      if (isRetryableStatus(res.statusCode)) {
        const replayable = body === undefined || body instanceof Uint8Array || body.replayable;
        const delay = replayable ? nextDelay(this.options.retry, attempt, started, parseRetryAfter(resHeaders['retry-after'])) : undefined;
        if (delay !== undefined) {
          await res.body.dump();
          this.debug(`  retry ${method} ${redactUrl(url)} in ${delay} ms`);
          await sleep(delay, req.signal);
          continue;
        }
      }
      return { status: res.statusCode, headers: resHeaders, body: res.body, url };
    }
  }

  /** A request to a token realm: no registry auth, a few network retries. */
  async sendPlain(method: 'GET' | 'POST', url: URL, headers: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      this.debug(`> ${method} ${redactUrl(url)} ${formatHeaders(headers)}${body ? ' (form body redacted)' : ''}`);
      try {
        const res = await request(url, { dispatcher: this.agent, method, headers: { 'user-agent': this.options.userAgent, ...headers }, body: body ?? null });
        const text = await readText(res.body, 1024 * 1024);
        this.debug(`< ${res.statusCode} ${method} ${redactUrl(url)}`);
        if (isRetryableStatus(res.statusCode)) {
          const delay = nextDelay(this.options.retry, attempt, started, parseRetryAfter(flattenHeaders(res.headers)['retry-after']));
          if (delay !== undefined) {
            await sleep(delay);
            continue;
          }
        }
        return { status: res.statusCode, text };
      } catch (err) {
        if (err instanceof EpackError) throw err;
        const delay = isRetryableNetworkError(err) ? nextDelay(this.options.retry, attempt, started, undefined) : undefined;
        if (delay === undefined) throw networkError(`token request to ${url.host}`, url, err);
        await sleep(delay);
      }
    }
  }

  debug(line: string): void {
    this.options.onDebug?.(line);
  }

  /** Whether debug lines go anywhere: the per-request ones are not even formatted otherwise. */
  private get tracing(): boolean {
    return this.options.onDebug !== undefined;
  }

  /** Something the user should know that is not an error (to the debug trace when nobody listens). */
  warn(text: string): void {
    if (this.options.onWarning) this.options.onWarning(text);
    else this.debug(text);
  }

  private warnOnce(warning: string | undefined): void {
    if (!warning || !this.options.onWarning) return;
    for (const text of parseWarnings(warning)) {
      if (this.warned.has(text)) continue;
      this.warned.add(text);
      this.options.onWarning(`${this.options.registry}: ${text}`);
    }
  }
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

export function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** `Warning: 299 - "text"` values (RFC 7234 §5.5); only code 299 is shown, as Docker does. */
export function parseWarnings(header: string): string[] {
  const texts: string[] = [];
  const re = /(\d{3})\s+\S+\s+"((?:[^"\\]|\\.){0,1000})"/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(header.slice(0, 8192))) !== null && texts.length < 8) {
    if (m[1] === '299' && m[2]) texts.push(m[2].replace(/\\(.)/g, '$1'));
  }
  return texts;
}

function networkError(what: string, url: URL, err: unknown): NetworkError {
  const code = errorCode(err);
  const timeout = code !== undefined && /TIMEOUT|ETIMEDOUT/.test(code);
  return new NetworkError(timeout ? 'timeout' : 'network_error', `${what}: ${timeout ? 'timed out talking to' : 'cannot reach'} ${displayUrl(url)}${code ? ` (${code})` : ''}`, {
    cause: err,
    hint: timeout ? 'the registry is slow or unreachable; retry later' : 'check the registry address and your network',
  });
}

/** Reads a (small) body as text, failing when it exceeds `limit` bytes. */
export async function readText(body: ResponseBody, limit: number): Promise<string> {
  const bytes = await readBytes(body, limit);
  return bytes === undefined ? '' : Buffer.from(bytes).toString('utf8');
}

/**
 * Reads a body up to `limit` bytes; undefined when it is longer (the rest is
 * discarded). A connection that breaks mid-body becomes a NetworkError
 * (`body_interrupted` when a retry may help).
 */
export async function readBytes(body: ResponseBody, limit: number): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      total += chunk.byteLength;
      if (total > limit) {
        body.destroy();
        return undefined;
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof EpackError) throw err;
    const code = errorCode(err);
    throw new NetworkError(isRetryableNetworkError(err) || code === undefined ? 'body_interrupted' : 'network_error', `the response body broke off after ${total} bytes${code ? ` (${code})` : ''}`, { cause: err });
  }
  return Buffer.concat(chunks, total);
}

/**
 * An HTTP proxy of ours in front of a real registry. Tests point the client
 * at `proxy.url` instead of the registry and add rules that inject faults on
 * chosen requests; every request is recorded (credentials redacted) so tests
 * can assert what crossed the wire.
 *
 *   const proxy = await startFaultProxy(reg.url);
 *   proxy.addRule({ method: 'PUT', path: /\/blobs\/uploads\//, nth: 1, fault: { kind: 'status', status: 503 } });
 *   ... run the client against proxy.host ...
 *   expect(proxy.requests.filter((r) => r.method === 'PUT')).toHaveLength(2);
 *
 * The registry sees the proxy's Host header, so the absolute Locations it
 * builds point back at the proxy; upstream origins in `Location` and
 * `WWW-Authenticate` are rewritten to the proxy's as well.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { redactHeaders, type RecordedRequest } from './http-record.js';

export type Fault =
  /** Answer with this status (500, 502, 503, …) without asking the registry. */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** 429 (or `status`) with `Retry-After` in seconds, or as an HTTP-date when `date` is given. */
  | { kind: 'retry-after'; seconds?: number; date?: Date; status?: number }
  /** Forward, then cut the connection after `afterBytes` of the response body (default: half of it, at least 1 byte). */
  | { kind: 'reset-response'; afterBytes?: number }
  /** Cut the connection after `afterBytes` of the request body arrived (default 0: at once), without answering. */
  | { kind: 'reset-request'; afterBytes?: number }
  /** Wait `ms` before forwarding; without `ms`, never answer (until the proxy closes). */
  | { kind: 'stall'; ms?: number }
  /** Send the headers and `afterBytes` of the body, then pause `ms` before the rest. */
  | { kind: 'stall-body'; afterBytes: number; ms: number }
  /** Forward the response body at `bytesPerSecond`. */
  | { kind: 'slow'; bytesPerSecond: number }
  /**
   * Forward, then change the answer: `status`, `headers` (null removes one;
   * e.g. a wrong Docker-Content-Digest), and `body` (the whole upstream body
   * in, the new body out: small responses only; Content-Length is fixed up).
   */
  | {
      kind: 'rewrite';
      status?: number;
      headers?: Record<string, string | null>;
      body?: (original: Buffer, req: http.IncomingMessage) => Buffer | string;
    }
  /** Answer with your own handler; the registry is not asked. */
  | { kind: 'custom'; handle: (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void> };

export interface FaultRule {
  /** Exact method (case-insensitive) or a pattern; default any. */
  method?: string | RegExp;
  /** Tested against path + query; default any. */
  path?: RegExp;
  /**
   * Which matching requests get the fault, 1-based: `2` = only the second,
   * `[1, 3]`, or `'all'` (default).
   */
  nth?: number | number[] | 'all';
  fault: Fault;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>` */
  host: string;
  upstream: string;
  requests: RecordedRequest[];
  addRule(rule: FaultRule): void;
  clearRules(): void;
  /** Forget rules, their counters and the recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  rules?: FaultRule[];
  /** Rewrite the upstream origin to the proxy's in Location / WWW-Authenticate; default true. */
  rewriteOrigin?: boolean;
}

interface ActiveRule {
  rule: FaultRule;
  seen: number;
}

function matches(rule: FaultRule, method: string, path: string): boolean {
  if (rule.method !== undefined) {
    if (typeof rule.method === 'string' ? rule.method.toUpperCase() !== method : !rule.method.test(method)) return false;
  }
  return rule.path === undefined || rule.path.test(path);
}

function selected(nth: FaultRule['nth'], occurrence: number): boolean {
  if (nth === undefined || nth === 'all') return true;
  return Array.isArray(nth) ? nth.includes(occurrence) : nth === occurrence;
}

function describeFault(f: Fault): string {
  switch (f.kind) {
    case 'status':
      return `status ${f.status}`;
    case 'retry-after':
      return `retry-after ${f.date ? f.date.toUTCString() : (f.seconds ?? 1)}`;
    default:
      return f.kind;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves on 'drain', or on 'close' when the client went away. */
function drained(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

export async function startFaultProxy(upstream: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const upstreamUrl = new URL(upstream);
  const rules: ActiveRule[] = (options.rules ?? []).map((rule) => ({ rule, seen: 0 }));
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const stalls = new Set<() => void>();
  let origin = '';

  const rewrite = (value: string): string =>
    options.rewriteOrigin === false ? value : value.split(upstreamUrl.origin).join(origin);

  const pickFault = (method: string, path: string): Fault | undefined => {
    let fault: Fault | undefined;
    for (const active of rules) {
      if (!matches(active.rule, method, path)) continue;
      active.seen += 1;
      if (fault === undefined && selected(active.rule.nth, active.seen)) fault = active.rule.fault;
    }
    return fault;
  };

  const waitOrClose = (ms: number | undefined): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        stalls.delete(done);
        clearTimeout(timer);
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      stalls.add(done);
    });

  const server = http.createServer((req, res) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = req.url ?? '/';
    const { headers, authScheme } = redactHeaders(req.headers);
    const record: RecordedRequest = { seq: requests.length + 1, method, path, headers, bodyBytes: 0 };
    if (authScheme !== undefined) record.authScheme = authScheme;
    requests.push(record);
    req.on('data', (chunk: Buffer) => (record.bodyBytes += chunk.length));
    const fault = pickFault(method, path);
    if (fault) record.fault = describeFault(fault);
    void handle(req, res, record, fault).catch(() => res.destroy());
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, record: RecordedRequest, fault: Fault | undefined): Promise<void> {
    if (fault?.kind === 'status') {
      req.resume();
      const body = fault.body ?? JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: `injected ${fault.status}` }] });
      record.status = fault.status;
      res.writeHead(fault.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...fault.headers });
      res.end(body);
      return;
    }
    if (fault?.kind === 'retry-after') {
      req.resume();
      const status = fault.status ?? 429;
      const retryAfter = fault.date ? fault.date.toUTCString() : String(fault.seconds ?? 1);
      const body = JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'injected rate limit' }] });
      record.status = status;
      res.writeHead(status, { 'Content-Type': 'application/json', 'Retry-After': retryAfter, 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    if (fault?.kind === 'custom') {
      res.on('finish', () => (record.status = res.statusCode));
      await fault.handle(req, res);
      return;
    }
    if (fault?.kind === 'reset-request') {
      const limit = fault.afterBytes ?? 0;
      if (limit === 0) return void req.socket.destroy();
      let got = 0;
      req.on('data', (c: Buffer) => {
        got += c.length;
        if (got >= limit) req.socket.destroy();
      });
      req.on('end', () => req.socket.destroy());
      return;
    }
    if (fault?.kind === 'stall') {
      // The recorder's 'data' listener keeps the request flowing: pause it, or a
      // body that arrives during the stall is lost (pipe() below resumes it).
      req.pause();
      await waitOrClose(fault.ms);
    }
    if (req.socket.destroyed) return;

    const upstreamReq = http.request({
      host: upstreamUrl.hostname,
      port: upstreamUrl.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
    });
    req.pipe(upstreamReq);
    req.on('error', () => upstreamReq.destroy());
    res.on('close', () => upstreamReq.destroy());
    const upstreamRes = await new Promise<http.IncomingMessage>((resolve, reject) => {
      upstreamReq.on('response', resolve);
      upstreamReq.on('error', reject);
    });
    const status = upstreamRes.statusCode ?? 502;
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(upstreamRes.headers)) {
      if (value === undefined) continue;
      headers[name] = name === 'location' || name === 'www-authenticate' ? (Array.isArray(value) ? value.map(rewrite) : rewrite(value)) : value;
    }
    if (fault?.kind === 'rewrite') {
      const chunks: Buffer[] = [];
      for await (const c of upstreamRes as AsyncIterable<Buffer>) chunks.push(c);
      let body = Buffer.concat(chunks);
      if (fault.body) {
        body = Buffer.from(fault.body(body, req));
        delete headers['transfer-encoding'];
        headers['content-length'] = String(body.length);
      }
      for (const [name, value] of Object.entries(fault.headers ?? {})) {
        if (value === null) delete headers[name.toLowerCase()];
        else headers[name.toLowerCase()] = value;
      }
      record.status = fault.status ?? status;
      res.writeHead(record.status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    record.status = status;
    res.writeHead(status, upstreamRes.statusMessage, headers);
    if (fault?.kind === 'reset-response') {
      const declared = Number(upstreamRes.headers['content-length'] ?? NaN);
      const limit = fault.afterBytes ?? (Number.isFinite(declared) ? Math.max(1, Math.floor(declared / 2)) : 1);
      let sent = 0;
      for await (const chunk of upstreamRes as AsyncIterable<Buffer>) {
        const part = chunk.subarray(0, Math.max(0, limit - sent));
        if (part.length > 0) await new Promise<void>((r) => res.write(part, () => r()));
        sent += part.length;
        if (sent >= limit) break;
      }
      upstreamRes.destroy();
      res.socket?.destroy();
      return;
    }
    if (fault?.kind === 'stall-body' || fault?.kind === 'slow') {
      let sent = 0;
      let paused = false;
      for await (const chunk of upstreamRes as AsyncIterable<Buffer>) {
        let rest = chunk;
        while (rest.length > 0) {
          let n = rest.length;
          if (fault.kind === 'slow') n = Math.min(n, Math.max(1, Math.floor(fault.bytesPerSecond / 20)));
          else if (!paused) n = Math.min(n, Math.max(0, fault.afterBytes - sent));
          if (n > 0) {
            const part = rest.subarray(0, n);
            rest = rest.subarray(n);
            sent += n;
            if (!res.write(part)) await drained(res);
          }
          if (fault.kind === 'slow') await sleep((n / fault.bytesPerSecond) * 1000);
          else if (!paused && sent >= fault.afterBytes) {
            paused = true;
            await waitOrClose(fault.ms);
          }
          if (res.destroyed) return;
        }
      }
      res.end();
      return;
    }
    upstreamRes.pipe(res);
  }

  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    host: `127.0.0.1:${port}`,
    upstream: upstreamUrl.origin,
    requests,
    addRule: (rule) => void rules.push({ rule, seen: 0 }),
    clearRules: () => void rules.splice(0),
    reset: () => {
      rules.splice(0);
      requests.splice(0);
    },
    close: async () => {
      for (const release of [...stalls]) release();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A tiny registry that misbehaves on purpose, configured per test: wrong
 * digests, oversized manifests, endless referrers pagination, redirects and
 * token realms on another host (a second loopback port, `other`), https realms
 * downgraded to http, malformed WWW-Authenticate, malformed JSON, truncated
 * bodies and wrong Content-Length.
 *
 *   const h = await startHostileRegistry();
 *   h.route('GET', /^\/v2\/a\/manifests\//, hostile.manifest(bytes, { claimedDigest: otherDigest }));
 *   h.route('GET', /^\/v2\/a\/blobs\//, hostile.redirect(`${h.other.url}/blob`));
 *   h.other.route('GET', /^\/blob$/, hostile.bytes(content));
 *   ... run the client against h.host ...
 *   expect(h.other.requests[0]?.authScheme).toBeUndefined(); // no credentials leaked
 *
 * `GET /v2/` answers 200 unless a test routes it; anything unrouted is 404.
 * Routes added later win over earlier ones.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { redactHeaders, type RecordedRequest } from './http-record.js';
import { selfSignedEcCert } from './x509.js';

export interface HostileContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  /** The server answering (main or other). */
  server: HostileServer;
  /** The registry as a whole (main and other). */
  registry: HostileRegistry;
  /** Groups of the path regexp. */
  match: RegExpExecArray;
  /** Reads the whole request body (small test payloads only). */
  body(): Promise<Buffer>;
}

export type Responder = (ctx: HostileContext) => void | Promise<void>;

export interface HostileServer {
  /** `http(s)://127.0.0.1:<port>` */
  url: string;
  host: string;
  requests: RecordedRequest[];
  route(method: string | undefined, path: RegExp, respond: Responder): void;
  clearRoutes(): void;
}

export interface HostileRegistry extends HostileServer {
  /** A second server on another loopback port: "another host" for redirects and realms. */
  other: HostileServer;
  /** PEM of the self-signed certificate when started with `tls: true` (trust it as a CA). */
  certificatePem?: string;
  close(): Promise<void>;
}

export interface HostileOptions {
  /** Serve the main server over https (a self-signed cert for 127.0.0.1 and localhost); `other` stays http. */
  tls?: boolean;
}

const JSON_TYPE = 'application/json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Writes bytes straight to the socket, bypassing Node's HTTP framing (for malformed responses). */
function rawWrite(res: http.ServerResponse, data: Buffer, end: 'end' | 'destroy'): Promise<void> {
  const socket = res.socket as Socket | null;
  if (!socket) return Promise.resolve();
  return new Promise((resolve) => {
    socket.write(data, () => {
      if (end === 'destroy') socket.destroy();
      else socket.end();
      resolve();
    });
  });
}

function head(status: number, headers: Record<string, string | number>): string {
  const lines = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Status'}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Ready-made misbehaviours. */
export const hostile = {
  /** A JSON (or any string) answer. */
  json(status: number, body: unknown, headers: Record<string, string> = {}): Responder {
    return ({ res }) => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(text), ...headers });
      res.end(text);
    };
  },

  /** Bytes with a content type; HEAD gets the headers only. */
  bytes(content: Buffer | string, contentType = 'application/octet-stream', headers: Record<string, string> = {}): Responder {
    const body = Buffer.from(content);
    return ({ req, res }) => {
      res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': body.length, ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
  },

  /**
   * A manifest whose `Docker-Content-Digest` is `claimedDigest` (default: the
   * digest in the request path) rather than the digest of the bytes.
   */
  manifest(content: Buffer | string, options: { mediaType?: string; claimedDigest?: string } = {}): Responder {
    const body = Buffer.from(content);
    return (ctx) => {
      const fromPath = /sha256:[0-9a-f]{64}/.exec(ctx.req.url ?? '')?.[0];
      const claimed = options.claimedDigest ?? fromPath ?? sha256(body);
      return hostile.bytes(body, options.mediaType ?? OCI_MANIFEST, { 'Docker-Content-Digest': claimed })(ctx);
    };
  },

  /** A blob answered with `content`, whatever digest was asked for. */
  wrongDigestBlob(content: Buffer | string): Responder {
    return hostile.manifest(content, { mediaType: 'application/octet-stream' });
  },

  /**
   * `totalBytes` of a JSON manifest streamed in chunks (never held in memory);
   * `declareLength: false` sends it chunked without Content-Length.
   */
  oversized(totalBytes: number, options: { mediaType?: string; declareLength?: boolean } = {}): Responder {
    return async ({ req, res }) => {
      const headers: Record<string, string | number> = { 'Content-Type': options.mediaType ?? OCI_MANIFEST };
      if (options.declareLength !== false) headers['Content-Length'] = totalBytes;
      res.writeHead(200, headers);
      if (req.method === 'HEAD') return void res.end();
      const prefix = Buffer.from('{"schemaVersion":2,"annotations":{"pad":"');
      const suffix = Buffer.from('"}}');
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let left = totalBytes;
      const write = async (b: Buffer): Promise<boolean> => {
        if (res.destroyed) return false;
        const part = b.subarray(0, Math.min(b.length, left));
        left -= part.length;
        if (!res.write(part)) {
          await new Promise<void>((r) => {
            const done = (): void => {
              res.off('drain', done);
              res.off('close', done);
              r();
            };
            res.on('drain', done);
            res.on('close', done);
          });
        }
        return !res.destroyed;
      };
      if (!(await write(prefix))) return;
      while (left > suffix.length) {
        const n = Math.min(chunk.length, left - suffix.length);
        if (!(await write(chunk.subarray(0, n)))) return;
      }
      if (await write(suffix)) res.end();
    };
  },

  /** Referrers pages that never end: each has one entry and a `Link` to the next. */
  endlessReferrers(options: { artifactType?: string } = {}): Responder {
    return ({ req, res }) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const page = Number(url.searchParams.get('page') ?? '0');
      const entry = Buffer.from(`referrer-${page}`);
      const index = {
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          {
            mediaType: OCI_MANIFEST,
            digest: sha256(entry),
            size: entry.length,
            artifactType: options.artifactType ?? 'application/vnd.example.endless',
          },
        ],
      };
      url.searchParams.set('page', String(page + 1));
      const text = JSON.stringify(index);
      res.writeHead(200, {
        'Content-Type': OCI_INDEX,
        'Content-Length': Buffer.byteLength(text),
        Link: `<${url.pathname}${url.search}>; rel="next"`,
      });
      res.end(text);
    };
  },

  /** A redirect (default 307) to a URL, e.g. on `registry.other`. */
  redirect(to: string | ((ctx: HostileContext) => string), status = 307): Responder {
    return (ctx) => {
      ctx.req.resume();
      ctx.res.writeHead(status, { Location: typeof to === 'string' ? to : to(ctx), 'Content-Length': 0 });
      ctx.res.end();
    };
  },

  /** 401 with this exact WWW-Authenticate (malformed ones, realms on other hosts, http realms). */
  challenge(wwwAuthenticate: string | ((ctx: HostileContext) => string)): Responder {
    return (ctx) => {
      ctx.req.resume();
      const text = JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
      ctx.res.writeHead(401, {
        'Content-Type': JSON_TYPE,
        'Content-Length': Buffer.byteLength(text),
        'WWW-Authenticate': typeof wwwAuthenticate === 'string' ? wwwAuthenticate : wwwAuthenticate(ctx),
      });
      ctx.res.end(text);
    };
  },

  /** A token endpoint that hands out `token` to anyone. */
  tokenEndpoint(token = 'hostile-token'): Responder {
    return hostile.json(200, { token, access_token: token, expires_in: 300 });
  },

  /** JSON that does not parse, with a valid content type. */
  malformedJson(contentType = OCI_MANIFEST): Responder {
    return hostile.bytes('{"schemaVersion": 2, "layers": [{"digest": ', contentType);
  },

  /** Declares `declaredLength` (default: twice the body) but sends `body` and cuts the connection. */
  truncated(body: Buffer | string, options: { declaredLength?: number; contentType?: string; status?: number } = {}): Responder {
    const bytes = Buffer.from(body);
    return ({ res }) =>
      rawWrite(
        res,
        Buffer.concat([
          Buffer.from(head(options.status ?? 200, {
            'Content-Type': options.contentType ?? OCI_MANIFEST,
            'Content-Length': options.declaredLength ?? bytes.length * 2,
          })),
          bytes,
        ]),
        'destroy',
      );
  },

  /** Declares `declaredLength` (smaller than the body) and sends the whole body anyway, then closes. */
  wrongContentLength(body: Buffer | string, declaredLength: number, contentType = OCI_MANIFEST): Responder {
    const bytes = Buffer.from(body);
    return ({ res }) =>
      rawWrite(res, Buffer.concat([Buffer.from(head(200, { 'Content-Type': contentType, 'Content-Length': declaredLength })), bytes]), 'end');
  },

  /** Arbitrary bytes as the whole response (status line included). */
  raw(data: Buffer | string, end: 'end' | 'destroy' = 'end'): Responder {
    return ({ res }) => rawWrite(res, Buffer.from(data), end);
  },

  /** Never answers (the client's timeout must fire). */
  hang(): Responder {
    return () => new Promise<void>(() => undefined);
  },
};

interface Route {
  method?: string;
  path: RegExp;
  respond: Responder;
}

interface ServerParts {
  server: HostileServer;
  close(): Promise<void>;
}

async function createServer(
  kind: 'http' | 'https',
  tls: { key: string; cert: string } | undefined,
  registry: () => HostileRegistry,
): Promise<ServerParts> {
  const routes: Route[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const self: HostileServer = {
    url: '',
    host: '',
    requests,
    route: (method, path, respond) => void routes.unshift(method === undefined ? { path, respond } : { method: method.toUpperCase(), path, respond }),
    clearRoutes: () => void routes.splice(0),
  };
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = req.url ?? '/';
    const { headers, authScheme } = redactHeaders(req.headers);
    const record: RecordedRequest = { seq: requests.length + 1, method, path, headers, bodyBytes: 0 };
    if (authScheme !== undefined) record.authScheme = authScheme;
    requests.push(record);
    req.on('data', (c: Buffer) => (record.bodyBytes += c.length));
    res.on('finish', () => (record.status = res.statusCode));
    let match: RegExpExecArray | null = null;
    const route = routes.find((r) => (r.method === undefined || r.method === method || (r.method === 'GET' && method === 'HEAD')) && (match = r.path.exec(path)) !== null);
    let chosen: Responder;
    if (route && match) {
      chosen = route.respond;
      record.fault = `route ${route.method ?? '*'} ${route.path.source}`;
    } else if (path === '/v2/' || path === '/v2') {
      chosen = hostile.json(200, {}, { 'Docker-Distribution-API-Version': 'registry/2.0' });
    } else {
      chosen = hostile.json(404, { errors: [{ code: 'NOT_FOUND', message: `no route for ${method} ${path}` }] });
    }
    let body: Promise<Buffer> | undefined;
    const ctx: HostileContext = {
      req,
      res,
      server: self,
      registry: registry(),
      match: match ?? (/$/.exec('') as RegExpExecArray),
      body: () =>
        (body ??= (async () => {
          const chunks: Buffer[] = [];
          for await (const c of req) chunks.push(c as Buffer);
          return Buffer.concat(chunks);
        })()),
    };
    Promise.resolve()
      .then(() => chosen(ctx))
      .catch(() => res.destroy());
  };
  const server = kind === 'https' && tls ? https.createServer(tls, handler) : http.createServer(handler);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  self.host = `127.0.0.1:${port}`;
  self.url = `${kind}://${self.host}`;
  return {
    server: self,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function startHostileRegistry(options: HostileOptions = {}): Promise<HostileRegistry> {
  let registry: HostileRegistry | undefined;
  const get = (): HostileRegistry => registry!;
  let tls: { key: string; cert: string } | undefined;
  let certificatePem: string | undefined;
  if (options.tls) {
    const cert = selfSignedEcCert('epack hostile registry', { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    certificatePem = cert.pem;
    tls = { key: cert.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), cert: cert.pem };
  }
  const main = await createServer(options.tls ? 'https' : 'http', tls, get);
  const other = await createServer('http', undefined, get);
  registry = {
    ...main.server,
    other: other.server,
    close: async () => {
      await Promise.all([main.close(), other.close()]);
    },
  };
  if (certificatePem !== undefined) registry.certificatePem = certificatePem;
  return registry;
}

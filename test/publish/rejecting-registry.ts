/**
 * A minimal registry on 127.0.0.1 that accepts blobs and rejects every
 * manifest PUT with 400 MANIFEST_INVALID (as registries with artifact-type
 * allow-lists do). Records the manifest PUTs it saw.
 */
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';

export interface RejectingRegistry {
  host: string;
  manifestPuts: string[];
  close(): Promise<void>;
}

export async function startRejectingRegistry(): Promise<RejectingRegistry> {
  const manifestPuts: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, headers: Record<string, string> = {}, body = '') => {
      res.writeHead(status, { 'Docker-Distribution-API-Version': 'registry/2.0', ...headers });
      res.end(body);
    };
    req.resume();
    req.on('end', () => {
      const p = url.pathname;
      if (p === '/v2/' || p === '/v2') return send(200, { 'Content-Type': 'application/json' }, '{}');
      let m = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(p);
      if (m && (req.method === 'HEAD' || req.method === 'GET')) return send(404, { 'Content-Type': 'application/json' }, '{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}');
      m = /^\/v2\/(.+)\/blobs\/uploads\/?$/.exec(p);
      if (m && req.method === 'POST') {
        const digest = url.searchParams.get('digest');
        if (digest) return send(201, { Location: `/v2/${m[1]}/blobs/${digest}`, 'Docker-Content-Digest': digest });
        return send(202, { Location: `/v2/${m[1]}/blobs/uploads/${randomUUID()}`, Range: '0-0', 'Content-Length': '0' });
      }
      m = /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/.exec(p);
      if (m && req.method === 'PATCH') return send(202, { Location: p, Range: '0-0' });
      if (m && req.method === 'PUT') {
        const digest = url.searchParams.get('digest') ?? '';
        return send(201, { Location: `/v2/${m[1]}/blobs/${digest}`, 'Docker-Content-Digest': digest });
      }
      m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(p);
      if (m && req.method === 'PUT') {
        manifestPuts.push(m[2]!);
        return send(400, { 'Content-Type': 'application/json' }, '{"errors":[{"code":"MANIFEST_INVALID","message":"artifact type application/vnd.evidencepack.pack.v1 is not allowed"}]}');
      }
      if (m) return send(404, { 'Content-Type': 'application/json' }, '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}');
      send(404);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    manifestPuts,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A registry on [::1] is reached by its IPv6 literal, over plain HTTP automatically. */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRegistryReference } from '../../src/oci/reference.js';
import { openRepository } from '../../src/registry/open.js';
import { manifest } from './helpers.js';

let server: http.Server | undefined;
let port = 0;
const m = manifest([]);

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === `/v2/acme/six/manifests/v1`) {
      res.writeHead(200, { 'Content-Type': m.desc.mediaType, 'Content-Length': m.bytes.length, 'Docker-Content-Digest': m.desc.digest });
      res.end(req.method === 'HEAD' ? undefined : m.bytes);
      return;
    }
    res.writeHead(404, { 'Content-Length': 0 }).end();
  });
  const listening = await new Promise<boolean>((resolve) => {
    server!.once('error', () => resolve(false));
    server!.listen(0, '::1', () => resolve(true));
  });
  if (!listening) {
    process.stderr.write('SKIP ipv6: cannot listen on [::1]\n');
    server = undefined;
    return;
  }
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
});

describe('IPv6 loopback', () => {
  it('resolves [::1]:<port>/acme/six:v1', async (ctx) => {
    if (!server) return ctx.skip();
    const ref = parseRegistryReference(`[::1]:${port}/acme/six:v1`);
    const { client, repository } = openRepository(ref, { credentials: {} });
    try {
      expect(client.origin.toString()).toBe(`http://[::1]:${port}/`);
      expect(await repository.resolve('v1')).toMatchObject({ digest: m.desc.digest, size: m.desc.size });
    } finally {
      await client.close();
    }
  });
});

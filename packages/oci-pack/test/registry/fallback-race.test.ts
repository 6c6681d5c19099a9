/**
 * The tag-schema fallback's read-modify-write against a scripted registry
 * that simulates other writers: a conditional PUT answered 412 after a
 * foreign entry was added (If-Match/ETag path), and an index overwritten by
 * a stale writer right after our PUT (re-read and merge path). Deletes of the
 * replaced index are refused (405), as on GHCR / Docker Hub.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Descriptor, ImageIndex } from '../../src/oci/descriptor.js';
import { MediaType } from '../../src/oci/media-types.js';
import { RegistryClient } from '../../src/registry/client.js';
import { fallbackTag } from '../../src/registry/referrers.js';
import { collect, manifest } from './helpers.js';

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface Fake {
  host: string;
  index: Buffer | undefined;
  etags: boolean;
  /** Called once per PUT of the fallback tag, before it is applied; may change `index` and veto. */
  onIndexPut?: (conditional: string | undefined) => 'apply' | 'precondition-failed' | 'apply-then-clobber';
  clobberWith?: () => Buffer;
  deletes: number;
  indexPuts: number;
  close(): Promise<void>;
}

function etagOf(b: Buffer): string {
  return `"${sha(b)}"`;
}

async function startFake(subjectDigest: string): Promise<Fake> {
  const tag = fallbackTag(subjectDigest);
  const manifests = new Map<string, { type: string; body: Buffer }>();
  const fake: Fake = { host: '', index: undefined, etags: true, deletes: 0, indexPuts: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = req.url ?? '';
      const send = (status: number, headers: Record<string, string> = {}, payload: Buffer | string = ''): void => {
        res.writeHead(status, { 'Content-Length': Buffer.byteLength(payload), ...headers });
        res.end(req.method === 'HEAD' ? undefined : payload);
      };
      if (url === '/v2/') return send(200);
      if (url.startsWith('/v2/r/referrers/')) return send(404, { 'Content-Type': 'text/plain' }, '404 page not found');
      const m = /^\/v2\/r\/manifests\/(.+)$/.exec(url);
      if (!m) return send(404, { 'Content-Type': 'application/json' }, '{"errors":[{"code":"NOT_FOUND"}]}');
      const ref = decodeURIComponent(m[1]!);
      if (req.method === 'DELETE') {
        fake.deletes++;
        return send(405, { 'Content-Type': 'application/json' }, '{"errors":[{"code":"UNSUPPORTED","message":"deletes are disabled"}]}');
      }
      if (ref === tag) {
        if (req.method === 'PUT') {
          fake.indexPuts++;
          const conditional = req.headers['if-match'];
          const verdict = fake.onIndexPut?.(conditional) ?? 'apply';
          if (verdict === 'precondition-failed' || (conditional && fake.index && conditional !== etagOf(fake.index))) return send(412);
          fake.index = body;
          if (verdict === 'apply-then-clobber' && fake.clobberWith) fake.index = fake.clobberWith();
          return send(201, { 'Docker-Content-Digest': sha(body) });
        }
        if (!fake.index) return send(404, { 'Content-Type': 'application/json' }, '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
        const headers: Record<string, string> = { 'Content-Type': MediaType.imageIndex, 'Docker-Content-Digest': sha(fake.index) };
        if (fake.etags) headers['ETag'] = etagOf(fake.index);
        return send(200, headers, fake.index);
      }
      if (req.method === 'PUT') {
        manifests.set(ref, { type: req.headers['content-type'] ?? '', body });
        return send(201, { 'Docker-Content-Digest': sha(body) });
      }
      const found = manifests.get(ref);
      if (!found) return send(404, { 'Content-Type': 'application/json' }, '{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
      return send(200, { 'Content-Type': found.type, 'Docker-Content-Digest': sha(found.body) }, found.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise<void>((r) => server.close(() => r()));
  return fake;
}

function indexWith(entries: Descriptor[]): Buffer {
  const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.imageIndex, manifests: entries };
  return Buffer.from(JSON.stringify(index));
}

describe('fallback index read-modify-write with other writers', () => {
  const subject: Descriptor = { mediaType: MediaType.imageManifest, digest: sha('subject'), size: 7 };
  const foreign: Descriptor = { mediaType: MediaType.imageManifest, digest: sha('foreign'), size: 9, artifactType: 'application/x-foreign' };
  const earlier: Descriptor = { mediaType: MediaType.imageManifest, digest: sha('earlier'), size: 9, artifactType: 'application/x-earlier' };
  let fake: Fake;
  let client: RegistryClient;
  beforeAll(async () => {
    fake = await startFake(subject.digest);
    client = new RegistryClient(fake.host, { credentials: {}, retry: { maxAttempts: 1 } });
  });
  afterAll(async () => {
    await client?.close();
    await fake?.close();
  });

  it('retries after 412 and keeps the entry the other writer added (If-Match)', async () => {
    fake.index = indexWith([earlier]);
    fake.etags = true;
    fake.deletes = 0;
    fake.indexPuts = 0;
    let first = true;
    fake.onIndexPut = (conditional) => {
      expect(conditional).toBeDefined();
      if (!first) return 'apply';
      first = false;
      fake.index = indexWith([earlier, foreign]);
      return 'precondition-failed';
    };
    const mine = manifest([], { artifactType: 'application/x-mine', subject });
    await client.repository('r').push(mine.desc, mine.bytes);
    const listed = await collect(client.repository('r').referrers(subject));
    expect(listed.map((d) => d.digest).sort()).toEqual([earlier.digest, foreign.digest, mine.desc.digest].sort());
    expect(fake.indexPuts).toBe(2);
    expect(fake.deletes).toBe(1); // GC of the replaced index was tried and its refusal tolerated
    const refused = await client.repository('r').delete(mine.desc).catch((e: unknown) => e);
    expect(refused).toMatchObject({ kind: 'registry', code: 'unsupported' });
    expect((refused as { hint?: string }).hint).toMatch(/refuse deletes/);
  });

  it('re-reads after writing and merges again when a stale writer clobbered the index (no ETag)', async () => {
    fake.index = indexWith([earlier]);
    fake.etags = false;
    fake.indexPuts = 0;
    let clobbered = false;
    fake.clobberWith = () => indexWith([earlier, foreign]);
    fake.onIndexPut = (conditional) => {
      expect(conditional).toBeUndefined();
      if (clobbered) return 'apply';
      clobbered = true;
      return 'apply-then-clobber';
    };
    const mine = manifest([], { artifactType: 'application/x-mine2', subject });
    await client.repository('r').push(mine.desc, mine.bytes);
    const listed = await collect(client.repository('r').referrers(subject));
    expect(listed.map((d) => d.digest).sort()).toEqual([earlier.digest, foreign.digest, mine.desc.digest].sort());
    expect(fake.indexPuts).toBe(2);
  });

  it('gives up with referrers_update_conflict when the index never keeps the entry', async () => {
    fake.index = indexWith([]);
    fake.etags = false;
    fake.clobberWith = () => indexWith([foreign]);
    fake.onIndexPut = () => 'apply-then-clobber';
    const mine = manifest([], { artifactType: 'application/x-mine3', subject });
    await expect(client.repository('r').push(mine.desc, mine.bytes)).rejects.toMatchObject({ code: 'referrers_update_conflict' });
  });
});

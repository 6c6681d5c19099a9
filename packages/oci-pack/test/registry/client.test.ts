/**
 * The registry client against every real registry × auth mode of the
 * harness: blobs (monolithic, chunked, mount), manifests, resolve, tag,
 * tags, errors.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EpackError } from '../../src/error.js';
import { MediaType } from '../../src/oci/media-types.js';
import type { RegistryClient } from '../../src/registry/client.js';
import { registryMatrix, startRegistry, stopAllRegistries, type RunningRegistry } from '../../../../test/harness/registries.js';
import { blob, clientFor, collect, EMPTY_JSON, emptyConfig, manifest, readAll, itWhere } from './helpers.js';

afterAll(async () => {
  await stopAllRegistries();
});

describe.each(registryMatrix())('$kind/$auth', ({ kind, auth }) => {
  let reg: RunningRegistry | undefined;
  let client: RegistryClient;

  beforeAll(async () => {
    reg = await startRegistry(kind, { auth });
    if (reg) client = clientFor(reg);
  });
  afterAll(async () => {
    await client?.close();
    await reg?.stop();
  });

  it('pushes and fetches blobs monolithically, skipping existing ones', async (ctx) => {
    if (!reg) return ctx.skip();
    const repo = client.repository('acme/content');
    const { desc, bytes } = blob(300_000);
    expect(await repo.exists(desc)).toBe(false);
    await repo.push(desc, Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]));
    expect(await repo.exists(desc)).toBe(true);
    const fetched = await readAll(await repo.fetch(desc));
    expect(fetched.equals(bytes)).toBe(true);
    expect(await repo.resolveBlob(desc.digest)).toEqual({ mediaType: MediaType.octetStream, digest: desc.digest, size: desc.size });
    await expect(repo.resolveBlob(blob(3).desc.digest)).rejects.toMatchObject({ kind: 'not_found' });
    // Existing: HEAD answers, nothing is uploaded (a one-shot stream that would fail if read).
    const poisoned = new Readable({ read() { this.destroy(new Error('must not be read')); } });
    await repo.push(desc, poisoned);
    expect(poisoned.destroyed).toBe(true);
    // Small in-memory blob (single POST attempt, falling back to POST+PUT).
    await repo.push(emptyConfig, EMPTY_JSON);
    expect(await repo.exists(emptyConfig)).toBe(true);
  });

  it('uploads in chunks with a small chunk size', async (ctx) => {
    if (!reg) return ctx.skip();
    const chunky = clientFor(reg, { monolithicMaxBytes: 1000, chunkSize: 64 * 1024 });
    try {
      const repo = chunky.repository('acme/chunked');
      const { desc, bytes } = blob(200_000 + 17);
      await repo.push(desc, Readable.from([bytes]));
      expect((await readAll(await repo.fetch(desc))).equals(bytes)).toBe(true);
    } finally {
      await chunky.close();
    }
  });

  it('rejects content that does not match its descriptor', async (ctx) => {
    if (!reg) return ctx.skip();
    const repo = client.repository('acme/content');
    const { desc } = blob(5000);
    const other = blob(5000).bytes;
    await expect(repo.push(desc, other)).rejects.toMatchObject({ code: 'digest_mismatch' });
    await expect(repo.push(desc, Readable.from([other]))).rejects.toBeInstanceOf(EpackError);
    expect(await repo.exists(desc)).toBe(false);
  });

  it('mounts a blob across repositories', async (ctx) => {
    if (!reg) return ctx.skip();
    const from = client.repository('acme/source');
    const to = client.repository('acme/target');
    const { desc, bytes } = blob(40_000);
    await from.push(desc, bytes);
    let opened = 0;
    await to.mount(desc, 'acme/source', () => {
      opened++;
      return Promise.resolve(Readable.from([bytes]));
    });
    expect(await to.exists(desc)).toBe(true);
    expect((await readAll(await to.fetch(desc))).equals(bytes)).toBe(true);
    expect(opened).toBeLessThanOrEqual(1);
    // Mount from a repository that lacks the blob falls back to uploading.
    const fresh = blob(1234);
    await to.mount(fresh.desc, 'acme/nowhere', () => Promise.resolve(Readable.from([fresh.bytes])));
    expect(await to.exists(fresh.desc)).toBe(true);
  });

  it('pushes, resolves, tags and fetches manifests with exact bytes', async (ctx) => {
    if (!reg) return ctx.skip();
    const repo = client.repository('acme/art');
    const layer = blob(1000, 'application/vnd.example.layer');
    await repo.push(layer.desc, layer.bytes);
    await repo.push(emptyConfig, EMPTY_JSON);
    const m = manifest([layer.desc], { artifactType: 'application/vnd.example' });
    await repo.pushReference(m.desc, m.bytes, 'v1');
    const resolved = await repo.resolve('v1');
    expect(resolved).toMatchObject({ digest: m.desc.digest, size: m.desc.size, mediaType: MediaType.imageManifest });
    expect(await repo.resolve(`${reg.host}/acme/art:v1`)).toMatchObject({ digest: m.desc.digest });
    await repo.tag(m.desc, 'v2');
    expect((await repo.resolve('v2')).digest).toBe(m.desc.digest);
    const fetched = await repo.fetchManifest('v2');
    expect(Buffer.from(fetched.bytes).equals(m.bytes)).toBe(true);
    expect((await readAll(await repo.fetch(m.desc))).equals(m.bytes)).toBe(true);
    expect(await repo.exists(m.desc)).toBe(true);
    const tags = await collect(repo.tags());
    expect(tags).toEqual(expect.arrayContaining(['v1', 'v2']));
  });

  itWhere(kind === 'distribution3' || kind === 'olareg')('paginates tags in order with Link', async (ctx) => {
    if (!reg) return ctx.skip();
    const repo = client.repository('acme/paged');
    await repo.push(emptyConfig, EMPTY_JSON);
    const m = manifest([]);
    for (const t of ['t1', 't2', 't3', 't4', 't5']) await repo.pushReference(m.desc, m.bytes, t);
    expect(await collect(repo.tags({ pageSize: 2 }))).toEqual(['t1', 't2', 't3', 't4', 't5']);
    expect(await collect(repo.tags({ last: 't3', pageSize: 1 }))).toEqual(['t4', 't5']);
  });

  itWhere(kind === 'distribution2')('explains refused deletes, deletes where allowed', async (ctx) => {
    if (!reg) return ctx.skip();
    const repo = client.repository('acme/del');
    await repo.push(emptyConfig, EMPTY_JSON);
    const m = manifest([], { annotations: { del: '1' } });
    await repo.pushReference(m.desc, m.bytes, 'gone');
    await repo.delete(m.desc);
    await expect(repo.resolve(m.desc.digest)).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('maps missing things to NotFoundError', async (ctx) => {
    if (!reg) return ctx.skip();
    const repo = client.repository('acme/does-not-exist');
    await expect(repo.resolve('nope')).rejects.toMatchObject({ kind: 'not_found' });
    await expect(repo.fetchManifest('nope')).rejects.toMatchObject({ kind: 'not_found' });
    const { desc } = blob(10);
    await expect(repo.fetch(desc)).rejects.toMatchObject({ kind: 'not_found' });
  });

  itWhere(auth !== 'anonymous')('fails with AuthError for a wrong password', async (ctx) => {
    if (!reg) return ctx.skip();
    const wrong = clientFor(reg, { credentials: { username: reg.username ?? 'x', password: 'wrong-password' } });
    try {
      await expect(wrong.repository('acme/content').resolve('v1')).rejects.toMatchObject({ kind: 'auth' });
      await expect(wrong.ping()).rejects.toMatchObject({ kind: 'auth' });
    } finally {
      await wrong.close();
    }
  });

  itWhere(auth !== 'anonymous')('fails with AuthError without credentials', async (ctx) => {
    if (!reg) return ctx.skip();
    const none = clientFor(reg, { credentials: {} });
    try {
      const { desc, bytes } = blob(100);
      await expect(none.repository('acme/content').push(desc, bytes)).rejects.toMatchObject({ kind: 'auth' });
    } finally {
      await none.close();
    }
  });
});

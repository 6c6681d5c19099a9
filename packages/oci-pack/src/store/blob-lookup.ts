/**
 * Looks a blob up by digest alone: `blob fetch <ref@digest>` knows no size.
 * Stores that implement {@link BlobResolver} answer directly; for a registry
 * repository a `HEAD /v2/<name>/blobs/<digest>` gives the size.
 */
import type { Descriptor } from '../oci/descriptor.js';
import { MediaType } from '../oci/media-types.js';
import { parseDigest } from '../oci/digest.js';
import { EpackError, RegistryError } from '../error.js';
import { Repository } from '../registry/repository.js';
import { repositoryScope } from '../registry/auth/scope.js';
import { errorForResponse } from '../registry/errors.js';
import { isBlobResolver } from './types.js';

export async function lookupBlob(store: unknown, digest: string, options: { signal?: AbortSignal } = {}): Promise<Descriptor> {
  parseDigest(digest);
  if (isBlobResolver(store)) return store.resolveBlob(digest, options);
  if (store instanceof Repository) return headBlob(store, digest, options.signal);
  throw new EpackError('internal', 'blob_lookup_unsupported', 'this store cannot look blobs up by digest');
}

async function headBlob(repo: Repository, digest: string, signal: AbortSignal | undefined): Promise<Descriptor> {
  const what = `HEAD blob ${repo.name}@${digest}`;
  const res = await repo.client.transport.send({
    method: 'HEAD',
    url: new URL(`/v2/${repo.repository}/blobs/${digest}`, repo.client.origin),
    scopes: [repositoryScope(repo.repository, 'pull')],
    signal,
    what,
  });
  await res.body.dump();
  if (res.status !== 200) throw errorForResponse(res.status, '', { what, notFoundCode: 'blob_unknown', registry: repo.client.registry });
  const size = Number(res.headers['content-length']);
  if (!Number.isSafeInteger(size) || size < 0) throw new RegistryError('invalid_response', `${what}: no usable Content-Length`);
  return { mediaType: MediaType.octetStream, digest, size };
}

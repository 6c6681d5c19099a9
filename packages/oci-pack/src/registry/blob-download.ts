/**
 * Blob downloads: streamed, verified on the fly (size and digest), resumed
 * with `Range: bytes=<offset>-` when the connection breaks mid-body.
 */
import { Readable, pipeline } from 'node:stream';
import { DigestVerifier } from '../oci/digest.js';
import type { Descriptor } from '../oci/descriptor.js';
import { EpackError, NetworkError } from '../error.js';
import { errorForResponse } from './errors.js';
import { readText, type RegistryResponse, type Transport } from './http.js';
import { isRetryableNetworkError } from './retry.js';

export interface DownloadTarget {
  transport: Transport;
  url: URL;
  scopes: readonly string[];
  what: string;
  signal?: AbortSignal | undefined;
  onProgress?: ((bytes: number) => void) | undefined;
}

const MAX_RESUMES = 5;

/** Opens the blob (404 and auth errors are thrown here) and returns the verifying stream. */
export async function downloadBlob(desc: Descriptor, target: DownloadTarget): Promise<Readable> {
  const first = await request(target, undefined);
  await expectOk(first, target, 200);
  const verifier = new DigestVerifier(desc, target.what, target.onProgress);
  const source = Readable.from(chunks(first, desc, target));
  pipeline(source, verifier, () => {
    /* errors reach the consumer through `verifier` */
  });
  return verifier;
}

async function* chunks(first: RegistryResponse, desc: Descriptor, target: DownloadTarget): AsyncGenerator<Buffer> {
  let response = first;
  let offset = 0;
  let resumes = 0;
  for (;;) {
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        offset += chunk.byteLength;
        yield chunk;
      }
      return;
    } catch (err) {
      response.body.destroy();
      if (err instanceof EpackError || !isRetryableNetworkError(err) || resumes >= MAX_RESUMES || offset >= desc.size || target.signal?.aborted) {
        throw err instanceof EpackError ? err : new NetworkError('network_error', `${target.what}: the download broke after ${offset} bytes`, { cause: err });
      }
      resumes++;
      target.transport.debug(`  resume ${target.what} at byte ${offset}`);
      response = await request(target, offset);
      if (response.status === 206) {
        const start = /^bytes (\d+)-/.exec(response.headers['content-range'] ?? '')?.[1];
        if (start === undefined || Number(start) !== offset) {
          response.body.destroy();
          throw new NetworkError('network_error', `${target.what}: the registry resumed at the wrong offset`);
        }
      } else {
        await expectOk(response, target, 200);
        // No range support: skip what was already delivered.
        response = { ...response, body: skipBytes(response, offset) };
      }
    } finally {
      if (target.signal?.aborted) response.body.destroy();
    }
  }
}

function skipBytes(response: RegistryResponse, count: number): RegistryResponse['body'] {
  let toSkip = count;
  const body = response.body;
  const rest = Readable.from(
    (async function* () {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (toSkip >= chunk.byteLength) {
          toSkip -= chunk.byteLength;
          continue;
        }
        const out = toSkip > 0 ? chunk.subarray(toSkip) : chunk;
        toSkip = 0;
        yield out;
      }
    })(),
  );
  return rest as unknown as RegistryResponse['body'];
}

function request(target: DownloadTarget, offset: number | undefined): Promise<RegistryResponse> {
  const headers: Record<string, string> = { accept: '*/*' };
  if (offset !== undefined) headers['range'] = `bytes=${offset}-`;
  return target.transport.send({ method: 'GET', url: target.url, headers, scopes: target.scopes, signal: target.signal, what: target.what });
}

async function expectOk(res: RegistryResponse, target: DownloadTarget, status: number): Promise<void> {
  if (res.status === status) return;
  const text = await readText(res.body, 64 * 1024);
  throw errorForResponse(res.status, text, { what: target.what, notFoundCode: 'blob_unknown', registry: target.transport.registry });
}

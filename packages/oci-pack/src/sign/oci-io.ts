/** Small helpers for reading and writing OCI content from the sign area. */
import { createHash } from 'node:crypto';
import type { Descriptor } from '../oci/descriptor.js';
import type { ImageManifest } from '../oci/descriptor.js';
import type { Fetcher, Pusher } from '../store/types.js';
import { SignatureError } from './errors.js';

/** Largest manifest or bundle the verifier reads (a bundle is a few KB). */
export const MAX_SIGNATURE_BYTES = 4 * 1024 * 1024;

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export async function fetchBytes(store: Fetcher, desc: Descriptor, limit = MAX_SIGNATURE_BYTES): Promise<Uint8Array> {
  if (desc.size > limit) {
    throw new SignatureError('bundle_invalid', `${desc.digest} is ${desc.size} bytes, more than the ${limit} allowed for signature content`);
  }
  const stream = await store.fetch(desc);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    total += buf.byteLength;
    if (total > limit) {
      stream.destroy();
      throw new SignatureError('bundle_invalid', `${desc.digest} is larger than the ${limit} bytes allowed for signature content`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export function parseImageManifest(bytes: Uint8Array, where: string): ImageManifest {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new SignatureError('bundle_invalid', `${where} is not a JSON manifest`, { cause: err });
  }
  const m = value as Partial<ImageManifest> | null;
  if (!m || m.schemaVersion !== 2 || !Array.isArray(m.layers) || typeof m.config !== 'object') {
    throw new SignatureError('bundle_invalid', `${where} is not an OCI image manifest`);
  }
  return m as ImageManifest;
}

/** Pushes bytes under their descriptor; returns the descriptor. */
export async function pushBytes(store: Pusher, mediaType: string, bytes: Uint8Array, extra: Partial<Descriptor> = {}): Promise<Descriptor> {
  const desc: Descriptor = { mediaType, digest: sha256Digest(bytes), size: bytes.byteLength, ...extra };
  await store.push({ mediaType, digest: desc.digest, size: desc.size }, bytes);
  return desc;
}

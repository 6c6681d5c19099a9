import { createHash, randomBytes } from 'node:crypto';
import type { Descriptor, ImageManifest } from '../../src/oci/descriptor.js';
import { EMPTY_JSON, EMPTY_JSON_DIGEST, MediaType } from '../../src/oci/media-types.js';
import { RegistryClient } from '../../src/registry/client.js';
import type { RegistryClientOptions } from '../../src/registry/options.js';
import type { RunningRegistry } from '../../../../test/harness/registries.js';
import { it } from 'vitest';

/** Registers the test only where it applies (a matrix cell it does not fit is not a skip). */
export const itWhere = (applies: boolean): typeof it => (applies ? it : (((..._args: unknown[]) => undefined) as unknown as typeof it));

export function sha256(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function blob(size: number, mediaType: string = MediaType.octetStream): { desc: Descriptor; bytes: Buffer } {
  const bytes = randomBytes(size);
  return { desc: { mediaType, digest: sha256(bytes), size }, bytes };
}

export const emptyConfig: Descriptor = { mediaType: MediaType.empty, digest: EMPTY_JSON_DIGEST, size: 2 };
export { EMPTY_JSON };

export function manifest(layers: Descriptor[], extra: Partial<ImageManifest> = {}): { desc: Descriptor; bytes: Buffer; json: ImageManifest } {
  const json: ImageManifest = { schemaVersion: 2, mediaType: MediaType.imageManifest, config: emptyConfig, layers, ...extra };
  const bytes = Buffer.from(JSON.stringify(json));
  return { desc: { mediaType: MediaType.imageManifest, digest: sha256(bytes), size: bytes.byteLength }, bytes, json };
}

/** A client that reads credentials from the registry's own DOCKER_CONFIG. */
export function clientFor(reg: RunningRegistry, options: RegistryClientOptions = {}): RegistryClient {
  return new RegistryClient(reg.host, { credentialEnv: { env: { DOCKER_CONFIG: reg.dockerConfigDir } }, retry: { maxAttempts: 2, baseDelayMs: 50 }, ...options });
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/**
 * Attaches files to a manifest as a referrer: an image manifest with
 * `subject`, the empty config, one layer per file (titled by file name),
 * like `oras attach`.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { Descriptor, ImageManifest } from '../oci/descriptor.js';
import { Annotation, EMPTY_JSON, EMPTY_JSON_DIGEST, MediaType } from '../oci/media-types.js';
import { digestOf } from '../oci/digest.js';
import { NotFoundError, UsageError } from '../error.js';
import type { Pusher } from './types.js';

export interface AttachFile {
  path: string;
  /** Layer media type (default application/octet-stream). */
  mediaType?: string;
}

export interface AttachOptions {
  artifactType: string;
  files: readonly AttachFile[];
  /** Manifest annotations; `org.opencontainers.image.created` is added unless given. */
  annotations?: Record<string, string>;
  /** Time for the created annotation (default now). */
  now?: Date;
  signal?: AbortSignal;
  onProgress?: (file: string, bytes: number) => void;
}

const MEDIA_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

export function isMediaType(value: string): boolean {
  return MEDIA_TYPE_PATTERN.test(value);
}

/** Pushes the files, the empty config and the manifest; returns the manifest's descriptor. */
export async function attachArtifact(store: Pusher, subject: Descriptor, options: AttachOptions): Promise<Descriptor> {
  if (!isMediaType(options.artifactType)) throw new UsageError('invalid_artifact_type', `"${options.artifactType}" is not a media type`, { hint: 'e.g. application/vnd.example.sbom.v1+json' });
  const titles = new Set<string>();
  const layers: Descriptor[] = [];
  for (const file of options.files) {
    const mediaType = file.mediaType ?? MediaType.octetStream;
    if (!isMediaType(mediaType)) throw new UsageError('invalid_media_type', `"${mediaType}" is not a media type`);
    const title = path.basename(file.path);
    if (titles.has(title)) throw new UsageError('duplicate_title', `two files are named "${title}"`);
    titles.add(title);
    const { digest, size } = await hashFile(file.path);
    const desc: Descriptor = { mediaType, digest, size, annotations: { [Annotation.title]: title } };
    await store.push(desc, createReadStream(file.path), {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: (bytes: number) => options.onProgress!(file.path, bytes) } : {}),
    });
    layers.push(desc);
  }
  const config: Descriptor = { mediaType: MediaType.empty, digest: EMPTY_JSON_DIGEST, size: EMPTY_JSON.byteLength };
  await store.push(config, EMPTY_JSON, options.signal ? { signal: options.signal } : {});
  if (layers.length === 0) {
    // image-spec: an artifact without content carries the empty descriptor as its one layer.
    layers.push({ ...config, data: Buffer.from(EMPTY_JSON).toString('base64') });
  }
  const annotations = { [Annotation.created]: (options.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'), ...options.annotations };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.imageManifest,
    artifactType: options.artifactType,
    config,
    layers,
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations,
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const desc: Descriptor = { mediaType: MediaType.imageManifest, digest: digestOf(bytes), size: bytes.byteLength };
  await store.push(desc, bytes, options.signal ? { signal: options.signal } : {});
  return { ...desc, artifactType: options.artifactType, annotations };
}

async function hashFile(file: string): Promise<{ digest: string; size: number }> {
  const info = await stat(file).catch((cause: unknown) => {
    throw new NotFoundError('file_not_found', `${file} does not exist`, { cause });
  });
  if (!info.isFile()) throw new UsageError('not_a_file', `${file} is not a regular file`);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

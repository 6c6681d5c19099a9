/**
 * Manifest requests: exact bytes, strict `Accept`, a size cap, and the
 * digest checked against the bytes (`Docker-Content-Digest` and, when fetched
 * by digest, the reference itself).
 */
import { digestOf, digestMismatchError, isDigest, parseDigest } from '../oci/digest.js';
import type { Descriptor } from '../oci/descriptor.js';
import { MANIFEST_MEDIA_TYPES, MediaType } from '../oci/media-types.js';
import { NetworkError, RegistryError, VerificationError } from '../error.js';
import { errorForResponse } from './errors.js';
import { readBytes, readText, type Transport } from './http.js';

export const ARTIFACT_MANIFEST = 'application/vnd.oci.artifact.manifest.v1+json';
export const ACCEPT_MANIFESTS = [...MANIFEST_MEDIA_TYPES, ARTIFACT_MANIFEST].join(', ');

export function isManifestMediaType(mediaType: string): boolean {
  return MANIFEST_MEDIA_TYPES.includes(mediaType) || mediaType === ARTIFACT_MANIFEST;
}

export interface FetchedManifest {
  descriptor: Descriptor;
  bytes: Uint8Array;
  etag?: string | undefined;
}

export interface ManifestContext {
  transport: Transport;
  manifestsUrl: (reference: string) => URL;
  scopes: readonly string[];
  maxBytes: number;
  /** `localhost:5000/acme/x`, for messages. */
  name: string;
  signal?: AbortSignal | undefined;
}

function mediaTypeOf(header: string | undefined, bytes: Uint8Array | undefined): string {
  const fromHeader = header?.split(';')[0]?.trim();
  if (fromHeader && fromHeader !== 'application/json' && fromHeader !== 'text/plain') return fromHeader;
  if (bytes) {
    try {
      const parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as { mediaType?: unknown };
      if (typeof parsed.mediaType === 'string') return parsed.mediaType;
    } catch {
      /* not JSON: keep the header's type */
    }
  }
  return fromHeader || MediaType.octetStream;
}

function tooLarge(ctx: ManifestContext, what: string, size?: number): RegistryError {
  return new RegistryError('manifest_too_large', `${what}: the manifest is larger than ${ctx.maxBytes} bytes${size === undefined ? '' : ` (${size})`}`, {
    hint: 'raise maxManifestBytes if you trust this registry',
  });
}

/** GETs a manifest by tag or digest; undefined on 404 when `allowMissing`. A body cut short is fetched again. */
export async function getManifest(reference: string, ctx: ManifestContext, accept = ACCEPT_MANIFESTS, allowMissing = false): Promise<FetchedManifest | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await getManifestOnce(reference, ctx, accept, allowMissing);
    } catch (err) {
      if (!(err instanceof NetworkError) || err.code !== 'body_interrupted' || attempt >= 3 || ctx.signal?.aborted) throw err;
      ctx.transport.debug(`  manifest ${reference}: body interrupted, fetching again`);
    }
  }
}

async function getManifestOnce(reference: string, ctx: ManifestContext, accept: string, allowMissing: boolean): Promise<FetchedManifest | undefined> {
  const what = `GET manifest ${ctx.name}${isDigest(reference) ? '@' : ':'}${reference}`;
  const res = await ctx.transport.send({ method: 'GET', url: ctx.manifestsUrl(reference), headers: { accept }, scopes: ctx.scopes, signal: ctx.signal, what });
  if (res.status !== 200) {
    const text = await readText(res.body, 64 * 1024);
    const err = errorForResponse(res.status, text, { what, notFoundCode: 'manifest_unknown', registry: ctx.transport.registry });
    if (allowMissing && err.kind === 'not_found' && err.code !== 'name_unknown') return undefined;
    throw err;
  }
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > ctx.maxBytes) {
    res.body.destroy();
    throw tooLarge(ctx, what, declared);
  }
  const bytes = await readBytes(res.body, ctx.maxBytes);
  if (!bytes) throw tooLarge(ctx, what);
  const mediaType = mediaTypeOf(res.headers['content-type'], bytes);
  checkManifestAnswer(bytes, mediaType, accept, what);
  const digest = checkManifestDigest(reference, bytes, res.headers['docker-content-digest'], what);
  return { descriptor: { mediaType, digest, size: bytes.byteLength }, bytes, etag: res.headers['etag'] };
}

/**
 * A 200 answer must be a JSON object of a media type we asked for: an HTML
 * error page or a proxy's login form is a protocol failure, never a manifest
 * to copy or tag. (`application/json` is tolerated for registries that send
 * it with a manifest that names no mediaType.)
 */
function checkManifestAnswer(bytes: Uint8Array, mediaType: string, accept: string, what: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RegistryError('invalid_manifest', `${what}: the registry answered ${mediaType} that is not a JSON manifest`, {
      hint: 'check the registry address: something other than a registry answered',
    });
  }
  const accepted = accept.split(',').map((t) => t.trim());
  if (mediaType !== 'application/json' && !accepted.includes(mediaType)) {
    throw new RegistryError('unsupported_media_type', `${what}: the registry answered ${mediaType}, which is none of the requested manifest types`, {
      details: { mediaType, accepted },
    });
  }
}

/** The manifest's digest, after checking the bytes against the reference and the registry's header. */
export function checkManifestDigest(reference: string, bytes: Uint8Array, header: string | undefined, what: string): string {
  let digest = digestOf(bytes, 'sha256');
  if (isDigest(reference)) {
    const actual = digestOf(bytes, parseDigest(reference).algorithm);
    if (actual !== reference) throw digestMismatchError({ digest: reference, size: bytes.byteLength }, actual, what);
    digest = reference;
  }
  const claimed = header?.trim();
  if (claimed && isDigest(claimed)) {
    const actual = digestOf(bytes, parseDigest(claimed).algorithm);
    if (actual !== claimed) {
      throw new VerificationError('digest_mismatch', `${what}: the registry says ${claimed} but the bytes hash to ${actual}`, { details: { claimed, actual } });
    }
    if (!isDigest(reference) && parseDigest(claimed).algorithm !== 'sha256') digest = claimed;
  }
  return digest;
}

/** HEADs a manifest: its descriptor, without the body when the registry sends the digest. */
export async function headManifest(reference: string, ctx: ManifestContext): Promise<Descriptor | undefined> {
  const what = `HEAD manifest ${ctx.name}${isDigest(reference) ? '@' : ':'}${reference}`;
  const res = await ctx.transport.send({ method: 'HEAD', url: ctx.manifestsUrl(reference), headers: { accept: ACCEPT_MANIFESTS }, scopes: ctx.scopes, signal: ctx.signal, what });
  await res.body.dump();
  if (res.status !== 200) {
    throw errorForResponse(res.status, '', { what, notFoundCode: 'manifest_unknown', registry: ctx.transport.registry });
  }
  const digest = res.headers['docker-content-digest']?.trim();
  const size = Number(res.headers['content-length']);
  const mediaType = res.headers['content-type']?.split(';')[0]?.trim();
  // Anything but a manifest type we asked for: GET it, which checks the answer.
  if (!digest || !isDigest(digest) || !Number.isSafeInteger(size) || !mediaType || !isManifestMediaType(mediaType)) return undefined;
  if (isDigest(reference) && digest !== reference && parseDigest(digest).algorithm === parseDigest(reference).algorithm) {
    throw new VerificationError('digest_mismatch', `${what}: the registry answered for ${digest}`);
  }
  if (size > ctx.maxBytes) throw tooLarge(ctx, what, size);
  return { mediaType, digest: isDigest(reference) ? reference : digest, size };
}

export interface PutManifestResult {
  status: number;
  headers: Record<string, string>;
}

/** PUTs manifest bytes under a tag or digest. `ifMatch` makes it conditional where the registry supports that. */
export async function putManifest(reference: string, desc: Descriptor, bytes: Uint8Array, ctx: ManifestContext, ifMatch?: string): Promise<PutManifestResult> {
  const what = `PUT manifest ${ctx.name}${isDigest(reference) ? '@' : ':'}${reference}`;
  if (bytes.byteLength > ctx.maxBytes) throw tooLarge(ctx, what, bytes.byteLength);
  const headers: Record<string, string> = { 'content-type': desc.mediaType };
  if (ifMatch) headers['if-match'] = ifMatch;
  const res = await ctx.transport.send({ method: 'PUT', url: ctx.manifestsUrl(reference), headers, body: bytes, scopes: ctx.scopes, signal: ctx.signal, what });
  const text = await readText(res.body, 64 * 1024);
  if (res.status === 412) return { status: 412, headers: res.headers };
  if (res.status !== 201 && res.status !== 200 && res.status !== 204) {
    if (res.status === 413) throw new RegistryError('manifest_too_large', `${what}: the registry refused a ${bytes.byteLength}-byte manifest`);
    throw errorForResponse(res.status, text, { what, notFoundCode: 'name_unknown', registry: ctx.transport.registry });
  }
  const stored = res.headers['docker-content-digest']?.trim();
  if (stored && isDigest(stored) && parseDigest(stored).algorithm === parseDigest(desc.digest).algorithm && stored !== desc.digest) {
    throw new VerificationError('digest_mismatch', `${what}: the registry stored ${stored} instead of ${desc.digest}`);
  }
  return { status: res.status, headers: res.headers };
}

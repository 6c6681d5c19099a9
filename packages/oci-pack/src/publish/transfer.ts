/**
 * The push and pull operations of the CLI, from strings to results: open the
 * pack file and the store, resolve remotes, push or pull, close everything.
 */
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { EpackError, UsageError } from '../error.js';
import { openPack } from '../pack/read.js';
import type { PackLimits } from '../pack/types.js';
import type { SignerOptions } from '../sign/sign.js';
import { openTarget, resolveReference, TargetPool, type OpenTargetOptions } from '../store/open.js';
import { resolveDestination, resolveSource, type Destination, type DestinationRequest } from './destination.js';
import { provenanceFromEnv } from './mapping.js';
import { pullPack, type PullPackOptions, type PullPackResult } from './pull.js';
import { pushPack, type PushPackResult, type PushProgress } from './push.js';
import { openRemotePack, type RemotePack } from './remote-pack.js';
import { isPackReference } from './source-ref.js';

/** Where to push (a reference or a remote of epack.yaml) and the pack file; `generatedAt` comes from the pack. */
export interface PushFileRequest extends Omit<DestinationRequest, 'generatedAt'> {
  packPath: string;
  source?: string;
  revision?: string;
  version?: string;
  /** Where CI provenance is read from (default process.env). */
  env?: NodeJS.ProcessEnv;
  concurrency?: number;
  /** A repository of the same registry to mount blobs from. */
  mountFrom?: string;
  /**
   * Tags or digests of earlier pushes in the target repository whose blobs
   * need no existence check (see PushPackOptions.bases). The tags being
   * pushed are always used too, so re-pushing e.g. `latest` benefits.
   */
  bases?: readonly string[];
  targetOptions?: OpenTargetOptions;
  /** Report what would be pushed, tagged and signed; store nothing. */
  dryRun?: boolean;
  /** Sign the pushed manifest: true forces, false forbids, undefined follows the remote's `sign`. */
  sign?: boolean;
  /** Signer settings (key, identity, URLs); they win over the remote's. */
  signer?: SignerOptions;
  /** Budgets for reading the pack file (default: the spec's; raise them to push larger packs). */
  limits?: Partial<PackLimits>;
  signal?: AbortSignal;
  onProgress?: (progress: PushProgress) => void;
}

/** The signature referrer attached after the push. */
export interface PushSignature {
  referrer: string;
  predicateType: string;
  mode: 'key' | 'keyless';
}

export interface PushFileResult extends PushPackResult {
  /** `<repository>@<digest>`: the immutable reference of what was pushed. */
  reference: string;
  /** `<repository>:<tag>` of every tag. */
  references: string[];
  repository: string;
  stream: string;
  packDigest: string;
  remote?: Destination['remote'];
  /** Present when the pushed manifest was signed. */
  signature?: PushSignature;
  /** With dryRun: how the push would be signed, if at all. */
  wouldSign?: 'key' | 'keyless';
}

export async function pushPackFile(request: PushFileRequest): Promise<PushFileResult> {
  if (existsSync(request.target) && !existsSync(request.packPath)) {
    throw new UsageError('usage', `"${request.target}" is a file and "${request.packPath}" is not: the target comes first`, {
      hint: `epack push ${request.packPath} ${request.target}`,
    });
  }
  if (isPackReference(request.packPath)) {
    throw new UsageError('usage', `"${request.packPath}" is a reference, not a pack file`, {
      hint: `to copy a pushed pack between stores, run: epack copy -r ${request.packPath} ${request.target}`,
    });
  }
  const pack = await openPack(request.packPath, request.limits ? { limits: request.limits } : {});
  const pool = request.targetOptions?.pool ?? new TargetPool();
  try {
    const destination = await resolveDestination({
      target: request.target,
      generatedAt: pack.manifest.generated_at,
      ...pick(request, ['tag', 'labels', 'annotations', 'environment', 'configFile', 'cwd']),
    });
    const opened = await openTarget(destination.repository, { ...request.targetOptions, pool });
    const provenance = { ...provenanceFromEnv(request.env ?? process.env), ...pick(request, ['source', 'revision', 'version']) };
    const result = await pushPack(opened.target, pack, {
      tags: destination.tags,
      labels: destination.labels,
      annotations: destination.annotations,
      ...provenance,
      ...(destination.mountFrom !== undefined ? { mountFrom: destination.mountFrom } : {}),
      bases: [...(request.bases ?? []), ...destination.tags],
      ...pick(request, ['concurrency', 'mountFrom', 'signal', 'onProgress', 'dryRun']),
    });
    const signer = signerFor(request, destination);
    let signature: PushSignature | undefined;
    const signMode = signer ? (signer.key !== undefined || signer.keyPem !== undefined ? 'key' : 'keyless') : undefined;
    if (signer && !request.dryRun) {
      const { signArtifact } = await import('../sign/referrers.js');
      const subjectName = opened.registry !== undefined && opened.repository !== undefined ? `${opened.registry}/${opened.repository}` : opened.base;
      let signed: Awaited<ReturnType<typeof signArtifact>>;
      try {
        signed = await signArtifact(opened.target, result.digest, { ...signer, subjectName });
      } catch (err) {
        // The push itself succeeded: say so, keep the signing error's code and kind.
        if (!(err instanceof EpackError)) throw err;
        throw new EpackError(err.kind, err.code, `pushed ${opened.base}@${result.digest} (tags ${result.tags.join(', ')}), but signing failed: ${err.message}`, {
          cause: err,
          hint: err.hint ?? `fix the signing settings, then run: epack sign ${opened.base}@${result.digest}`,
          ...(err.details ? { details: err.details } : {}),
        });
      }
      signature = {
        referrer: `${opened.base}@${signed.referrer.digest}`,
        predicateType: signed.predicateType,
        mode: signMode!,
      };
    }
    return {
      ...result,
      reference: `${opened.base}@${result.digest}`,
      references: result.tags.map((t) => `${opened.base}:${t}`),
      repository: opened.base,
      stream: pack.manifest.stream,
      packDigest: pack.manifest.pack_digest,
      ...(destination.remote ? { remote: destination.remote } : {}),
      ...(signature ? { signature } : {}),
      ...(request.dryRun && signMode ? { wouldSign: signMode } : {}),
    };
  } finally {
    await pack.close();
    if (!request.targetOptions?.pool) await pool.close();
  }
}

/** The signer for sign-on-push, or undefined when the push is not signed. */
function signerFor(request: PushFileRequest, destination: Destination): SignerOptions | undefined {
  if (request.sign === false) return undefined;
  if (request.sign !== true && !destination.sign && request.signer?.key === undefined) return undefined;
  const fromRemote: SignerOptions = {};
  const settings = destination.sign;
  if (settings?.key !== undefined) fromRemote.key = settings.key;
  if (settings?.tlogUpload !== undefined) fromRemote.tlogUpload = settings.tlogUpload;
  if (settings?.rekorURL !== undefined) fromRemote.rekorURL = settings.rekorURL;
  if (settings?.fulcioURL !== undefined) fromRemote.fulcioURL = settings.fulcioURL;
  if (settings?.tsaURL !== undefined) fromRemote.tsaURL = settings.tsaURL;
  return { ...fromRemote, ...request.signer };
}

export interface PullRefRequest extends Pick<PullPackOptions, 'verify' | 'signal' | 'onProgress' | 'limits' | 'concurrency'> {
  /** A reference, or `<remote>:<tag>` / `<remote>@<digest>` of epack.yaml. */
  reference: string;
  environment?: string;
  configFile?: string;
  /** Default: `<repository name>-<tag or short digest>.epack` in `cwd`. */
  out?: string;
  cwd?: string;
  targetOptions?: OpenTargetOptions;
}

export interface PullRefResult extends PullPackResult {
  /** `<repository>@<digest>` of what was pulled. */
  reference: string;
  remote?: Destination['remote'];
}

export async function pullPackRef(request: PullRefRequest): Promise<PullRefResult> {
  const pool = request.targetOptions?.pool ?? new TargetPool();
  try {
    const source = await resolveSource({ reference: request.reference, ...pick(request, ['environment', 'configFile', 'cwd']) });
    const opened = await openTarget(source.reference, { ...request.targetOptions, readOnly: true, pool });
    const descriptor = await resolveReference(opened, pick(request, ['signal']));
    const name = defaultPackName(opened.base, opened.reference.tag, descriptor.digest);
    const out = request.out === undefined ? path.join(request.cwd ?? process.cwd(), name) : intoFolder(request.out, name);
    const result = await pullPack(opened.target, descriptor, {
      out,
      displayName: `${opened.base}@${descriptor.digest}`,
      ...pick(request, ['verify', 'signal', 'onProgress', 'limits', 'concurrency']),
    });
    return { ...result, reference: `${opened.base}@${result.digest}`, ...(source.remote ? { remote: source.remote } : {}) };
  } finally {
    if (!request.targetOptions?.pool) await pool.close();
  }
}

/**
 * Opens a pack artifact named by a reference for reading (inspect, list,
 * diff, extract): manifest and config only. Close it when done.
 */
export async function openRemotePackRef(reference: string, targetOptions: OpenTargetOptions = {}): Promise<RemotePack> {
  const pool = targetOptions.pool ?? new TargetPool();
  const closePool = targetOptions.pool ? undefined : () => pool.close();
  try {
    const opened = await openTarget(reference, { ...targetOptions, readOnly: true, pool });
    const descriptor = await resolveReference(opened);
    return await openRemotePack(opened.target, descriptor, {
      displayName: `${opened.base}@${descriptor.digest}`,
      ...(closePool ? { onClose: closePool } : {}),
    });
  } catch (err) {
    await closePool?.();
    throw err;
  }
}

/** `-o out/` or `-o` an existing folder (as `oras pull -o` takes one): the default name inside it. */
function intoFolder(out: string, name: string): string {
  const isFolder = /[\\/]$/.test(out) || (statSync(out, { throwIfNoEntry: false })?.isDirectory() ?? false);
  return isFolder ? path.join(out, name) : out;
}

/** `store-v1.epack`, `evidence-0123456789ab.epack`. */
export function defaultPackName(base: string, tag: string | undefined, digest: string): string {
  const name = base.replace(/^oci:/, '').replace(/[\\/]+$/, '').split(/[\\/]/).pop() || 'pack';
  const suffix = tag ?? digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);
  return `${name}-${suffix}.epack`;
}

function pick<T extends object, K extends keyof T>(obj: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (obj[key] !== undefined) out[key] = obj[key];
  return out;
}

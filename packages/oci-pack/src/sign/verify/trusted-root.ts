/**
 * Trust material: a pinned trusted_root.json (offline, like cosign
 * --trusted-root) or the public-good root fetched through TUF when online.
 * @sigstore/tuf cannot bootstrap offline, so offline always means pinned.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { getTrustedRoot } from '@sigstore/tuf';
import { SignUsageError, SigstoreServiceError } from '../errors.js';

export type { TrustedRoot };

type TrustedRootInput = string | Uint8Array | TrustedRoot;

export interface TrustRootOptions {
  /**
   * Path of a trusted_root.json, its JSON text/bytes, or a parsed root; several
   * are merged (e.g. the public-good root and a private Sigstore's).
   */
  trustedRoot?: TrustedRootInput | readonly TrustedRootInput[];
  /** Never touch the network: a pinned root is required. */
  offline?: boolean;
  /** TUF cache folder (default ~/.cache/epack/tuf). */
  tufCachePath?: string;
}

export function parseTrustedRoot(json: string | Uint8Array, origin = 'trusted root'): TrustedRoot {
  let value: unknown;
  try {
    value = JSON.parse(typeof json === 'string' ? json : Buffer.from(json).toString('utf8'));
  } catch (err) {
    throw new SignUsageError('trusted_root_invalid', `${origin} is not JSON`, { cause: err });
  }
  try {
    const root = TrustedRoot.fromJSON(value);
    if (!root.mediaType?.startsWith('application/vnd.dev.sigstore.trustedroot')) {
      throw new Error(`unexpected mediaType ${JSON.stringify(root.mediaType)}`);
    }
    return root;
  } catch (err) {
    throw new SignUsageError('trusted_root_invalid', `${origin} is not a Sigstore trusted root: ${(err as Error).message}`, { cause: err });
  }
}

export async function loadTrustedRootFile(file: string): Promise<TrustedRoot> {
  let text: Buffer;
  try {
    text = await readFile(file);
  } catch (err) {
    throw new SignUsageError('trusted_root_not_readable', `cannot read the trusted root ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseTrustedRoot(text, file);
}

/** The trusted root to verify keyless signatures with; undefined only when `optional` and none is configured. */
export async function resolveTrustedRoot(options: TrustRootOptions, optional = false): Promise<TrustedRoot | undefined> {
  const given = options.trustedRoot;
  if (given !== undefined) {
    const list = Array.isArray(given) ? (given as readonly TrustedRootInput[]) : [given as TrustedRootInput];
    if (list.length > 0) return mergeTrustedRoots(await Promise.all(list.map(loadOne)));
  }
  if (optional) return undefined;
  if (options.offline) {
    throw new SignUsageError('trusted_root_required', 'offline verification needs a pinned trusted root', {
      hint: 'pass --trusted-root trusted_root.json',
    });
  }
  try {
    return await getTrustedRoot({ cachePath: options.tufCachePath ?? join(homedir(), '.cache', 'epack', 'tuf') });
  } catch (err) {
    throw new SigstoreServiceError('tuf_unavailable', `cannot fetch the Sigstore trusted root through TUF: ${(err as Error).message}`, {
      cause: err,
      hint: 'pass --trusted-root with a pinned trusted_root.json (and --offline) when the network is not available',
    });
  }
}

/** A root that trusts nothing: key verification without tlog checks. */
export function emptyTrustedRoot(): TrustedRoot {
  return TrustedRoot.fromJSON({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  });
}

async function loadOne(given: TrustedRootInput): Promise<TrustedRoot> {
  if (typeof given === 'string') return given.trimStart().startsWith('{') ? parseTrustedRoot(given) : loadTrustedRootFile(given);
  if (given instanceof Uint8Array) return parseTrustedRoot(given);
  return given;
}

/** One root trusting every authority of the given roots. */
export function mergeTrustedRoots(roots: readonly TrustedRoot[]): TrustedRoot {
  if (roots.length === 1) return roots[0]!;
  const first = roots[0] ?? emptyTrustedRoot();
  return {
    ...first,
    tlogs: roots.flatMap((r) => r.tlogs),
    certificateAuthorities: roots.flatMap((r) => r.certificateAuthorities),
    ctlogs: roots.flatMap((r) => r.ctlogs),
    timestampAuthorities: roots.flatMap((r) => r.timestampAuthorities),
  };
}

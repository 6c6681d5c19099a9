/**
 * Where `epack push <target> <pack>` goes: a reference, or a remote of
 * `epack.yaml` (docs/remotes.md). Produces the repository reference, the
 * tags in order (the main tag, then labels) and the annotations and signing
 * settings that come from the remote.
 */
import { NotFoundError, UsageError } from '../error.js';
import { formatReference, parseReference, type Reference } from '../oci/reference.js';
import { findRemotesConfig, loadRemotesConfig, looksLikeRemoteName, resolveRemote, type SignSettings } from './remotes.js';

export interface DestinationRequest {
  /** A reference (`ghcr.io/acme/evidence:v1`, `oci:./store:v1`) or a remote name. */
  target: string;
  /** `generated_at` of the pack: the default tag when none is given. */
  generatedAt: string;
  /** Tag for references and remotes that carry none. */
  tag?: string;
  labels?: readonly string[];
  annotations?: Record<string, string>;
  /** `--env`: only with a remote. */
  environment?: string;
  /** `--config`; default: epack.yaml / epack.yml in `cwd`. */
  configFile?: string;
  cwd?: string;
}

export interface Destination {
  /** The repository, without tag or digest (`oci:./store`, `ghcr.io/acme/evidence`). */
  repository: string;
  /** The repository with the main tag. */
  reference: string;
  /** Main tag first, then labels; no duplicates. */
  tags: string[];
  /** Labels only (the extra tags). */
  labels: string[];
  annotations: Record<string, string>;
  sign?: SignSettings;
  /** The remote's `mount_from`. */
  mountFrom?: string;
  remote?: { name: string; environment?: string; file: string };
}

/** `2026-11-01T12:00:00Z` -> `2026-11-01T12-00-00Z` (tags cannot hold `:`). */
export function tagFromGeneratedAt(generatedAt: string): string {
  return generatedAt.replace(/:/g, '-');
}

export async function resolveDestination(request: DestinationRequest): Promise<Destination> {
  const cliLabels = [...(request.labels ?? [])];
  if (looksLikeRemoteName(request.target)) {
    const file = request.configFile ?? findRemotesConfig(request.cwd);
    if (!file) {
      throw new NotFoundError('remote_not_found', `"${request.target}" is not a reference, and there is no epack.yaml defining it as a remote`, {
        hint: 'write a reference such as localhost:5000/acme/evidence:v1 or oci:./store:v1, or define the remote in epack.yaml (docs/remotes.md)',
        details: { remote: request.target, known: [] },
      });
    }
    const config = await loadRemotesConfig(file);
    const remote = resolveRemote(config, request.target, request.environment);
    const ref = parseTarget(remote.registry, `remotes.${remote.name}.registry`);
    // --tag wins over a tag written in the remote's registry.
    const plan = planTags(ref, request, [...cliLabels, ...remote.labels], request.tag ?? ref.tag);
    return {
      ...plan,
      annotations: { ...remote.annotations, ...(request.annotations ?? {}) },
      ...(remote.sign ? { sign: remote.sign } : {}),
      ...(remote.mountFrom !== undefined ? { mountFrom: remote.mountFrom } : {}),
      remote: { name: remote.name, ...(remote.environment !== undefined ? { environment: remote.environment } : {}), file: config.file },
    };
  }
  if (request.environment !== undefined) {
    throw new UsageError('usage', `--env selects an environment of a remote, but "${request.target}" is a reference`, {
      hint: 'name a remote of epack.yaml, or drop --env',
    });
  }
  const ref = parseTarget(request.target, 'the target');
  if (ref.tag !== undefined && request.tag !== undefined && ref.tag !== request.tag) {
    throw new UsageError('usage', `the target names tag "${ref.tag}" and --tag says "${request.tag}"`, { hint: 'give the tag once; use --label for more tags' });
  }
  return { ...planTags(ref, request, cliLabels, ref.tag ?? request.tag), annotations: { ...(request.annotations ?? {}) } };
}

function parseTarget(value: string, what: string): Reference {
  const ref = parseReference(value);
  if (ref.digest !== undefined) {
    throw new UsageError('invalid_reference', `${what} "${value}" names a digest; push to a repository or a tag`, {
      hint: 'the digest of a pushed pack is computed from its content',
    });
  }
  return ref;
}

function planTags(ref: Reference, request: DestinationRequest, labels: string[], tag: string | undefined): Pick<Destination, 'repository' | 'reference' | 'tags' | 'labels'> {
  const mainTag = tag ?? tagFromGeneratedAt(request.generatedAt);
  const repository = formatReference({ ...ref, tag: undefined, digest: undefined });
  const uniqueLabels = [...new Set(labels)].filter((l) => l !== mainTag);
  return { repository, reference: `${repository}:${mainTag}`, tags: [mainTag, ...uniqueLabels], labels: uniqueLabels };
}

export interface SourceRequest {
  /** A reference, or `<remote>[:<tag>|@<digest>]`. */
  reference: string;
  environment?: string;
  configFile?: string;
  cwd?: string;
}

/**
 * The reference `epack pull` reads: a reference as given, or a remote of
 * epack.yaml with a tag or digest (`prod:2026-11`, `prod@sha256:…`), its
 * repository taken from the remote (and `--env`).
 */
export async function resolveSource(request: SourceRequest): Promise<{ reference: string; remote?: Destination['remote'] }> {
  const match = /^([^:@/]+)((?::[^:@/]+)?(?:@[^@/]+)?)$/.exec(request.reference);
  const name = match?.[1];
  if (name === undefined || !looksLikeRemoteName(name) || request.reference.startsWith('oci:')) {
    if (request.environment !== undefined) {
      throw new UsageError('usage', `--env selects an environment of a remote, but "${request.reference}" is a reference`, { hint: 'name a remote of epack.yaml, or drop --env' });
    }
    return { reference: request.reference };
  }
  const suffix = match?.[2] ?? '';
  const file = request.configFile ?? findRemotesConfig(request.cwd);
  if (!file) {
    throw new NotFoundError('remote_not_found', `"${name}" is not a reference, and there is no epack.yaml defining it as a remote`, {
      hint: 'write a reference such as localhost:5000/acme/evidence:v1 or oci:./store:v1, or define the remote in epack.yaml (docs/remotes.md)',
      details: { remote: name, known: [] },
    });
  }
  const config = await loadRemotesConfig(file);
  const remote = resolveRemote(config, name, request.environment);
  const ref = parseReference(remote.registry);
  const repository = formatReference({ ...ref, tag: undefined, digest: undefined });
  const pinned = suffix !== '' ? suffix : ref.tag !== undefined ? `:${ref.tag}` : '';
  if (pinned === '') {
    throw new UsageError('reference_needs_tag', `remote "${name}" names a repository; say which pack to pull`, {
      hint: `write ${name}:<tag> or ${name}@sha256:<hex>`,
    });
  }
  const reference = `${repository}${pinned}`;
  parseReference(reference);
  return { reference, remote: { name, ...(remote.environment !== undefined ? { environment: remote.environment } : {}), file: config.file } };
}

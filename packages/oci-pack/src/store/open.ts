/**
 * One factory for every reference the CLI and the publish helpers accept:
 * `oci:<dir>[:tag|@digest]` opens an OCI image layout, anything else a
 * repository on a registry.
 */
import * as path from 'node:path';
import type { Descriptor } from '../oci/descriptor.js';
import { formatReference, parseReference, type Reference } from '../oci/reference.js';
import { NotFoundError, UsageError } from '../error.js';
import { RegistryClient } from '../registry/client.js';
import type { RegistryClientOptions } from '../registry/options.js';
import { OciLayoutStore } from './oci-layout.js';
import type { Deleter, GraphTarget, Mounter, ReferencePusher, TagLister } from './types.js';

export type ReferrersModeFlag = NonNullable<RegistryClientOptions['referrersMode']>;

export interface OpenTargetOptions {
  /** Plain HTTP for the registry (automatic for loopback hosts). */
  plainHttp?: boolean;
  /** Skip TLS verification. */
  insecure?: boolean;
  /** Referrers API, tag schema fallback, or detect (default). */
  referrersMode?: ReferrersModeFlag;
  /** A Docker config.json (or containers auth.json) to read credentials from instead of the default ones. */
  configPath?: string;
  /** Protocol traces (secrets redacted). */
  onDebug?: (line: string) => void;
  onWarning?: (text: string) => void;
  /** Open a layout read-only (the source of a copy, `resolve`, `discover`). */
  readOnly?: boolean;
  /** Share registry clients (connections, tokens) between targets; see {@link TargetPool}. */
  pool?: TargetPool;
  /** Extra client options (tests, publish). */
  client?: Omit<RegistryClientOptions, 'plainHttp' | 'insecure' | 'referrersMode' | 'onDebug' | 'onWarning'>;
}

export type AnyTarget = GraphTarget & Partial<TagLister & Deleter & Mounter & ReferencePusher>;

export interface OpenedTarget {
  target: AnyTarget;
  reference: Reference;
  /** The reference as text, canonical (`docker.io/library/x:y`, `oci:dir:tag`). */
  display: string;
  /** The store without tag or digest (`localhost:5000/repo`, `oci:dir`): prefix for `@<digest>`. */
  base: string;
  /** For registries: the repository path (what a cross-repository mount names). */
  repository?: string;
  /** For registries: the canonical registry name. */
  registry?: string;
}

/** Registry clients by registry and options, so targets on one registry share auth and connections. */
export class TargetPool {
  private readonly clients = new Map<string, RegistryClient>();

  private readonly credentialIds = new WeakMap<object, number>();
  private nextCredentialId = 1;

  client(registry: string, options: RegistryClientOptions): RegistryClient {
    // Targets share a client only when they would authenticate and connect the same way.
    const env = options.credentialEnv?.env;
    const key = JSON.stringify([
      registry,
      options.plainHttp,
      options.insecure,
      options.referrersMode,
      env?.['DOCKER_CONFIG'],
      env?.['REGISTRY_AUTH_FILE'],
      this.credentialId(options.credentials),
    ]);
    let client = this.clients.get(key);
    if (!client) {
      client = new RegistryClient(registry, options);
      this.clients.set(key, client);
    }
    return client;
  }

  private credentialId(credentials: RegistryClientOptions['credentials']): number {
    if (credentials === undefined) return 0;
    let id = this.credentialIds.get(credentials);
    if (id === undefined) {
      id = this.nextCredentialId++;
      this.credentialIds.set(credentials, id);
    }
    return id;
  }

  async close(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.allSettled(clients.map((c) => c.close()));
  }
}

export async function openTarget(refString: string, options: OpenTargetOptions = {}): Promise<OpenedTarget> {
  const reference = parseReference(refString);
  if (reference.kind === 'layout') {
    if (options.plainHttp || options.insecure) {
      // Harmless, but a sign the user meant a registry.
      options.onWarning?.('--plain-http/--insecure do not apply to oci: layouts');
    }
    const target = new OciLayoutStore(reference.path, { readOnly: options.readOnly ?? false });
    return { target, reference, display: formatReference(reference), base: `oci:${reference.path}` };
  }
  const clientOptions: RegistryClientOptions = { ...options.client };
  if (options.plainHttp !== undefined) clientOptions.plainHttp = options.plainHttp;
  if (options.insecure !== undefined) clientOptions.insecure = options.insecure;
  if (options.referrersMode !== undefined) clientOptions.referrersMode = options.referrersMode;
  if (options.onDebug) clientOptions.onDebug = options.onDebug;
  if (options.onWarning) clientOptions.onWarning = options.onWarning;
  if (options.configPath !== undefined) clientOptions.credentialEnv = { env: credentialEnvFor(options.configPath) };
  const client = options.pool ? options.pool.client(reference.registry, clientOptions) : new RegistryClient(reference.registry, clientOptions);
  const target = client.repository(reference.repository) as unknown as AnyTarget;
  return { target, reference, display: formatReference(reference), base: `${reference.registry}/${reference.repository}`, repository: reference.repository, registry: reference.registry };
}

/**
 * Credentials from one file: a `config.json` is read as the Docker config
 * (helpers included); any other file name as a containers auth.json (same
 * `auths` format), with the user's own Docker config out of the way.
 */
function credentialEnvFor(configPath: string): NodeJS.ProcessEnv {
  const file = path.resolve(configPath);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (path.basename(file) === 'config.json') {
    env['DOCKER_CONFIG'] = path.dirname(file);
    delete env['REGISTRY_AUTH_FILE'];
  } else {
    env['DOCKER_CONFIG'] = path.join(path.dirname(file), '.epack-no-docker-config');
    env['REGISTRY_AUTH_FILE'] = file;
  }
  return env;
}

/**
 * The manifest a reference names: its digest (checked against what the
 * store has), its tag, or, for a layout holding a single manifest, that one.
 */
export async function resolveReference(opened: OpenedTarget, options: { signal?: AbortSignal } = {}): Promise<Descriptor> {
  const { reference, target } = opened;
  if (reference.digest !== undefined) {
    const desc = await target.resolve(reference.digest, options);
    if (desc.digest !== reference.digest) {
      throw new NotFoundError('manifest_unknown', `${opened.display}: the store answered ${desc.digest}`);
    }
    return desc;
  }
  if (reference.tag !== undefined) return target.resolve(reference.tag, options);
  if (reference.kind === 'layout' && target instanceof OciLayoutStore) {
    const tags = [];
    for await (const tag of target.tags()) tags.push(tag);
    if (tags.length === 1) return target.resolve(tags[0]!);
  }
  throw new UsageError('reference_needs_tag', `${opened.display} names no tag or digest`, {
    hint: `write ${opened.display}:<tag> or ${opened.display}@sha256:<hex>`,
  });
}

/** The tag a reference stands for: its own, or the only tag of a layout named without one. */
export async function referenceTag(opened: OpenedTarget): Promise<string | undefined> {
  const { reference, target } = opened;
  if (reference.tag !== undefined || reference.digest !== undefined) return reference.tag;
  if (reference.kind !== 'layout' || !(target instanceof OciLayoutStore)) return undefined;
  const tags: string[] = [];
  for await (const tag of target.tags()) tags.push(tag);
  return tags.length === 1 ? tags[0] : undefined;
}

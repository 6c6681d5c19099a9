/**
 * Where credentials come from (design §5), in this order:
 * 1. Docker config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`):
 *    `credHelpers[<registry>]`, then `credsStore`, then `auths[<registry>]`
 *    (`auth` = base64 user:password, `identitytoken`, `registrytoken`);
 * 2. containers auth.json (`$REGISTRY_AUTH_FILE`, else
 *    `$XDG_RUNTIME_DIR/containers/auth.json`).
 * Docker Hub (`docker.io`) is keyed `https://index.docker.io/v1/`.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { AuthError, UsageError } from '../../error.js';
import { credentialKey, DOCKER_HUB, DOCKER_HUB_HOST } from '../../oci/reference.js';
import { helperErase, helperGet, helperStore } from './helper.js';
import type { Credential, CredentialSource } from './types.js';

export interface CredentialEnv {
  /** Environment to read DOCKER_CONFIG, REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, HOME from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
  [key: string]: unknown;
}

export function dockerConfigPath(options: CredentialEnv = {}): string {
  const env = options.env ?? process.env;
  const dir = env['DOCKER_CONFIG'] || path.join(env['HOME'] || homedir(), '.docker');
  return path.join(dir, 'config.json');
}

export function containersAuthPath(options: CredentialEnv = {}): string | undefined {
  const env = options.env ?? process.env;
  if (env['REGISTRY_AUTH_FILE']) return env['REGISTRY_AUTH_FILE'];
  if (env['XDG_RUNTIME_DIR']) return path.join(env['XDG_RUNTIME_DIR'], 'containers', 'auth.json');
  return undefined;
}

async function readJsonFile(file: string): Promise<DockerConfig | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError('invalid_credentials_file', `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (text.trim().length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as DockerConfig;
  } catch {
    throw new UsageError('invalid_credentials_file', `${file} is not a valid JSON object`, { hint: 'fix or remove the file' });
  }
}

/** The host part of a config key (`https://index.docker.io/v1/` → `index.docker.io`). */
function keyHost(key: string): string {
  let k = key.trim().toLowerCase();
  k = k.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  const slash = k.indexOf('/');
  return slash < 0 ? k : k.slice(0, slash);
}

function hostAliases(registry: string): Set<string> {
  if (registry === DOCKER_HUB) return new Set([DOCKER_HUB, 'index.docker.io', DOCKER_HUB_HOST]);
  return new Set([registry]);
}

function findEntry<T>(map: Record<string, T> | undefined, registry: string): T | undefined {
  if (!map || typeof map !== 'object') return undefined;
  const exact = map[credentialKey(registry)] ?? map[registry];
  if (exact !== undefined) return exact;
  const aliases = hostAliases(registry);
  for (const [key, value] of Object.entries(map)) {
    if (aliases.has(keyHost(key))) return value;
  }
  return undefined;
}

function entryToCredential(entry: AuthEntry | undefined, file: string): Credential | undefined {
  if (!entry || typeof entry !== 'object') return undefined;
  const cred: Credential = {};
  if (typeof entry.auth === 'string' && entry.auth.length > 0) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new UsageError('invalid_credentials_file', `an "auth" entry in ${file} is not base64 of user:password`);
    cred.username = decoded.slice(0, colon);
    cred.password = decoded.slice(colon + 1);
  } else if (typeof entry.username === 'string' && typeof entry.password === 'string') {
    cred.username = entry.username;
    cred.password = entry.password;
  }
  if (typeof entry.identitytoken === 'string' && entry.identitytoken.length > 0) cred.identityToken = entry.identitytoken;
  if (typeof entry.registrytoken === 'string' && entry.registrytoken.length > 0) cred.registryToken = entry.registrytoken;
  return cred.password || cred.identityToken || cred.registryToken ? cred : undefined;
}

/** Looks up credentials for `registry` (canonical name) in the standard places. */
export async function resolveCredential(registry: string, options: CredentialEnv = {}): Promise<Credential | undefined> {
  const configFile = dockerConfigPath(options);
  const config = await readJsonFile(configFile);
  if (config) {
    const helper = findEntry(config.credHelpers, registry);
    if (typeof helper === 'string' && helper.length > 0) {
      const found = await helperGet(helper, credentialKey(registry));
      if (found) return found;
    } else if (typeof config.credsStore === 'string' && config.credsStore.length > 0) {
      const found = await helperGet(config.credsStore, credentialKey(registry));
      if (found) return found;
    }
    const fromAuths = entryToCredential(findEntry(config.auths, registry), configFile);
    if (fromAuths) return fromAuths;
  }
  const containersFile = containersAuthPath(options);
  if (containersFile) {
    const containers = await readJsonFile(containersFile);
    const found = entryToCredential(findEntry(containers?.auths, registry), containersFile);
    if (found) return found;
  }
  return undefined;
}

/** A {@link CredentialSource} over the standard places, cached per registry. */
export function defaultCredentialSource(options: CredentialEnv = {}): CredentialSource {
  const cache = new Map<string, Promise<Credential | undefined>>();
  return (registry) => {
    let hit = cache.get(registry);
    if (!hit) {
      hit = resolveCredential(registry, options);
      cache.set(registry, hit);
    }
    return hit;
  };
}

/** Where {@link storeCredential} put the credentials. */
export type CredentialLocation = { kind: 'helper'; helper: string } | { kind: 'file'; path: string };

/**
 * Stores username/password: in the configured helper (`credHelpers[host]`
 * or `credsStore`) when there is one, else in the Docker config's `auths`
 * (atomic write, mode 0600).
 */
export async function storeCredential(registry: string, credential: { username: string; password: string }, options: CredentialEnv = {}): Promise<CredentialLocation> {
  const file = dockerConfigPath(options);
  const config = (await readJsonFile(file)) ?? {};
  const helper = findEntry(config.credHelpers, registry) ?? config.credsStore;
  const key = credentialKey(registry);
  if (typeof helper === 'string' && helper.length > 0) {
    await helperStore(helper, key, credential);
    return { kind: 'helper', helper };
  }
  const auths = config.auths && typeof config.auths === 'object' ? config.auths : {};
  removeKeys(auths, registry);
  auths[key] = { auth: Buffer.from(`${credential.username}:${credential.password}`, 'utf8').toString('base64') };
  config.auths = auths;
  await writeFileAtomic(file, JSON.stringify(config, null, '\t') + '\n');
  return { kind: 'file', path: file };
}

/** Removes stored credentials; returns whether anything was removed. */
export async function eraseCredential(registry: string, options: CredentialEnv = {}): Promise<boolean> {
  const file = dockerConfigPath(options);
  const config = await readJsonFile(file);
  if (!config) return false;
  let removed = false;
  const helper = findEntry(config.credHelpers, registry) ?? config.credsStore;
  if (typeof helper === 'string' && helper.length > 0) removed = await helperErase(helper, credentialKey(registry));
  if (config.auths && typeof config.auths === 'object' && removeKeys(config.auths, registry)) {
    removed = true;
    await writeFileAtomic(file, JSON.stringify(config, null, '\t') + '\n');
  }
  return removed;
}

function removeKeys(auths: Record<string, AuthEntry>, registry: string): boolean {
  const aliases = hostAliases(registry);
  let removed = false;
  for (const key of Object.keys(auths)) {
    if (key === registry || key === credentialKey(registry) || aliases.has(keyHost(key))) {
      delete auths[key];
      removed = true;
    }
  }
  return removed;
}

async function writeFileAtomic(file: string, content: string): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await fs.writeFile(temp, content, { mode: 0o600, flag: 'wx' });
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw new AuthError('credential_store_failed', `cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

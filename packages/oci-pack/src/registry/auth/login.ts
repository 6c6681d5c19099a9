/**
 * `login`: checks the credentials against the registry first, then stores
 * them (credential helper, else Docker config, atomically, mode 0600).
 * `logout`: removes them.
 */
import { AuthError, UsageError } from '../../error.js';
import { normalizeRegistry } from '../../oci/reference.js';
import { RegistryClient } from '../client.js';
import type { RegistryClientOptions } from '../options.js';
import { eraseCredential, storeCredential, type CredentialEnv, type CredentialLocation } from './credentials.js';

export interface LoginOptions extends Pick<RegistryClientOptions, 'plainHttp' | 'insecure' | 'onDebug' | 'retry'> {
  username: string;
  password: string;
  /** Environment to find the Docker config in (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface LoginResult {
  registry: string;
  username: string;
  storedIn: CredentialLocation;
}

export interface LogoutResult {
  registry: string;
  removed: boolean;
}

function registryName(registry: string): string {
  const trimmed = registry.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return normalizeRegistry(trimmed, registry);
}

export async function login(registry: string, options: LoginOptions): Promise<LoginResult> {
  const name = registryName(registry);
  if (!options.username) throw new UsageError('usage', 'a username is required', { hint: 'pass -u <username>' });
  if (!options.password) throw new UsageError('usage', 'a password is required', { hint: 'pass --password-stdin or -p' });
  const client = new RegistryClient(name, {
    plainHttp: options.plainHttp,
    insecure: options.insecure,
    onDebug: options.onDebug,
    retry: options.retry,
    credentials: { username: options.username, password: options.password },
  });
  try {
    await client.ping();
  } catch (err) {
    // "run epack login" is no advice to someone running it: point at the credentials instead.
    if (err instanceof AuthError && err.code === 'unauthorized') {
      throw new AuthError(err.code, err.message, { hint: 'check the username and password', ...(err.details ? { details: err.details } : {}) });
    }
    throw err;
  } finally {
    await client.close();
  }
  const env: CredentialEnv = options.env ? { env: options.env } : {};
  const storedIn = await storeCredential(name, { username: options.username, password: options.password }, env);
  return { registry: name, username: options.username, storedIn };
}

export async function logout(registry: string, options: { env?: NodeJS.ProcessEnv } = {}): Promise<LogoutResult> {
  const name = registryName(registry);
  const removed = await eraseCredential(name, options.env ? { env: options.env } : {});
  return { registry: name, removed };
}

/**
 * A client for one registry: connection pool, authentication state and
 * options shared by all its repositories.
 */
import { UsageError } from '../error.js';
import { isLoopbackRegistry, normalizeRegistry, registryHost } from '../oci/reference.js';
import { Authenticator } from './auth/authenticator.js';
import { defaultCredentialSource } from './auth/credentials.js';
import type { Credential, CredentialSource } from './auth/types.js';
import { errorForResponse } from './errors.js';
import { readText, Transport } from './http.js';
import { resolveOptions, type RegistryClientOptions, type ResolvedOptions } from './options.js';
import { Repository } from './repository.js';
import { retryPolicy } from './retry.js';
import { VERSION_USER_AGENT } from './user-agent.js';

export class RegistryClient {
  /** Canonical registry name (`docker.io`, `localhost:5000`). */
  readonly registry: string;
  readonly origin: URL;
  readonly transport: Transport;
  readonly auth: Authenticator;
  readonly settings: ResolvedOptions;
  private readonly repositories = new Map<string, Repository>();

  constructor(registry: string, readonly options: RegistryClientOptions = {}) {
    this.registry = normalizeRegistry(registry);
    // `insecure` asks for TLS (unverified), so it also turns off the automatic plain HTTP of loopback hosts.
    const plain = options.plainHttp ?? (isLoopbackRegistry(this.registry) && !options.insecure);
    if (plain && options.insecure) {
      throw new UsageError('usage', 'plainHttp and insecure do not go together', { hint: 'insecure skips TLS verification; plainHttp uses no TLS at all' });
    }
    this.origin = new URL(`${plain ? 'http' : 'https'}://${registryHost(this.registry)}`);
    this.settings = resolveOptions(options);
    const credentials = toSource(options.credentials, options);
    this.auth = new Authenticator({
      registry: this.registry,
      origin: this.origin,
      credentials,
      send: (r) => this.transport.sendPlain(r.method, r.url, r.headers, r.body),
    });
    this.transport = new Transport({
      registry: this.registry,
      origin: this.origin,
      auth: this.auth,
      retry: retryPolicy(options.retry),
      insecure: options.insecure ?? false,
      userAgent: options.userAgent ?? VERSION_USER_AGENT,
      onDebug: options.onDebug,
      onWarning: options.onWarning,
      headersTimeoutMs: options.headersTimeoutMs,
      bodyTimeoutMs: options.bodyTimeoutMs,
    });
  }

  /** The repository `name` (cached: one per name, sharing capability detection). */
  repository(name: string): Repository {
    // Docker Hub's official images live under library/ (`alpine` is `library/alpine`).
    if (this.registry === 'docker.io' && !name.includes('/')) name = `library/${name}`;
    let repo = this.repositories.get(name);
    if (!repo) {
      repo = new Repository(this, name);
      this.repositories.set(name, repo);
    }
    return repo;
  }

  /**
   * `GET /v2/` with authentication: resolves when the registry accepts the
   * credentials (or needs none); throws AuthError / NetworkError otherwise.
   */
  async ping(options: { signal?: AbortSignal } = {}): Promise<void> {
    const url = new URL('/v2/', this.origin);
    const res = await this.transport.send({ method: 'GET', url, scopes: [], signal: options.signal, what: `GET ${this.registry}/v2/` });
    const text = await readText(res.body, 64 * 1024);
    if (res.status === 200) return;
    throw errorForResponse(res.status, text, { what: `GET ${this.registry}/v2/`, registry: this.registry });
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

function toSource(credentials: Credential | CredentialSource | undefined, options: RegistryClientOptions): CredentialSource {
  if (typeof credentials === 'function') return credentials;
  if (credentials !== undefined) return () => Promise.resolve(credentials);
  return defaultCredentialSource(options.credentialEnv);
}

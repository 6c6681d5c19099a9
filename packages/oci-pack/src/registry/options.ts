import type { CredentialEnv } from './auth/credentials.js';
import type { Credential, CredentialSource } from './auth/types.js';
import type { RetryOptions } from './retry.js';

/** How referrers are listed and recorded (like oras `--distribution-spec`). */
export type ReferrersMode = 'auto' | 'api' | 'tag';

export interface RegistryClientOptions {
  /** Talk plain HTTP. Default: automatic for localhost, 127.0.0.0/8 and [::1], HTTPS otherwise. */
  plainHttp?: boolean;
  /** Skip TLS certificate verification (HTTPS only). */
  insecure?: boolean;
  /** Fixed credentials, or where to look them up (default: Docker config, helpers, containers auth.json). */
  credentials?: Credential | CredentialSource;
  /** Environment for the default credential lookup (tests). */
  credentialEnv?: CredentialEnv;
  /** Protocol traces (method, URL, status, headers; secrets redacted). */
  onDebug?: (line: string) => void;
  /** Registry `Warning` headers, each text once. */
  onWarning?: (text: string) => void;
  retry?: RetryOptions;
  /** Referrers API, tag schema fallback, or detect (default `auto`). */
  referrersMode?: ReferrersMode;
  /** Delete the replaced referrers index after a fallback update (default true; refused deletes are ignored). */
  referrersGc?: boolean;
  /** Largest manifest accepted or pushed (default 4 MiB, the distribution limit). */
  maxManifestBytes?: number;
  /** Blobs larger than this are uploaded in chunks (default 64 MiB). */
  monolithicMaxBytes?: number;
  /** Chunk size for chunked uploads (default 8 MiB; raised to the registry's OCI-Chunk-Min-Length). */
  chunkSize?: number;
  /** Try a single POST upload for in-memory blobs up to this size (default 1 MiB; 0 disables). */
  singlePostMaxBytes?: number;
  userAgent?: string;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
}

export interface ResolvedOptions {
  referrersMode: ReferrersMode;
  referrersGc: boolean;
  maxManifestBytes: number;
  monolithicMaxBytes: number;
  chunkSize: number;
  singlePostMaxBytes: number;
}

export function resolveOptions(options: RegistryClientOptions): ResolvedOptions {
  return {
    referrersMode: options.referrersMode ?? 'auto',
    referrersGc: options.referrersGc ?? true,
    maxManifestBytes: options.maxManifestBytes ?? 4 * 1024 * 1024,
    monolithicMaxBytes: options.monolithicMaxBytes ?? 64 * 1024 * 1024,
    chunkSize: options.chunkSize ?? 8 * 1024 * 1024,
    singlePostMaxBytes: options.singlePostMaxBytes ?? 1024 * 1024,
  };
}

import type { ErrorKind } from '@epack/oci-pack/error';

/** Documented exit codes (docs/cli.md). Stable: scripts depend on them. */
export const ExitCode = {
  ok: 0,
  /** Verification failed, or `diff --exit-code` found differences. */
  verificationFailed: 1,
  /** Bad input or usage: malformed pack, manifest, reference or flag. */
  badInput: 2,
  /** Something named does not exist: file, tag, manifest, blob, remote. */
  notFound: 3,
  /** Authentication or authorization failed. */
  auth: 4,
  /** Network: registry or service unreachable, timed out, or kept failing. */
  network: 5,
  /** The registry answered something the protocol does not allow. */
  registry: 6,
  /** A bug in epack. */
  internal: 70,
  /** Interrupted (SIGINT). */
  interrupted: 130,
} as const;

export function exitCodeForKind(kind: ErrorKind): number {
  switch (kind) {
    case 'verification':
      return ExitCode.verificationFailed;
    case 'input':
      return ExitCode.badInput;
    case 'not_found':
      return ExitCode.notFound;
    case 'auth':
      return ExitCode.auth;
    case 'network':
      return ExitCode.network;
    case 'registry':
      return ExitCode.registry;
    case 'internal':
      return ExitCode.internal;
  }
}

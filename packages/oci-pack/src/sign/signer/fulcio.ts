/**
 * Keyless signing: an ephemeral P-256 key certified by Fulcio for the
 * identity in an OIDC token (sigstore-js FulcioSigner).
 */
import { FulcioSigner } from '@sigstore/sign';
import type { IdentityProvider, Signer } from '@sigstore/sign';

export const DEFAULT_FULCIO_URL = 'https://fulcio.sigstore.dev';

export interface KeylessSignerOptions {
  identityProvider: IdentityProvider;
  fulcioURL?: string;
  timeoutMs?: number;
}

export function keylessSigner(options: KeylessSignerOptions): Signer {
  return new FulcioSigner({
    identityProvider: options.identityProvider,
    fulcioBaseURL: options.fulcioURL ?? DEFAULT_FULCIO_URL,
    timeout: options.timeoutMs ?? 30_000,
    retry: { retries: 2 },
  });
}

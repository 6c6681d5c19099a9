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
  let token: string | undefined;
  const remembering: IdentityProvider = { getToken: async () => (token = await options.identityProvider.getToken()) };
  const fulcio = new FulcioSigner({
    identityProvider: remembering,
    fulcioBaseURL: options.fulcioURL ?? DEFAULT_FULCIO_URL,
    timeout: options.timeoutMs ?? 30_000,
    retry: { retries: 2 },
  });
  return {
    sign: async (data) => {
      try {
        return await fulcio.sign(data);
      } catch (err) {
        // sigstore-js puts a token it cannot parse into its error message
        // ("invalid identity token: <token>"); it must never reach the output.
        throw token ? redactSecret(err, token) : err;
      }
    },
  };
}

const REDACTED = '[redacted identity token]';

function redactSecret(err: unknown, secret: string): unknown {
  let current: unknown = err;
  for (let depth = 0; current instanceof Error && depth < 8; depth++) {
    if (current.message.includes(secret)) current.message = current.message.split(secret).join(REDACTED);
    if (current.stack?.includes(secret)) current.stack = current.stack.split(secret).join(REDACTED);
    current = current.cause;
  }
  return err;
}

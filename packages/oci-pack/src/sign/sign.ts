/**
 * One entry point for making a bundle: pick the signer (key or keyless), the
 * witnesses (Rekor, TSA) and build a DSSE bundle over an in-toto statement.
 */
import type { IdentityProvider, Signer } from '@sigstore/sign';
import { KeySigner } from './signer/key.js';
import { keylessSigner } from './signer/fulcio.js';
import { witnesses } from './witness/index.js';
import type { WitnessOptions } from './witness/index.js';
import { createStatementBundle } from './bundler/dsse.js';
import { resolveIdentityProvider } from './identity/resolve.js';
import type { IdentityOptions, IdentitySource } from './identity/resolve.js';
import type { InTotoStatement } from './statement.js';
import { SignUsageError } from './errors.js';

export interface SignerOptions extends WitnessOptions {
  /** Path of a PEM private key: key signing. Keyless when neither key nor keyPem is set. */
  key?: string;
  /** PEM text of a private key (instead of `key`). */
  keyPem?: string | Uint8Array;
  /** Passphrase of an encrypted key (default: EPACK_KEY_PASSWORD). */
  keyPassphrase?: string;
  /** Keyless: where the OIDC token comes from. */
  identity?: IdentityOptions;
  /** Keyless: a ready identity provider (overrides `identity`). */
  identityProvider?: IdentityProvider;
  fulcioURL?: string;
}

export interface PreparedSigner {
  signer: Signer;
  mode: 'key' | 'keyless';
  identitySource?: IdentitySource;
  /** SPKI PEM of the signing key (key mode). */
  publicKeyPem?: string;
}

export async function prepareSigner(options: SignerOptions): Promise<PreparedSigner> {
  const passphrase = options.keyPassphrase ?? process.env['EPACK_KEY_PASSWORD'];
  if (options.key !== undefined || options.keyPem !== undefined) {
    const signer =
      options.keyPem !== undefined
        ? new KeySigner({ privateKeyPem: options.keyPem, ...(passphrase ? { passphrase } : {}) })
        : await KeySigner.fromFile(options.key as string, passphrase || undefined);
    return { signer, mode: 'key', publicKeyPem: signer.publicKeyPem };
  }
  if (options.tlogUpload === false && !options.tsaURL) {
    throw new SignUsageError('witness_required', 'keyless signing needs a transparency log entry or a timestamp authority', {
      hint: 'keep the tlog upload on or give --tsa-url: a short-lived certificate proves nothing without a trusted time',
    });
  }
  const resolved = options.identityProvider
    ? { source: 'token' as IdentitySource, provider: options.identityProvider }
    : resolveIdentityProvider(options.identity);
  const signer = keylessSigner({
    identityProvider: resolved.provider,
    ...(options.fulcioURL ? { fulcioURL: options.fulcioURL } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  return { signer, mode: 'keyless', identitySource: resolved.source };
}

/** Signs an in-toto statement; returns the Sigstore bundle v0.3 JSON bytes. */
export async function signStatement(statement: InTotoStatement, options: SignerOptions): Promise<Uint8Array> {
  const prepared = await prepareSigner(options);
  return signStatementWith(statement, prepared, options);
}

export async function signStatementWith(statement: InTotoStatement, prepared: PreparedSigner, options: WitnessOptions): Promise<Uint8Array> {
  return createStatementBundle(statement, { signer: prepared.signer, witnesses: witnesses(options) });
}

/**
 * A Signer over a long-lived private key in PEM (PKCS#8, SEC1 or PKCS#1):
 * ECDSA P-256 (SHA-256), P-384 (SHA-384), Ed25519 or RSA (PKCS#1 v1.5,
 * SHA-256). The bundle carries a key hint instead of a certificate.
 */
import { createHash, createPrivateKey, createPublicKey, sign as cryptoSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Signature, Signer } from '@sigstore/sign';
import { SignUsageError } from '../errors.js';

export interface KeySignerOptions {
  /** PEM text of the private key. */
  privateKeyPem: string | Uint8Array;
  /** Passphrase of an encrypted PKCS#8 key. */
  passphrase?: string;
}

export class KeySigner implements Signer {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** SPKI PEM of the public key. */
  readonly publicKeyPem: string;
  /** base64 sha256 of the DER SPKI: the bundle's key hint (cosign's convention). */
  readonly hint: string;
  private readonly hash: string | null;

  constructor(options: KeySignerOptions) {
    const text = Buffer.from(options.privateKeyPem).toString('utf8');
    if (/-----BEGIN ENCRYPTED (SIGSTORE|COSIGN) PRIVATE KEY-----/.test(text)) {
      throw new SignUsageError('key_unsupported', "cosign's encrypted key format is not supported", {
        hint: 'export it as PKCS#8 PEM (e.g. generate the key with openssl and `cosign import-key-pair` it for cosign), then pass that file',
      });
    }
    try {
      this.privateKey = createPrivateKey({
        key: Buffer.from(options.privateKeyPem),
        format: 'pem',
        ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
      });
    } catch (err) {
      throw new SignUsageError('key_invalid', `cannot read the private key: ${(err as Error).message}`, {
        cause: err,
        hint: 'give an unencrypted PEM key (EC P-256/P-384, Ed25519 or RSA) or its passphrase in EPACK_KEY_PASSWORD',
      });
    }
    this.hash = digestFor(this.privateKey);
    this.publicKey = createPublicKey(this.privateKey);
    this.publicKeyPem = this.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    this.hint = keyHint(this.publicKey);
  }

  static async fromFile(path: string, passphrase?: string): Promise<KeySigner> {
    let pem: Buffer;
    try {
      pem = await readFile(path);
    } catch (err) {
      throw new SignUsageError('key_not_readable', `cannot read key file ${path}: ${(err as Error).message}`, { cause: err });
    }
    return new KeySigner({ privateKeyPem: pem, ...(passphrase !== undefined ? { passphrase } : {}) });
  }

  async sign(data: Buffer): Promise<Signature> {
    const signature = cryptoSign(this.hash, data, this.privateKey);
    return { signature, key: { $case: 'publicKey', publicKey: this.publicKeyPem, hint: this.hint } };
  }
}

/** base64 sha256 of the DER SubjectPublicKeyInfo. */
export function keyHint(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('base64');
}

/** Hex sha256 of the DER SubjectPublicKeyInfo: how we name a key in results. */
export function keyFingerprint(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex');
}

function digestFor(key: KeyObject): string | null {
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1' || curve === 'P-256') return 'sha256';
      if (curve === 'secp384r1' || curve === 'P-384') return 'sha384';
      throw new SignUsageError('key_unsupported', `unsupported EC curve ${curve ?? 'unknown'}; use P-256 or P-384`);
    }
    case 'ed25519':
      return null;
    case 'rsa':
      return 'sha256';
    default:
      throw new SignUsageError('key_unsupported', `unsupported key type ${key.asymmetricKeyType ?? 'unknown'}; use EC P-256/P-384, Ed25519 or RSA`);
  }
}

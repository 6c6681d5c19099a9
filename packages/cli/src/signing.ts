/**
 * What `sign` and `verify` share in the CLI: telling a pack file from an OCI
 * reference, the policy flags, and the terminal side of keyless signing
 * (confirmation, opening the browser). No signing logic lives here.
 */
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import type { Argv } from 'yargs';
import type { SignerOptions } from '@epack/oci-pack/sign';
import type { Output } from './output.js';

/** A path that exists as a file, or names a pack file, is a pack; anything else is an OCI reference. */
export async function isPackArgument(arg: string): Promise<boolean> {
  if (arg.startsWith('oci:')) return false;
  try {
    return (await stat(arg)).isFile();
  } catch {
    return /\.(epack|zip)$/i.test(arg) || arg.startsWith('./') || arg.startsWith('/') || arg.startsWith('../');
  }
}

/** A person is at the terminal: prompts and the browser login are allowed. */
export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY) && process.env['CI'] !== 'true';
}

export async function confirm(question: string, out: Output): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: out.stderrStream });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** Prints the login URL and tries the platform's opener; never fails. */
export function openInBrowser(url: string, out: Output): void {
  out.errorLine(`Opening your browser to sign in. If it does not open, visit:\n  ${url}`);
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // the URL is printed; the person can open it by hand
  }
}

/** Repeatable flags arrive as a string once and as an array when repeated. */
export type Repeatable = string | string[];

export function list(value: Repeatable | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export interface PolicyFlags {
  key?: string;
  issuer?: Repeatable;
  issuerRegexp?: Repeatable;
  subject?: Repeatable;
  subjectRegexp?: Repeatable;
  claim?: Repeatable;
  threshold?: number;
  trustedRoot?: Repeatable;
  offline?: boolean;
  requireTlog?: boolean;
}

export function withPolicyFlags(y: Argv): Argv {
  return y
    .option('key', { type: 'string', describe: 'Trusted public key (PEM): signatures made with it meet the policy' })
    .option('issuer', { type: 'string', describe: 'OIDC issuer, exact (repeatable; pairs with --subject)' })
    .option('issuer-regexp', { type: 'string', describe: 'OIDC issuer, regexp matched against the whole issuer' })
    .option('subject', { alias: 'identity', type: 'string', describe: 'Certificate identity (email, workflow URI), exact (repeatable)' })
    .option('subject-regexp', { alias: 'identity-regexp', type: 'string', describe: 'Certificate identity, regexp matched against the whole identity' })
    .option('claim', { type: 'string', describe: 'Certificate claim every identity must carry, name=value (e.g. sourceRepositoryURI=https://github.com/acme/app; repeatable)' })
    .option('threshold', { type: 'number', describe: 'How many of the identities must each have signed (default 1: any of them)' })
    .option('trusted-root', { type: 'string', describe: 'Pinned Sigstore trusted_root.json (no TUF fetch); repeat to trust several' })
    .option('offline', { type: 'boolean', describe: 'Never use the network for trust material (needs --trusted-root for keyless)' })
    .option('require-tlog', { type: 'boolean', describe: 'Require a verified transparency log entry, also for key signatures' })
    .group(['key', 'issuer', 'issuer-regexp', 'subject', 'subject-regexp', 'claim', 'threshold', 'trusted-root', 'offline', 'require-tlog'], 'Signature policy:');
}

/** The signing flags of `sign`, and of `attach --attestation`. */
export interface SignerFlags {
  key?: string;
  identityToken?: string;
  fulcioUrl?: string;
  rekorUrl?: string;
  tsaUrl?: string;
  tlogUpload: boolean;
  tlogEntryType?: 'dsse' | 'intoto';
  oidcIssuer?: string;
  oidcClientId?: string;
  yes: boolean;
}

export function withSignerFlags(y: Argv): Argv {
  return y
    .option('key', { type: 'string', describe: 'Private key (PEM: EC P-256/P-384, Ed25519, RSA); passphrase in EPACK_KEY_PASSWORD. Keyless without it' })
    .option('identity-token', { type: 'string', describe: 'OIDC identity token, or a file holding one, for keyless signing (else SIGSTORE_ID_TOKEN, GitHub Actions, or a browser login)' })
    .option('fulcio-url', { type: 'string', describe: 'Fulcio CA (default https://fulcio.sigstore.dev)' })
    .option('rekor-url', { type: 'string', describe: 'Rekor transparency log (default https://rekor.sigstore.dev)' })
    .option('tsa-url', { type: 'string', describe: 'RFC 3161 timestamp authority, full URL (none by default)' })
    .option('tlog-upload', { type: 'boolean', default: true, describe: 'Record the signature in the transparency log (--tlog-upload=false to skip)' })
    .option('tlog-entry-type', { type: 'string', choices: ['dsse', 'intoto'], describe: 'Rekor entry kind for the DSSE bundle (default dsse)' })
    .option('oidc-issuer', { type: 'string', describe: 'Browser login: OIDC issuer (default https://oauth2.sigstore.dev/auth)' })
    .option('oidc-client-id', { type: 'string', describe: 'Browser login: OIDC client id (default sigstore)' })
    .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'Skip the confirmation prompt' })
    .group(['key', 'identity-token', 'fulcio-url', 'rekor-url', 'tsa-url', 'tlog-upload', 'tlog-entry-type', 'oidc-issuer', 'oidc-client-id', 'yes'], 'Signing:');
}

/**
 * The library's signer options from the flags; on a terminal, asks before a
 * keyless signature records the identity in the public log (unless -y).
 */
export async function signerFromFlags(args: SignerFlags, out: Output): Promise<SignerOptions> {
  const identityToken = args.identityToken !== undefined ? await tokenArgument(args.identityToken) : undefined;
  const interactive = isInteractive();
  const signer: SignerOptions = {
    tlogUpload: args.tlogUpload,
    ...(args.key !== undefined ? { key: args.key } : {}),
    ...(args.fulcioUrl !== undefined ? { fulcioURL: args.fulcioUrl } : {}),
    ...(args.rekorUrl !== undefined ? { rekorURL: args.rekorUrl } : {}),
    ...(args.tsaUrl !== undefined ? { tsaURL: args.tsaUrl } : {}),
    ...(args.tlogEntryType !== undefined ? { tlogEntryType: args.tlogEntryType } : {}),
    identity: {
      ...(identityToken !== undefined ? { identityToken } : {}),
      interactive,
      browser: {
        openURL: (url: string) => openInBrowser(url, out),
        ...(args.oidcIssuer !== undefined ? { issuer: args.oidcIssuer } : {}),
        ...(args.oidcClientId !== undefined ? { clientId: args.oidcClientId } : {}),
      },
    },
  };
  if (args.key === undefined && args.tlogUpload && interactive && !args.yes) {
    const ok = await confirm(
      'Keyless signing records your identity (e.g. your email) in the public Sigstore transparency log; this cannot be undone. Continue?',
      out,
    );
    if (!ok) {
      const { UsageError } = await import('@epack/oci-pack/error');
      throw new UsageError('cancelled', 'signing cancelled', { hint: 'pass -y to skip this question' });
    }
  }
  return signer;
}

/** A JWT as given, or the contents of the file it names (like cosign --identity-token). */
async function tokenArgument(value: string): Promise<string> {
  if (/^[\w-]+\.[\w-]+\.[\w-]*$/.test(value.trim())) return value.trim();
  const { readFile } = await import('node:fs/promises');
  try {
    return (await readFile(value, 'utf8')).trim();
  } catch {
    return value;
  }
}

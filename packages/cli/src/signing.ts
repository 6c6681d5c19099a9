/**
 * What `sign` and `verify` share in the CLI: telling a pack file from an OCI
 * reference, the policy flags, and the terminal side of keyless signing
 * (confirmation, opening the browser). No signing logic lives here.
 */
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import type { Argv } from 'yargs';
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

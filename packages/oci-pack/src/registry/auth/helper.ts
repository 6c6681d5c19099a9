/**
 * docker-credential-<name> helpers: `get` (server URL on stdin, JSON on
 * stdout), `store` (JSON on stdin) and `erase` (server URL on stdin). Their
 * output can hold secrets, so it never reaches an error message.
 */
import { spawn } from 'node:child_process';
import { AuthError } from '../../error.js';
import type { Credential } from './types.js';

const HELPER_TIMEOUT_MS = 30_000;
const MAX_OUTPUT = 1024 * 1024;
/** Username a helper returns when `Secret` is an identity (refresh) token. */
const TOKEN_USERNAME = '<token>';

interface HelperResult {
  code: number;
  stdout: string;
}

export function helperProgram(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new AuthError('credential_helper_failed', `"${name.slice(0, 80)}" is not a valid credential helper name`);
  }
  return `docker-credential-${name}`;
}

function runHelper(name: string, action: 'get' | 'store' | 'erase', input: string): Promise<HelperResult> {
  const program = helperProgram(name);
  return new Promise((resolve, reject) => {
    const child = spawn(program, [action], { stdio: ['pipe', 'pipe', 'pipe'], timeout: HELPER_TIMEOUT_MS });
    const out: Buffer[] = [];
    let size = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= MAX_OUTPUT) out.push(chunk);
    });
    child.stderr.resume();
    child.on('error', (err: NodeJS.ErrnoException) => {
      const missing = err.code === 'ENOENT';
      reject(
        new AuthError('credential_helper_failed', missing ? `credential helper ${program} is not installed` : `credential helper ${program} could not run (${err.code ?? 'error'})`, {
          hint: missing ? `install ${program} or remove it from your Docker config (credHelpers / credsStore)` : undefined,
        }),
      );
    });
    child.stdin.on('error', () => {
      /* the helper may exit before reading; its exit code tells */
    });
    child.on('close', (code, signal) => {
      if (signal) {
        reject(new AuthError('credential_helper_failed', `credential helper ${program} ${action} was killed (${signal})`));
        return;
      }
      resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8') });
    });
    child.stdin.end(input);
  });
}

function isNotFound(stdout: string): boolean {
  return /credentials not found/i.test(stdout);
}

/** Credentials for `serverUrl` from helper `name`; undefined when it has none. */
export async function helperGet(name: string, serverUrl: string): Promise<Credential | undefined> {
  const result = await runHelper(name, 'get', serverUrl);
  if (result.code !== 0) {
    if (isNotFound(result.stdout)) return undefined;
    throw new AuthError('credential_helper_failed', `credential helper ${helperProgram(name)} get failed (exit ${result.code})`);
  }
  let parsed: { Username?: unknown; Secret?: unknown };
  try {
    parsed = JSON.parse(result.stdout) as typeof parsed;
  } catch {
    throw new AuthError('credential_helper_failed', `credential helper ${helperProgram(name)} printed something that is not JSON`);
  }
  const username = typeof parsed.Username === 'string' ? parsed.Username : '';
  const secret = typeof parsed.Secret === 'string' ? parsed.Secret : '';
  if (secret.length === 0) return undefined;
  if (username === TOKEN_USERNAME) return { identityToken: secret };
  return { username, password: secret };
}

export async function helperStore(name: string, serverUrl: string, credential: { username: string; password: string }): Promise<void> {
  const payload = JSON.stringify({ ServerURL: serverUrl, Username: credential.username, Secret: credential.password });
  const result = await runHelper(name, 'store', payload);
  if (result.code !== 0) throw new AuthError('credential_helper_failed', `credential helper ${helperProgram(name)} store failed (exit ${result.code})`);
}

/** Returns false when the helper had nothing stored for `serverUrl`. */
export async function helperErase(name: string, serverUrl: string): Promise<boolean> {
  const result = await runHelper(name, 'erase', serverUrl);
  if (result.code === 0) return true;
  if (isNotFound(result.stdout)) return false;
  throw new AuthError('credential_helper_failed', `credential helper ${helperProgram(name)} erase failed (exit ${result.code})`);
}

/**
 * Runs our CLI (the built `packages/cli/bin/epack.js`) and the peer clients
 * in an isolated environment: a throwaway HOME, DOCKER_CONFIG, XDG dirs and
 * REGISTRY_AUTH_FILE per call (or per test when one is passed in), so no
 * credentials are read from or written to the user's ~/.docker.
 *
 * Everything is spawned asynchronously: the token server and fault proxies
 * live in the test process and must keep answering while a tool runs.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT, requireTool, findTool, type ToolName } from './tools.js';

export interface RunResult {
  code: number;
  /** Set when the process died from a signal (including the timeout). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Extra variables, on top of the isolated environment. `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Written to stdin, then stdin is closed. */
  input?: string | Buffer;
  cwd?: string;
  /** DOCKER_CONFIG for the call (e.g. `RunningRegistry.dockerConfigDir`); default: an empty one in the sandbox. */
  dockerConfigDir?: string;
  /** Reuse a sandbox across calls (e.g. `login` then `push`); default: a fresh one per call. */
  sandbox?: Sandbox;
  /** Kill after this long; default 60 s. */
  timeoutMs?: number;
}

export interface Sandbox {
  home: string;
  dockerConfigDir: string;
  /** Environment variables that confine a process to this sandbox. */
  env: Record<string, string>;
  dispose(): void;
}

const sandboxes = new Set<string>();
let exitHook = false;

/** A throwaway HOME with its own DOCKER_CONFIG, XDG dirs and containers auth file. */
export function createSandbox(): Sandbox {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const d of sandboxes) rmSync(d, { recursive: true, force: true });
    });
  }
  const home = mkdtempSync(path.join(tmpdir(), 'epack-home-'));
  sandboxes.add(home);
  const dockerConfigDir = path.join(home, '.docker');
  const runtimeDir = path.join(home, '.run');
  for (const d of [dockerConfigDir, runtimeDir, path.join(home, '.config'), path.join(home, '.cache')]) {
    mkdirSync(d, { recursive: true, mode: 0o700 });
  }
  return {
    home,
    dockerConfigDir,
    env: {
      HOME: home,
      DOCKER_CONFIG: dockerConfigDir,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_CACHE_HOME: path.join(home, '.cache'),
      XDG_RUNTIME_DIR: runtimeDir,
      REGISTRY_AUTH_FILE: path.join(runtimeDir, 'containers', 'auth.json'),
    },
    dispose() {
      sandboxes.delete(home);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

// Inherited variables that would let a tool reach outside the sandbox or change its output.
const SCRUBBED = [
  /^DOCKER_/, /^REGISTRY_AUTH_FILE$/, /^XDG_/, /^SIGSTORE_/, /^COSIGN_/, /^ORAS_/, /^REGCTL_/,
  /^ACTIONS_ID_TOKEN_/, /^GITHUB_TOKEN$/, /^EPACK_(?!TOOLS_DIR$|SHARED_DIR$)/, /^HTTPS?_PROXY$/i, /^NO_PROXY$/i,
];

function isolatedEnv(sandbox: Sandbox, options: RunOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!SCRUBBED.some((re) => re.test(k))) env[k] = v;
  }
  Object.assign(env, sandbox.env, { NO_COLOR: '1', TERM: 'dumb' });
  if (options.dockerConfigDir) env['DOCKER_CONFIG'] = options.dockerConfigDir;
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function runProcess(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const sandbox = options.sandbox ?? createSandbox();
  const env = isolatedEnv(sandbox, options);
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? sandbox.home, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (!options.sandbox) sandbox.dispose();
      resolve({ code: code ?? -1, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => undefined); // the tool may exit without reading stdin
    child.stdin.end(options.input ?? '');
  });
}

export const EPACK_BIN = path.join(REPO_ROOT, 'packages/cli/bin/epack.js');

/** Runs `node packages/cli/bin/epack.js <args>` (needs `pnpm build` first). */
export function runEpack(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  if (!existsSync(path.join(REPO_ROOT, 'packages/cli/dist/main.js'))) {
    return Promise.reject(new Error('packages/cli/dist is missing: run `pnpm build` before the CLI tests'));
  }
  return runProcess(process.execPath, [EPACK_BIN, ...args], options);
}

export type PeerTool = Extract<ToolName, 'oras' | 'regctl' | 'crane' | 'cosign' | 'cosign2' | 'skopeo' | 'epack-go'>;

/**
 * Runs a peer client. Throws when it is missing (check first with
 * `peerAvailable`, which skips locally and fails under CI).
 */
export function runTool(name: PeerTool, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const bin = findTool(name);
  if (!bin) throw new Error(`${name} is not installed (run scripts/install-test-tools.sh)`);
  return runProcess(bin, args, options);
}

/** Synchronous check for `describe.skipIf`; throws under CI when missing. */
export function peerAvailable(name: PeerTool, suite = `peer ${name}`): boolean {
  return requireTool(name, suite) !== undefined;
}

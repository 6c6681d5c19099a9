/**
 * Starts real registries on 127.0.0.1 for tests (design §7):
 * - distribution2: Debian's docker-registry 2.8 (no referrers API)
 * - distribution3: distribution v3.1.1 (no referrers API)
 * - olareg: olareg v0.2.2 with the referrers API
 * - olareg-noref: olareg with `--api-referrer=false`
 * in anonymous, basic (htpasswd / bcrypt) or token mode (our token server for
 * distribution, olareg's own opaque tokens for olareg).
 *
 * Usage in a suite:
 *   for (const { kind, auth } of registryMatrix()) describe(`${kind}/${auth}`, () => {
 *     let reg: RunningRegistry | undefined;
 *     beforeAll(async () => { reg = await startRegistry(kind, { auth }); });
 *     afterAll(() => reg?.stop());
 *     it('...', (ctx) => { if (!reg) return ctx.skip(); ... });
 *   });
 */
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as https from 'node:https';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { freePort, registerCleanup, sleep, spawnManaged, stopAllManaged, type ManagedProcess } from './process.js';
import { startTokenServer, type TokenServer, type TokenServerOptions } from './token-server.js';
import { findTool, requireTool, type ToolName } from './tools.js';
import { selfSignedEcCert } from './x509.js';

export type RegistryKind = 'distribution2' | 'distribution3' | 'olareg' | 'olareg-noref';
export type AuthMode = 'anonymous' | 'basic' | 'token';

export const REGISTRY_KINDS: readonly RegistryKind[] = ['distribution2', 'distribution3', 'olareg', 'olareg-noref'];

/** The auth modes each kind is started in by registryMatrix(). */
export const SUPPORTED_AUTH: Readonly<Record<RegistryKind, readonly AuthMode[]>> = {
  distribution2: ['anonymous', 'basic', 'token'],
  distribution3: ['anonymous', 'basic', 'token'],
  olareg: ['anonymous', 'basic', 'token'],
  'olareg-noref': ['anonymous', 'basic'],
};

const TOOL_OF: Record<RegistryKind, ToolName> = {
  distribution2: 'docker-registry',
  distribution3: 'distribution',
  olareg: 'olareg',
  'olareg-noref': 'olareg',
};

export interface RunningRegistry {
  kind: RegistryKind;
  auth: AuthMode;
  /** `127.0.0.1:<port>` — the host part of references. */
  host: string;
  /** `http://127.0.0.1:<port>`, or https with `tls`. */
  url: string;
  /** Served over https with a self-signed certificate (`caFile`). */
  tls: boolean;
  /** PEM file of the certificate to trust (its own CA) when `tls`: `--ca-file`, NODE_EXTRA_CA_CERTS… */
  caFile?: string;
  certificatePem?: string;
  /** Whether `GET /v2/<name>/referrers/<digest>` is served. */
  referrersApi: boolean;
  username?: string;
  password?: string;
  /** Realm of the bearer challenge in token mode. */
  tokenRealm?: string;
  /** Our token server (distribution kinds in token mode); records every token request. */
  tokenServer?: TokenServer;
  /** A DOCKER_CONFIG directory whose config.json holds this registry's credentials (empty `auths` when anonymous). */
  dockerConfigDir: string;
  /** Storage root of the registry. */
  dataDir: string;
  /** stdout+stderr of the registry. */
  logFile: string;
  log(): string;
  pid: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  auth?: AuthMode;
  username?: string;
  password?: string;
  /** Serve https with a self-signed certificate for 127.0.0.1 and localhost. */
  tls?: boolean;
  /** distribution token mode: lifetime and grants of the tokens our server issues. */
  tokenOptions?: Pick<TokenServerOptions, 'expiresInSeconds' | 'authorize'>;
  /**
   * distribution token mode: use this token server (owned by the caller, not
   * closed by stop()) instead of starting one; its users must include the
   * registry's username/password.
   */
  tokenServer?: TokenServer;
  /** distribution token mode: the realm the registry advertises, e.g. a fault proxy in front of the token server. */
  tokenRealm?: string;
  /** How long to wait for `GET /v2/`; default 20 s. */
  readyTimeoutMs?: number;
}

const DEFAULT_USER = 'epack-tester';
const DEFAULT_PASSWORD = 'S3cret-pass!';

/** The binary a kind needs, or undefined when missing (throws under CI). */
export function registryTool(kind: RegistryKind, suite = `registry ${kind}`): string | undefined {
  return requireTool(TOOL_OF[kind], suite);
}

/**
 * Whether `kind` in mode `auth` can run here. Synchronous, for
 * `describe.skipIf(!registryAvailable(...))`. Under CI a missing tool throws.
 */
export function registryAvailable(kind: RegistryKind, auth: AuthMode = 'anonymous'): boolean {
  if (!SUPPORTED_AUTH[kind].includes(auth)) return false;
  const suite = `registry ${kind}/${auth}`;
  if (!requireTool(TOOL_OF[kind], suite)) return false;
  // bcrypt hashes come from htpasswd: for htpasswd files and for olareg's user list.
  const needsBcrypt = auth === 'basic' || (auth === 'token' && kind.startsWith('olareg'));
  if (needsBcrypt && !requireTool('htpasswd', suite)) return false;
  return true;
}

export interface MatrixEntry {
  kind: RegistryKind;
  auth: AuthMode;
}

/** Every kind × auth combination (optionally filtered), to loop over with `describe`. */
export function registryMatrix(filter: { kinds?: readonly RegistryKind[]; auths?: readonly AuthMode[]; referrersApi?: boolean } = {}): MatrixEntry[] {
  const out: MatrixEntry[] = [];
  for (const kind of filter.kinds ?? REGISTRY_KINDS) {
    if (filter.referrersApi !== undefined && (kind === 'olareg') !== filter.referrersApi) continue;
    for (const auth of SUPPORTED_AUTH[kind]) {
      if (filter.auths && !filter.auths.includes(auth)) continue;
      out.push({ kind, auth });
    }
  }
  return out;
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err}`))));
  });
}

/** One `user:bcrypt` line, as `htpasswd -Bbn` writes it (docker-registry and olareg accept only bcrypt). */
async function bcryptLine(user: string, password: string): Promise<string> {
  const htpasswd = findTool('htpasswd');
  if (!htpasswd) throw new Error('htpasswd is not installed (apt-get install apache2-utils)');
  return (await run(htpasswd, ['-Bbn', '-C', '5', user, password])).trim();
}

function writeDockerConfig(dir: string, host: string, username?: string, password?: string): void {
  mkdirSync(dir, { recursive: true });
  const auths: Record<string, { auth: string }> = {};
  if (username !== undefined && password !== undefined) {
    auths[host] = { auth: Buffer.from(`${username}:${password}`).toString('base64') };
  }
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ auths }, null, 2), { mode: 0o600 });
}

/** Environment for the registry: without REGISTRY_* / OTEL_* overrides that could change its config. */
function registryEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('REGISTRY_') && !k.startsWith('OTEL_')) env[k] = v;
  }
  env['OTEL_TRACES_EXPORTER'] = 'none';
  env['OTEL_SDK_DISABLED'] = 'true';
  return env;
}

/** GET `url` with http or https (trusting `ca`); resolves the status. */
function probe(url: string, ca: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      res.resume();
      resolve(res.statusCode ?? 0);
    };
    const req = url.startsWith('https:') ? https.get(url, ca === undefined ? {} : { ca }, onResponse) : http.get(url, onResponse);
    req.setTimeout(1000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function waitReady(url: string, proc: ManagedProcess, timeoutMs: number, ca: string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (proc.exited()) throw new Error(`exited before answering /v2/`);
    try {
      const status = await probe(`${url}/v2/`, ca);
      if (status === 200 || status === 401) return;
      last = `HTTP ${status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(100);
  }
  throw new Error(`GET ${url}/v2/ did not answer 200/401 within ${timeoutMs} ms (last: ${last})`);
}

interface Setup {
  binary: string;
  kind: RegistryKind;
  auth: AuthMode;
  dir: string;
  port: number;
  user: string;
  password: string;
  /** Certificate and key files when serving https. */
  tls?: { certFile: string; keyFile: string };
  options: StartOptions;
}

interface Launch {
  command: string;
  args: string[];
  tokenRealm?: string;
  tokenServer?: TokenServer;
  /** Whether stop() closes the token server (we started it). */
  ownsTokenServer?: boolean;
}

async function prepareDistribution({ binary, kind, auth, dir, port, user, password, tls, options }: Setup): Promise<Launch> {
  const tlsPem = tls ? { certPem: readFileSync(tls.certFile, 'utf8'), keyPem: readFileSync(tls.keyFile, 'utf8') } : undefined;
  const config: Record<string, unknown> = {
    version: '0.1',
    log: { level: 'info', accesslog: { disabled: false } },
    storage: {
      filesystem: { rootdirectory: path.join(dir, 'data') },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: {
      addr: `127.0.0.1:${port}`,
      secret: 'epack-test-http-secret',
      ...(tls ? { tls: { certificate: tls.certFile, key: tls.keyFile } } : {}),
    },
  };
  const launch: Launch = { command: binary, args: ['serve', path.join(dir, 'config.yml')] };
  if (auth === 'basic') {
    writeFileSync(path.join(dir, 'htpasswd'), `${await bcryptLine(user, password)}\n`);
    config['auth'] = { htpasswd: { realm: 'epack-test', path: path.join(dir, 'htpasswd') } };
  } else if (auth === 'token') {
    const tokenServer =
      options.tokenServer ??
      (await startTokenServer({
        users: { [user]: password },
        service: `epack-test-${kind}`,
        issuer: 'epack-test-token-issuer',
        ...options.tokenOptions,
        // An https registry gets an https realm: clients must refuse a downgrade.
        ...(tlsPem ? { tls: tlsPem } : {}),
      }));
    const realm = options.tokenRealm ?? tokenServer.realm;
    writeFileSync(path.join(dir, 'token-ca.pem'), tokenServer.certificatePem);
    config['auth'] = {
      token: {
        realm,
        service: tokenServer.service,
        issuer: tokenServer.issuer,
        rootcertbundle: path.join(dir, 'token-ca.pem'),
      },
    };
    launch.tokenRealm = realm;
    launch.tokenServer = tokenServer;
    if (!options.tokenServer) launch.ownsTokenServer = true;
  }
  // JSON is YAML: both registries read it as their config file.
  writeFileSync(path.join(dir, 'config.yml'), JSON.stringify(config, null, 2));
  return launch;
}

async function prepareOlareg({ binary, kind, auth, dir, port, user, password, tls }: Setup): Promise<Launch> {
  const args = [
    'serve',
    '--addr', '127.0.0.1',
    '--port', String(port),
    '--store-type', 'dir',
    '--dir', path.join(dir, 'data'),
    '--api-delete',
    '--api-blob-delete',
    '--gc-frequency', '-1s',
    `--api-referrer=${kind === 'olareg' ? 'true' : 'false'}`,
    '-v', 'info',
  ];
  if (tls) args.push('--tls-cert', tls.certFile, '--tls-key', tls.keyFile);
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  const launch: Launch = { command: binary, args };
  const origin = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  if (auth !== 'anonymous') {
    const cred = (await bcryptLine(user, password)).split(':').slice(1).join(':');
    const authConf = {
      users: { [user]: { cred } },
      acls: [
        { repo: '*', members: [user], access: ['*'] },
        { repo: '', members: [user], access: ['read'] },
      ],
    };
    const file = path.join(dir, 'auth.yaml');
    writeFileSync(file, JSON.stringify(authConf, null, 2));
    if (auth === 'basic') args.push('--auth-basic', file);
    else {
      args.push('--auth-token-opaque', file, '--external-url', origin);
      launch.tokenRealm = `${origin}/token`;
    }
  }
  return launch;
}

const running = new Set<RunningRegistry>();

/**
 * Starts `kind` in `auth` mode (default anonymous) on a free loopback port and
 * waits for `GET /v2/`. Resolves undefined when the tool is missing locally
 * (the reason is printed); under CI a missing tool throws.
 */
export async function startRegistry(kind: RegistryKind, options: StartOptions = {}): Promise<RunningRegistry | undefined> {
  const auth = options.auth ?? 'anonymous';
  if (!SUPPORTED_AUTH[kind].includes(auth)) throw new Error(`${kind} does not support auth mode ${auth} in this harness`);
  if (!registryAvailable(kind, auth)) return undefined;
  const binary = findTool(TOOL_OF[kind])!;
  const username = auth === 'anonymous' ? undefined : (options.username ?? DEFAULT_USER);
  const password = auth === 'anonymous' ? undefined : (options.password ?? DEFAULT_PASSWORD);

  let lastError: unknown;
  // A port found free can be taken before the registry binds it: retry.
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = mkdtempSync(path.join(tmpdir(), `epack-${kind}-`));
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const url = `${options.tls ? 'https' : 'http'}://${host}`;
    let launch: Launch | undefined;
    let proc: ManagedProcess | undefined;
    let certificatePem: string | undefined;
    const setup: Setup = { binary, kind, auth, dir, port, user: username ?? '', password: password ?? '', options };
    if (options.tls) {
      const cert = selfSignedEcCert(`epack test ${kind}`, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
      certificatePem = cert.pem;
      setup.tls = { certFile: path.join(dir, 'tls-cert.pem'), keyFile: path.join(dir, 'tls-key.pem') };
      writeFileSync(setup.tls.certFile, cert.pem);
      writeFileSync(setup.tls.keyFile, cert.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    }
    try {
      launch = kind.startsWith('distribution') ? await prepareDistribution(setup) : await prepareOlareg(setup);
      proc = spawnManaged(launch.command, launch.args, { cwd: dir, env: registryEnv(), logFile: path.join(dir, 'registry.log') });
      await waitReady(url, proc, options.readyTimeoutMs ?? 20_000, certificatePem);
    } catch (err) {
      const log = proc?.log() ?? '';
      await proc?.stop();
      if (launch?.ownsTokenServer) await launch.tokenServer?.close();
      rmSync(dir, { recursive: true, force: true });
      lastError = new Error(`${kind}/${auth} on ${host} failed to start: ${err instanceof Error ? err.message : String(err)}\n--- registry log ---\n${log.slice(-4000)}`);
      if (/address already in use|bind/i.test(log)) continue;
      throw lastError;
    }
    const dockerConfigDir = path.join(dir, 'docker-config');
    writeDockerConfig(dockerConfigDir, host, username, password);
    registerCleanup(proc, dir);
    const managed = proc;
    const tokenServer = launch.tokenServer;
    const ownsTokenServer = launch.ownsTokenServer === true;
    const reg: RunningRegistry = {
      kind,
      auth,
      host,
      url,
      referrersApi: kind === 'olareg',
      tls: options.tls === true,
      dockerConfigDir,
      dataDir: path.join(dir, 'data'),
      logFile: managed.logFile,
      log: () => managed.log(),
      pid: managed.pid,
      stop: async () => {
        running.delete(reg);
        await managed.stop();
        if (ownsTokenServer) await tokenServer?.close();
      },
    };
    if (username !== undefined) reg.username = username;
    if (password !== undefined) reg.password = password;
    if (launch.tokenRealm !== undefined) reg.tokenRealm = launch.tokenRealm;
    if (tokenServer) reg.tokenServer = tokenServer;
    if (setup.tls && certificatePem !== undefined) {
      reg.caFile = setup.tls.certFile;
      reg.certificatePem = certificatePem;
    }
    running.add(reg);
    return reg;
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

/** Stops every registry this process started (for a global `afterAll`). */
export async function stopAllRegistries(): Promise<void> {
  await Promise.all([...running].map((r) => r.stop()));
  await stopAllManaged();
}

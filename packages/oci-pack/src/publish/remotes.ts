/**
 * Named push destinations from `epack.yaml` (docs/remotes.md):
 *
 *   remotes:
 *     prod:
 *       registry: ghcr.io/acme/evidence      # an OCI repository (or oci:<dir>)
 *       labels: [soc2, latest]               # extra tags on every push
 *       annotations: {team: platform}        # extra manifest annotations
 *       sign: {key: keys/cosign.key}         # sign on push (or `keyless: true`)
 *   environments:
 *     staging:
 *       remotes:
 *         prod: {registry: localhost:5000/evidence-staging}
 *
 * Parsing is strict: unknown keys, wrong types and duplicate keys are errors
 * naming the file and the key, so a typo cannot silently push elsewhere.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { NotFoundError, UsageError } from '../error.js';

export const CONFIG_FILE_NAMES = ['epack.yaml', 'epack.yml'] as const;

/**
 * Sign-on-push settings of a remote: the pushed manifest gets a Sigstore
 * signature referrer (cosign v3 format). Paths are resolved against the
 * config file's folder.
 */
export interface SignSettings {
  /** A private key file (PEM) for key signing. */
  key?: string;
  /** Keyless signing with an OIDC identity (CI ambient token, SIGSTORE_ID_TOKEN or browser). */
  keyless?: boolean;
  /** Record the signature in the transparency log (default true). */
  tlogUpload?: boolean;
  rekorURL?: string;
  fulcioURL?: string;
  tsaURL?: string;
}

export interface RemoteSettings {
  registry: string;
  labels?: string[];
  annotations?: Record<string, string>;
  sign?: SignSettings;
  /** A repository of the same registry to mount existing blobs from (e.g. staging when pushing to prod). */
  mountFrom?: string;
}

export interface RemotesConfig {
  /** Absolute path of the file read. */
  file: string;
  remotes: Record<string, RemoteSettings>;
  environments: Record<string, { remotes: Record<string, Partial<RemoteSettings>> }>;
}

/** What a push to a remote resolves to. */
export interface ResolvedRemote {
  name: string;
  environment?: string;
  /** The OCI repository reference (registry ref or `oci:<dir>`), without tag. */
  registry: string;
  labels: string[];
  annotations: Record<string, string>;
  sign?: SignSettings;
  mountFrom?: string;
}

const REMOTE_KEYS = ['registry', 'labels', 'annotations', 'sign', 'mount_from'] as const;
const SIGN_KEYS = ['key', 'keyless', 'tlog_upload', 'rekor_url', 'fulcio_url', 'tsa_url'] as const;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** Finds `epack.yaml` (or `epack.yml`) in `cwd`; undefined when there is none. */
export function findRemotesConfig(cwd: string = process.cwd()): string | undefined {
  for (const name of CONFIG_FILE_NAMES) {
    const candidate = path.join(cwd, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Reads and validates a remotes config file. */
export async function loadRemotesConfig(file: string): Promise<RemotesConfig> {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (cause) {
    throw new NotFoundError('config_not_found', `cannot read ${file}`, { cause });
  }
  return parseRemotesConfig(text, abs);
}

/** Parses the text of an epack.yaml; `file` is used in messages and to resolve key paths. */
export function parseRemotesConfig(text: string, file: string): RemotesConfig {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, strict: true });
  const problem = doc.errors[0];
  if (problem) {
    const at = problem.linePos?.[0];
    throw invalid(at ? `${file}:${at.line}:${at.col}` : file, (problem.message.split('\n')[0] ?? 'invalid YAML').replace(/ at line \d+, column \d+:?$/, ''));
  }
  const root: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  const top = expectObject(root, file, '(top level)');
  rejectUnknown(top, ['remotes', 'environments'], file, '');
  const dir = path.dirname(file);
  const remotes: Record<string, RemoteSettings> = {};
  for (const [name, value] of Object.entries(expectObject(top['remotes'] ?? {}, file, 'remotes'))) {
    checkName(name, file, `remotes.${name}`);
    const settings = parseRemote(value, file, `remotes.${name}`, dir);
    if (settings.registry === undefined) throw invalid(file, `remotes.${name}.registry is required`);
    remotes[name] = settings as RemoteSettings;
  }
  const environments: RemotesConfig['environments'] = {};
  for (const [env, value] of Object.entries(expectObject(top['environments'] ?? {}, file, 'environments'))) {
    checkName(env, file, `environments.${env}`);
    const body = expectObject(value ?? {}, file, `environments.${env}`);
    rejectUnknown(body, ['remotes'], file, `environments.${env}`);
    const overrides: Record<string, Partial<RemoteSettings>> = {};
    for (const [name, override] of Object.entries(expectObject(body['remotes'] ?? {}, file, `environments.${env}.remotes`))) {
      const where = `environments.${env}.remotes.${name}`;
      if (!(name in remotes)) throw invalid(file, `${where} overrides remote "${name}", which is not defined under remotes`);
      overrides[name] = parseRemote(override, file, where, dir);
    }
    environments[env] = { remotes: overrides };
  }
  return { file, remotes, environments };
}

/**
 * The destination of `epack push <name>`: the remote's settings with the
 * environment's overrides applied (each given key replaces the base one).
 * Throws `remote_not_found` / `environment_not_found` listing what exists.
 */
export function resolveRemote(config: RemotesConfig, name: string, environment?: string): ResolvedRemote {
  const base = config.remotes[name];
  if (!base) {
    const known = Object.keys(config.remotes);
    throw new NotFoundError('remote_not_found', `no remote named "${name}" in ${config.file}`, {
      hint: known.length > 0 ? `known remotes: ${known.join(', ')}` : 'the file defines no remotes',
      details: { remote: name, known },
    });
  }
  let settings: RemoteSettings = base;
  if (environment !== undefined) {
    const env = config.environments[environment];
    if (!env) {
      const known = Object.keys(config.environments);
      throw new NotFoundError('environment_not_found', `no environment named "${environment}" in ${config.file}`, {
        hint: known.length > 0 ? `known environments: ${known.join(', ')}` : 'the file defines no environments',
        details: { environment, known },
      });
    }
    settings = { ...base, ...env.remotes[name] };
  }
  return {
    name,
    ...(environment !== undefined ? { environment } : {}),
    registry: settings.registry,
    labels: [...(settings.labels ?? [])],
    annotations: { ...(settings.annotations ?? {}) },
    ...(settings.sign ? { sign: { ...settings.sign } } : {}),
    ...(settings.mountFrom !== undefined ? { mountFrom: settings.mountFrom } : {}),
  };
}

/** Every remote of the file as `push` would resolve it (with the environment's overrides). */
export function listRemotes(config: RemotesConfig, environment?: string): ResolvedRemote[] {
  return Object.keys(config.remotes).map((name) => resolveRemote(config, name, environment));
}

/** Loads `configFile`, else epack.yaml / epack.yml in `cwd`; `config_not_found` when there is none. */
export async function loadRemotesConfigFrom(options: { configFile?: string; cwd?: string } = {}): Promise<RemotesConfig> {
  const file = options.configFile ?? findRemotesConfig(options.cwd);
  if (!file) {
    throw new NotFoundError('config_not_found', `no epack.yaml or epack.yml in ${options.cwd ?? process.cwd()}`, {
      hint: 'create one (docs/remotes.md) or pass --config <file>',
    });
  }
  return loadRemotesConfig(file);
}

/**
 * True when `arg` names a remote rather than a reference: a bare name
 * (letters, digits, `_`, `-`) such as `prod`. References always have a
 * repository path (`host/repo`, `oci:dir`); a bare `name` would mean
 * `docker.io/library/name`, which no one pushes evidence to.
 */
export function looksLikeRemoteName(arg: string): boolean {
  return NAME.test(arg);
}

function parseRemote(value: unknown, file: string, where: string, dir: string): Partial<RemoteSettings> {
  const obj = expectObject(value ?? {}, file, where);
  rejectUnknown(obj, REMOTE_KEYS, file, where);
  const out: Partial<RemoteSettings> = {};
  if (obj['registry'] !== undefined) {
    if (typeof obj['registry'] !== 'string' || obj['registry'].trim() === '') throw invalid(file, `${where}.registry must be a repository reference`);
    out.registry = layoutRelativeTo(obj['registry'].trim(), dir);
  }
  if (obj['labels'] !== undefined) {
    const labels = obj['labels'];
    if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string' || typeof l === 'number')) {
      throw invalid(file, `${where}.labels must be a list of tags`);
    }
    out.labels = labels.map(String);
  }
  if (obj['annotations'] !== undefined) {
    const annotations = expectObject(obj['annotations'], file, `${where}.annotations`);
    for (const [k, v] of Object.entries(annotations)) {
      if (typeof v !== 'string') throw invalid(file, `${where}.annotations.${k} must be a string`);
    }
    out.annotations = annotations as Record<string, string>;
  }
  if (obj['sign'] !== undefined && obj['sign'] !== false) out.sign = parseSign(obj['sign'], file, `${where}.sign`, dir);
  if (obj['mount_from'] !== undefined) {
    const repo = obj['mount_from'];
    if (typeof repo !== 'string' || !/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(repo)) {
      throw invalid(file, `${where}.mount_from must be a repository path of the same registry (e.g. acme/evidence-staging)`);
    }
    out.mountFrom = repo;
  }
  return out;
}

function parseSign(value: unknown, file: string, where: string, dir: string): SignSettings {
  if (value === true) return { keyless: true };
  const obj = expectObject(value, file, where);
  rejectUnknown(obj, SIGN_KEYS, file, where);
  const out: SignSettings = {};
  if (obj['key'] !== undefined) {
    if (typeof obj['key'] !== 'string' || obj['key'] === '') throw invalid(file, `${where}.key must be a file path`);
    out.key = path.resolve(dir, obj['key']);
  }
  if (obj['keyless'] !== undefined) out.keyless = expectBoolean(obj['keyless'], file, `${where}.keyless`);
  if (obj['tlog_upload'] !== undefined) out.tlogUpload = expectBoolean(obj['tlog_upload'], file, `${where}.tlog_upload`);
  for (const [yamlKey, key] of [['rekor_url', 'rekorURL'], ['fulcio_url', 'fulcioURL'], ['tsa_url', 'tsaURL']] as const) {
    const value = obj[yamlKey];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !/^https?:\/\//.test(value)) throw invalid(file, `${where}.${yamlKey} must be an http(s) URL`);
    out[key] = value;
  }
  if (out.key !== undefined && out.keyless) throw invalid(file, `${where}: choose key or keyless, not both`);
  if (out.key === undefined && !out.keyless) throw invalid(file, `${where} needs key: <file> or keyless: true`);
  return out;
}

/** `oci:<dir>` layouts in the file are relative to the file's folder, like key paths. */
function layoutRelativeTo(registry: string, dir: string): string {
  if (!registry.startsWith('oci:')) return registry;
  const rest = registry.slice(4);
  if (path.isAbsolute(rest) || /^[A-Za-z]:[\\/]/.test(rest)) return registry;
  return `oci:${path.join(dir, rest)}`;
}

function expectBoolean(value: unknown, file: string, where: string): boolean {
  if (typeof value !== 'boolean') throw invalid(file, `${where} must be true or false`);
  return value;
}

function expectObject(value: unknown, file: string, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(file, `${where} must be a mapping`);
  return value as Record<string, unknown>;
}

function rejectUnknown(obj: Record<string, unknown>, allowed: readonly string[], file: string, where: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      const at = where ? `${where}.${key}` : key;
      throw invalid(file, `unknown key "${at}" (allowed${where ? ` in ${where}` : ''}: ${allowed.join(', ')})`);
    }
  }
}

function checkName(name: string, file: string, where: string): void {
  if (!NAME.test(name)) throw invalid(file, `${where}: names are letters, digits, "_" and "-"`);
}

function invalid(file: string, message: string): UsageError {
  return new UsageError('invalid_config', `${file}: ${message}`);
}

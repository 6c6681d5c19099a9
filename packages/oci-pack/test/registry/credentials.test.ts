import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eraseCredential, resolveCredential, storeCredential } from '../../src/registry/auth/credentials.js';

const root = mkdtempSync(path.join(tmpdir(), 'epack-creds-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function configDir(config: unknown): string {
  const dir = path.join(root, `c${n++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** A fake docker-credential-test helper: a shell script keeping its store in a JSON-lines file. */
function fakeHelper(): { binDir: string; storeFile: string; logFile: string } {
  const binDir = path.join(root, `bin${n++}`);
  mkdirSync(binDir, { recursive: true });
  const storeFile = path.join(binDir, 'store.txt');
  const logFile = path.join(binDir, 'log.txt');
  const script = `#!/bin/sh
input=$(cat)
echo "$1 $input" >> "${logFile}"
case "$1" in
  get)
    if [ "$input" = "reg.example.com" ]; then echo '{"ServerURL":"reg.example.com","Username":"helper-user","Secret":"helper-secret"}'; exit 0; fi
    if [ "$input" = "tok.example.com" ]; then echo '{"ServerURL":"tok.example.com","Username":"<token>","Secret":"refresh-123"}'; exit 0; fi
    if [ "$input" = "https://index.docker.io/v1/" ]; then echo '{"Username":"hub","Secret":"hubpw"}'; exit 0; fi
    echo "credentials not found in native keychain"; exit 1;;
  store) echo "$input" > "${storeFile}"; exit 0;;
  erase) if [ -f "${storeFile}" ]; then rm "${storeFile}"; exit 0; fi; echo "credentials not found in native keychain"; exit 1;;
esac
exit 2
`;
  const file = path.join(binDir, 'docker-credential-test');
  writeFileSync(file, script);
  chmodSync(file, 0o755);
  return { binDir, storeFile, logFile };
}

describe('credential resolution', () => {
  it('reads auths with auth, identitytoken and registrytoken; docker.io key', async () => {
    const dir = configDir({
      auths: {
        'localhost:5000': { auth: b64('alice:pa:ss') },
        'https://index.docker.io/v1/': { auth: b64('hubuser:hubpass') },
        'https://id.example.com/v2/': { identitytoken: 'refresh-xyz' },
        'tok.example.com': { registrytoken: 'bearer-abc' },
      },
    });
    const env = { env: { DOCKER_CONFIG: dir } };
    expect(await resolveCredential('localhost:5000', env)).toEqual({ username: 'alice', password: 'pa:ss' });
    expect(await resolveCredential('docker.io', env)).toEqual({ username: 'hubuser', password: 'hubpass' });
    expect(await resolveCredential('id.example.com', env)).toEqual({ identityToken: 'refresh-xyz' });
    expect(await resolveCredential('tok.example.com', env)).toEqual({ registryToken: 'bearer-abc' });
    expect(await resolveCredential('other.example.com', env)).toBeUndefined();
  });

  it('asks credHelpers[host] first, then credsStore, then auths', async () => {
    const { binDir, logFile } = fakeHelper();
    const oldPath = process.env['PATH'];
    process.env['PATH'] = `${binDir}:${oldPath}`;
    try {
      const dir = configDir({ credHelpers: { 'reg.example.com': 'test' }, auths: { 'reg.example.com': { auth: b64('file:pw') }, 'plain.example.com': { auth: b64('p:q') } } });
      const env = { env: { DOCKER_CONFIG: dir } };
      expect(await resolveCredential('reg.example.com', env)).toEqual({ username: 'helper-user', password: 'helper-secret' });
      expect(await resolveCredential('plain.example.com', env)).toEqual({ username: 'p', password: 'q' });
      const storeDir = configDir({ credsStore: 'test' });
      expect(await resolveCredential('tok.example.com', { env: { DOCKER_CONFIG: storeDir } })).toEqual({ identityToken: 'refresh-123' });
      expect(await resolveCredential('docker.io', { env: { DOCKER_CONFIG: storeDir } })).toEqual({ username: 'hub', password: 'hubpw' });
      expect(await resolveCredential('missing.example.com', { env: { DOCKER_CONFIG: storeDir } })).toBeUndefined();
      expect(readFileSync(logFile, 'utf8')).toContain('get https://index.docker.io/v1/');
    } finally {
      process.env['PATH'] = oldPath;
    }
  });

  it('reports a missing helper as an AuthError', async () => {
    const dir = configDir({ credsStore: 'definitely-not-installed' });
    await expect(resolveCredential('x.example.com', { env: { DOCKER_CONFIG: dir } })).rejects.toMatchObject({ code: 'credential_helper_failed', kind: 'auth' });
  });

  it('falls back to containers auth.json', async () => {
    const dir = configDir({});
    const authFile = path.join(root, `auth${n++}.json`);
    writeFileSync(authFile, JSON.stringify({ auths: { 'quay.example.com': { auth: b64('c:d') } } }));
    expect(await resolveCredential('quay.example.com', { env: { DOCKER_CONFIG: dir, REGISTRY_AUTH_FILE: authFile } })).toEqual({ username: 'c', password: 'd' });
    const runtime = path.join(root, `run${n++}`);
    mkdirSync(path.join(runtime, 'containers'), { recursive: true });
    writeFileSync(path.join(runtime, 'containers', 'auth.json'), JSON.stringify({ auths: { 'quay.example.com': { auth: b64('e:f') } } }));
    expect(await resolveCredential('quay.example.com', { env: { DOCKER_CONFIG: dir, XDG_RUNTIME_DIR: runtime } })).toEqual({ username: 'e', password: 'f' });
  });

  it('rejects a malformed config with a typed error that does not echo secrets', async () => {
    const dir = path.join(root, `bad${n++}`);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'config.json'), '{"auths": {"x": {"auth": "c2VjcmV0"}}');
    const err = await resolveCredential('x', { env: { DOCKER_CONFIG: dir } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'invalid_credentials_file' });
    expect(String((err as Error).message)).not.toContain('c2VjcmV0');
  });
});

describe('storing and erasing', () => {
  it('writes config.json atomically with mode 0600 and keeps other keys', async () => {
    const dir = configDir({ auths: { 'other.example.com': { auth: b64('o:p') } }, psFormat: 'table' });
    const env = { env: { DOCKER_CONFIG: dir } };
    expect(await storeCredential('localhost:5000', { username: 'u', password: 'p' }, env)).toEqual({ kind: 'file', path: path.join(dir, 'config.json') });
    const file = path.join(dir, 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { auths: Record<string, { auth: string }>; psFormat: string };
    expect(saved.psFormat).toBe('table');
    expect(saved.auths['localhost:5000']?.auth).toBe(b64('u:p'));
    expect(saved.auths['other.example.com']).toBeDefined();
    expect(await resolveCredential('localhost:5000', env)).toEqual({ username: 'u', password: 'p' });
    expect(await eraseCredential('localhost:5000', env)).toBe(true);
    expect(await eraseCredential('localhost:5000', env)).toBe(false);
    expect(await resolveCredential('localhost:5000', env)).toBeUndefined();
    expect(await storeCredential('docker.io', { username: 'h', password: 'q' }, env)).toMatchObject({ kind: 'file' });
    expect(Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { auths: object }).auths)).toContain('https://index.docker.io/v1/');
  });

  it('creates the config when missing', async () => {
    const dir = path.join(root, `new${n++}`);
    await storeCredential('r.example.com', { username: 'a', password: 'b' }, { env: { DOCKER_CONFIG: dir } });
    expect(existsSync(path.join(dir, 'config.json'))).toBe(true);
  });

  it('stores and erases through the configured helper', async () => {
    const { binDir, storeFile } = fakeHelper();
    const oldPath = process.env['PATH'];
    process.env['PATH'] = `${binDir}:${oldPath}`;
    try {
      const dir = configDir({ credsStore: 'test' });
      const env = { env: { DOCKER_CONFIG: dir } };
      expect(await storeCredential('new.example.com', { username: 'n', password: 's3' }, env)).toEqual({ kind: 'helper', helper: 'test' });
      expect(JSON.parse(readFileSync(storeFile, 'utf8'))).toEqual({ ServerURL: 'new.example.com', Username: 'n', Secret: 's3' });
      expect(readFileSync(path.join(dir, 'config.json'), 'utf8')).not.toContain('s3');
      expect(await eraseCredential('new.example.com', env)).toBe(true);
      expect(await eraseCredential('new.example.com', env)).toBe(false);
    } finally {
      process.env['PATH'] = oldPath;
    }
  });
});

/**
 * Canary credentials — a unique password per registry and the bearer tokens
 * a token service hands out — never appear in anything epack prints
 * (stdout, stderr, --debug traces, error messages) or writes (output
 * directories, caches), against a Basic and a token registry. The Docker
 * config written by `epack login` holds them only where Docker keeps them.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, runEpack, type RunResult, type Sandbox } from '../harness/cli.js';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';
import { registryAvailable, startRegistry, stopAllRegistries, type RunningRegistry } from '../harness/registries.js';
import { startTokenServer, type TokenServer } from '../harness/token-server.js';
import { buildManyArtifactPack, type ManyArtifactPack } from './helpers.js';

const USER = 'canary-user';
const canary = (label: string) => `cnry-${label}-${randomBytes(9).toString('hex')}`;

let pack: ManyArtifactPack;
beforeAll(async () => {
  pack = await buildManyArtifactPack(3, { minBytes: 1000, maxBytes: 2000 });
});
afterAll(() => stopAllRegistries());

/** Every spelling of a secret that would count as a leak. */
function spellings(secret: string, user = USER): string[] {
  return [
    secret,
    Buffer.from(secret).toString('base64'),
    Buffer.from(`${user}:${secret}`).toString('base64'),
    encodeURIComponent(secret),
    Buffer.from(secret).toString('hex'),
  ];
}

function expectNoLeak(where: string, text: string, secrets: readonly string[]): void {
  for (const s of secrets) {
    if (s.length >= 8 && text.includes(s)) expect.fail(`${where} contains a secret (${s.slice(0, 6)}…)`);
  }
}

/** All regular files below `dir`, except `skip`. */
function filesBelow(dir: string, skip: (file: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && !skip(p)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

interface Scenario {
  name: string;
  reg?: RunningRegistry;
  password: string;
  /** Secrets only known after the run (issued tokens). */
  extra(): string[];
  close(): Promise<void>;
}

async function basicScenario(): Promise<Scenario> {
  const password = canary('basic');
  const reg = await startRegistry('distribution2', { auth: 'basic', username: USER, password });
  return { name: 'basic', ...(reg ? { reg } : {}), password, extra: () => [], close: async () => reg?.stop() };
}

async function tokenScenario(): Promise<Scenario> {
  const password = canary('token');
  const tokens: string[] = [];
  const server: TokenServer = await startTokenServer({ users: { [USER]: password }, service: 'epack-secrets', issuer: 'epack-test-token-issuer' });
  // The realm goes through a proxy of ours that records every token handed out.
  const proxy: FaultProxy = await startFaultProxy(new URL(server.realm).origin.replace('localhost', '127.0.0.1'));
  proxy.addRule({
    path: /^\/token/,
    fault: {
      kind: 'rewrite',
      body: (original) => {
        try {
          const body = JSON.parse(original.toString('utf8')) as Record<string, unknown>;
          for (const k of ['token', 'access_token', 'refresh_token']) if (typeof body[k] === 'string') tokens.push(body[k]);
        } catch {
          // not JSON: nothing issued
        }
        return original;
      },
    },
  });
  const reg = await startRegistry('distribution2', { auth: 'token', username: USER, password, tokenServer: server, tokenRealm: `${proxy.url}/token` });
  return {
    name: 'token',
    ...(reg ? { reg } : {}),
    password,
    extra: () => tokens.flatMap((t) => [t, ...t.split('.').filter((part) => part.length >= 16 && t.split('.').length === 3).slice(2)]),
    close: async () => {
      await reg?.stop();
      await proxy.close();
      await server.close();
    },
  };
}

for (const make of [basicScenario, tokenScenario]) {
  describe.skipIf(!registryAvailable('distribution2', make === basicScenario ? 'basic' : 'token'))(`canary credentials (${make === basicScenario ? 'basic' : 'token'} registry)`, () => {
    let s: Scenario;
    let sandbox: Sandbox;
    const outputs: Array<{ what: string; r: RunResult }> = [];

    beforeAll(async () => {
      s = await make();
      sandbox = createSandbox();
    });
    afterAll(async () => {
      await s?.close();
      sandbox?.dispose();
    });

    it('login, push, pull, discover and failures with --debug never show or write a secret', async (ctx) => {
      if (!s.reg) return ctx.skip();
      const reg = s.reg;
      const ref = `${reg.host}/secret/pack:v1`;
      const outDir = await mkdtemp(path.join(tmpdir(), 'epack-secrets-out-'));
      const run = async (what: string, args: string[], input?: string) => {
        const r = await runEpack(args, { sandbox, cwd: outDir, ...(input !== undefined ? { input } : {}) });
        outputs.push({ what, r });
        return r;
      };
      const wrong = canary('wrong');

      const badLogin = await run('login with a wrong password', ['login', reg.host, '-u', USER, '--password-stdin', '--debug'], wrong);
      expect(badLogin.code, badLogin.stderr).toBe(4);
      const login = await run('login', ['login', reg.host, '-u', USER, '--password-stdin', '--debug'], s.password);
      expect(login.code, login.stderr).toBe(0);
      const push = await run('push', ['push', ref, pack.pack, '--debug']);
      expect(push.code, push.stderr).toBe(0);
      expect(push.stderr).toMatch(/\S/); // --debug traced something
      const pull = await run('pull', ['pull', ref, '-o', path.join(outDir, 'pulled.epack'), '--debug']);
      expect(pull.code, pull.stderr).toBe(0);
      const discover = await run('discover', ['discover', ref, '--json', '--debug']);
      expect(discover.code, discover.stderr).toBe(0);
      const missing = await run('pull of a missing tag', ['pull', `${reg.host}/secret/pack:nope`, '-o', path.join(outDir, 'x.epack'), '--debug']);
      expect(missing.code).toBe(3);
      const jsonErr = await run('resolve --json of a missing repo', ['resolve', `${reg.host}/nothing/here:v1`, '--json', '--debug']);
      expect(jsonErr.code).not.toBe(0);

      const secrets = [...spellings(s.password), ...spellings(wrong), ...s.extra()];
      expect(s.name === 'basic' || s.extra().length > 0, 'token service handed out tokens').toBe(true);
      for (const { what, r } of outputs) {
        expectNoLeak(`${what}: stdout`, r.stdout, secrets);
        expectNoLeak(`${what}: stderr`, r.stderr, secrets);
      }

      // Files epack wrote: the output directory and the rest of HOME (caches), but the Docker config.
      const config = path.join(sandbox.dockerConfigDir, 'config.json');
      for (const file of [...filesBelow(outDir), ...filesBelow(sandbox.home, (f) => f === config)]) {
        expectNoLeak(file, readFileSync(file).toString('latin1'), secrets);
      }

      // The Docker config holds the credential only under auths[host] (as Docker does), and only for the owner.
      const doc = JSON.parse(readFileSync(config, 'utf8')) as { auths?: Record<string, Record<string, unknown>> } & Record<string, unknown>;
      const entry = doc.auths?.[reg.host];
      expect(entry).toBeDefined();
      const stored = typeof entry!['auth'] === 'string' ? Buffer.from(entry!['auth'] as string, 'base64').toString('utf8') : '';
      const identity = entry!['identitytoken'];
      expect(stored === `${USER}:${s.password}` || typeof identity === 'string').toBe(true);
      const { auths, ...rest } = doc;
      const others = Object.fromEntries(Object.entries(auths ?? {}).filter(([host]) => host !== reg.host));
      expectNoLeak('config.json outside auths[host]', JSON.stringify({ rest, others }), secrets);
      const { auth: _auth, identitytoken: _identity, ...entryRest } = entry!;
      expectNoLeak('auths[host] fields other than auth/identitytoken', JSON.stringify(entryRest), secrets);
      expect(JSON.stringify(doc)).not.toContain(wrong);
      expect(statSync(config).mode & 0o077).toBe(0);
    });
  });
}

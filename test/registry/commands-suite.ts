/**
 * The registry commands (resolve, attach, discover, copy -r, tag, manifest
 * fetch, blob fetch) against one real registry kind in every auth mode,
 * cross-checked with oras and crane. Shared by the per-kind test files so
 * each file stays short.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, peerAvailable, runEpack, runTool, type RunResult, type Sandbox } from '../harness/cli.js';
import { registryMatrix, startRegistry, stopAllRegistries, type RegistryKind, type RunningRegistry } from '../harness/registries.js';

interface TreeNode {
  digest: string;
  artifactType?: string;
  annotations?: Record<string, string>;
  referrers: TreeNode[];
}

export function registryCommandsSuite(kinds: readonly RegistryKind[]): void {
  const havePeers = peerAvailable('oras', 'registry commands') && peerAvailable('crane', 'registry commands');

  afterAll(async () => {
    await stopAllRegistries();
  });

  describe.each(registryMatrix({ kinds }))('$kind/$auth', ({ kind, auth }) => {
    let reg: RunningRegistry | undefined;
    let sandbox: Sandbox;
    let src = '';
    let dst = '';
    let rootDigest = '';
    let attached = '';

    const epack = (args: string[]): Promise<RunResult> => runEpack(args, { dockerConfigDir: reg!.dockerConfigDir, cwd: sandbox.home });
    const ok = (r: RunResult): RunResult => {
      expect(r.stderr.split('\n').filter((l) => l.startsWith('epack:'))).toEqual([]);
      expect(r.code, r.stderr).toBe(0);
      return r;
    };

    beforeAll(async () => {
      reg = await startRegistry(kind, { auth });
      sandbox = createSandbox();
      if (!reg || !havePeers) return;
      src = `${reg.host}/e2e/src`;
      dst = `${reg.host}/e2e/dst`;
      writeFileSync(path.join(sandbox.home, 'evidence.json'), JSON.stringify({ evidence: 'of something', kind }));
      const creds = auth === 'anonymous' ? [] : ['--username', reg.username!, '--password', reg.password!];
      const push = await runTool('oras', ['push', '--plain-http', ...creds, '--artifact-type', 'application/vnd.test.pack', `${src}:v1`, 'evidence.json:application/json'], {
        sandbox,
        cwd: sandbox.home,
      });
      expect(push.code, push.stderr).toBe(0);
    });
    afterAll(async () => {
      await reg?.stop();
      sandbox?.dispose();
    });

    it('resolve prints the digest crane reports', async (ctx) => {
      if (!reg || !havePeers) return ctx.skip();
      const crane = await runTool('crane', ['digest', '--insecure', `${src}:v1`], { dockerConfigDir: reg.dockerConfigDir });
      expect(crane.code, crane.stderr).toBe(0);
      rootDigest = crane.stdout.trim();
      const ours = ok(await epack(['resolve', `${src}:v1`]));
      expect(ours.stdout).toBe(`${rootDigest}\n`);
      if (auth !== 'anonymous') return; // output formats once per kind: each CLI run costs a second here
      const json = JSON.parse(ok(await epack(['resolve', `${src}:v1`, '--json'])).stdout) as { digest: string; mediaType: string };
      expect(json).toMatchObject({ digest: rootDigest, mediaType: 'application/vnd.oci.image.manifest.v1+json' });
    });

    it('attach creates a referrer that discover lists', async (ctx) => {
      if (!reg || !rootDigest) return ctx.skip();
      writeFileSync(path.join(sandbox.home, 'sig.bundle.json'), '{"signature":"not really"}');
      const out = ok(await epack(['attach', `${src}:v1`, 'sig.bundle.json:application/vnd.dev.sigstore.bundle.v0.3+json', '--artifact-type', 'application/vnd.test.sig', '-a', 'purpose=e2e']));
      attached = out.stdout.trim();
      expect(attached).toMatch(/^sha256:[0-9a-f]{64}$/);
      const tree = JSON.parse(ok(await epack(['discover', `${src}@${rootDigest}`, '--json'])).stdout) as TreeNode;
      expect(tree.digest).toBe(rootDigest);
      expect(tree.referrers).toHaveLength(1);
      expect(tree.referrers[0]).toMatchObject({ digest: attached, artifactType: 'application/vnd.test.sig', annotations: { purpose: 'e2e' } });
      if (auth === 'anonymous') {
        const text = ok(await epack(['discover', `${src}:v1`])).stdout;
        expect(text).toContain('application/vnd.test.sig');
        expect(text).toContain(attached);
      }
      // The manifest really has a subject and a titled layer.
      const manifest = JSON.parse(ok(await epack(['manifest', 'fetch', `${src}@${attached}`])).stdout) as {
        subject: { digest: string };
        layers: { mediaType: string; annotations: Record<string, string> }[];
        config: { mediaType: string };
      };
      expect(manifest.subject.digest).toBe(rootDigest);
      expect(manifest.config.mediaType).toBe('application/vnd.oci.empty.v1+json');
      expect(manifest.layers.map((l) => [l.mediaType, l.annotations['org.opencontainers.image.title']])).toEqual([
        ['application/vnd.dev.sigstore.bundle.v0.3+json', 'sig.bundle.json'],
      ]);
    });

    it('copy -r to another repository keeps the referrers; tag adds tags', async (ctx) => {
      if (!reg || !attached) return ctx.skip();
      const copy = ok(await epack(['copy', '-r', `${src}:v1`, `${dst}:v2`, '--json']));
      const result = JSON.parse(copy.stdout) as { digest: string; tags: string[]; referrers: { digest: string }[] };
      expect(result).toMatchObject({ digest: rootDigest, tags: ['v2'] });
      expect(result.referrers.map((r) => r.digest)).toEqual([attached]);
      const tree = JSON.parse(ok(await epack(['discover', `${dst}:v2`, '--json'])).stdout) as TreeNode;
      expect(tree.referrers.map((r) => r.digest)).toEqual([attached]);
      ok(await epack(['tag', `${dst}:v2`, 'extra', 'more']));
      for (const t of ['extra', 'more']) {
        const crane = await runTool('crane', ['digest', '--insecure', `${dst}:${t}`], { dockerConfigDir: reg.dockerConfigDir });
        expect(crane.stdout.trim()).toBe(rootDigest);
      }
      if (auth === 'anonymous') {
        // Copying again transfers nothing.
        const again = JSON.parse(ok(await epack(['copy', `${src}:v1`, `${dst}:v2`, '--json'])).stdout) as { copied: number; skipped: number };
        expect(again).toMatchObject({ copied: 0, skipped: 1 });
      }
    });

    it('manifest fetch returns the stored bytes; blob fetch writes the verified blob', async (ctx) => {
      if (!reg || !rootDigest) return ctx.skip();
      const crane = await runTool('crane', ['manifest', '--insecure', `${src}:v1`], { dockerConfigDir: reg.dockerConfigDir });
      const ours = ok(await epack(['manifest', 'fetch', `${src}:v1`]));
      expect(ours.stdout).toBe(crane.stdout);
      if (auth === 'anonymous') {
        const desc = JSON.parse(ok(await epack(['manifest', 'fetch', `${src}:v1`, '--descriptor', '--json'])).stdout) as { digest: string };
        expect(desc.digest).toBe(rootDigest);
      }
      const layer = (JSON.parse(ours.stdout) as { layers: { digest: string }[] }).layers[0]!;
      ok(await epack(['blob', 'fetch', `${src}@${layer.digest}`, '-o', 'out.json']));
      expect(readFileSync(path.join(sandbox.home, 'out.json'), 'utf8')).toBe(readFileSync(path.join(sandbox.home, 'evidence.json'), 'utf8'));
    });
  });
}

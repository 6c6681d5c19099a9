/**
 * Interop with cosign v3.1.2 on registry signatures (bundle v0.3 referrers):
 * what `epack sign <ref>` attaches, `cosign verify` accepts (by key, and
 * keyless against the private Sigstore's trusted root); what `cosign sign`
 * attaches (v3 referrers and legacy .sig tags) `verifyArtifact` accepts.
 * Registries: olareg (referrers API) and docker-registry 2.8 (tag fallback).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { openTarget, resolveReference, TargetPool } from '../../packages/oci-pack/src/store/open.js';
import { verifyArtifact, type VerifyArtifactOptions } from '../../packages/oci-pack/src/sign/index.js';
import { GITHUB_IDENTITY, GITHUB_ISSUER, startMockSigstore, type MockSigstore } from '../harness/sigstore.js';
import { runEpack, runTool } from '../harness/cli.js';
import { requireTool } from '../harness/tools.js';
import { registryAvailable, startRegistry, type RegistryKind, type RunningRegistry } from '../harness/registries.js';

const cosign = requireTool('cosign', 'sign interop with cosign');
const oras = requireTool('oras', 'sign interop with cosign');
const cosign2 = requireTool('cosign2', 'sign interop with cosign v2 (--new-bundle-format)');
const KINDS: RegistryKind[] = ['olareg', 'distribution2'];

for (const kind of KINDS) {
  describe.skipIf(!cosign || !oras || !registryAvailable(kind))(`cosign v3 interop on ${kind}`, () => {
    let registry: RunningRegistry;
    let sigstore: MockSigstore;
    let dir: string;
    let rootFile: string;
    let ours: { key: string; pub: string };
    let cosignKey: string;
    let cosignPub: string;
    let n = 0;

    beforeAll(async () => {
      registry = (await startRegistry(kind))!;
      sigstore = await startMockSigstore();
      dir = await mkdtemp(path.join(tmpdir(), 'epack-cosign-'));
      rootFile = await sigstore.writeTrustedRoot(dir);
      const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      ours = { key: path.join(dir, 'ours.pem'), pub: path.join(dir, 'ours.pub') };
      await writeFile(ours.key, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }));
      await writeFile(ours.pub, pair.publicKey.export({ format: 'pem', type: 'spki' }));
      const theirs = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const theirsPem = path.join(dir, 'theirs.pem');
      await writeFile(theirsPem, theirs.privateKey.export({ format: 'pem', type: 'pkcs8' }));
      const imported = await runTool('cosign', ['import-key-pair', '--key', theirsPem, '--output-key-prefix', path.join(dir, 'cosign')], {
        env: { COSIGN_PASSWORD: '' },
      });
      expect(imported.code, imported.stderr).toBe(0);
      cosignKey = path.join(dir, 'cosign.key');
      cosignPub = path.join(dir, 'cosign.pub');
    });
    afterAll(async () => {
      await registry?.stop();
      await sigstore?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    async function pushImage(): Promise<{ ref: string; digest: string }> {
      const file = path.join(dir, `content-${n}.txt`);
      await writeFile(file, `content ${n}`);
      const ref = `${registry.host}/interop/app:v${n++}`;
      const pushed = await runTool('oras', ['push', '--plain-http', ref, `${path.basename(file)}:text/plain`], { cwd: dir });
      expect(pushed.code, pushed.stderr).toBe(0);
      const digest = /Digest: (sha256:[0-9a-f]{64})/.exec(pushed.stdout)![1]!;
      return { ref, digest };
    }

    async function verify(ref: string, options: VerifyArtifactOptions) {
      const pool = new TargetPool();
      try {
        const opened = await openTarget(ref, { pool });
        const subject = await resolveReference(opened);
        return await verifyArtifact(opened.target, subject.digest, options);
      } finally {
        await pool.close();
      }
    }

    it('cosign verifies what epack signs with a key', async () => {
      const { ref, digest } = await pushImage();
      const signed = await runEpack(['sign', ref, '--key', ours.key, '--tlog-upload=false', '--json']);
      expect(signed.code, signed.stderr).toBe(0);
      expect(JSON.parse(signed.stdout)).toMatchObject({ kind: 'reference', subject: { digest }, predicateType: 'https://sigstore.dev/cosign/sign/v1' });
      const ok = await runTool('cosign', ['verify', '--key', ours.pub, '--insecure-ignore-tlog', '--allow-http-registry', ref]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain(digest);
      const wrong = await runTool('cosign', ['verify', '--key', cosignPub, '--insecure-ignore-tlog', '--allow-http-registry', ref]);
      expect(wrong.code).not.toBe(0);
    });

    it('cosign verifies what epack signs keyless, against the same trusted root', async () => {
      const { ref, digest } = await pushImage();
      const signed = await runEpack(
        ['sign', ref, '--fulcio-url', sigstore.fulcioURL, '--rekor-url', sigstore.rekorURL, '--tlog-entry-type', 'intoto', '--tsa-url', sigstore.tsaURL, '-y'],
        { env: { SIGSTORE_ID_TOKEN: sigstore.githubToken() } },
      );
      expect(signed.code, signed.stderr).toBe(0);
      const args = ['verify', '--trusted-root', rootFile, '--certificate-oidc-issuer', GITHUB_ISSUER, '--allow-http-registry'];
      const ok = await runTool('cosign', [...args, '--certificate-identity', GITHUB_IDENTITY, ref]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain(digest);
      const wrong = await runTool('cosign', [...args, '--certificate-identity', 'mallory@example.com', ref]);
      expect(wrong.code).not.toBe(0);
    });

    it('cosign verify-attestation accepts what epack attach --attestation attaches (SLSA provenance, by key)', async () => {
      const { ref, digest } = await pushImage();
      const statement = path.join(dir, `provenance-${n}.json`);
      await writeFile(statement, JSON.stringify({ predicateType: 'https://slsa.dev/provenance/v1', predicate: { buildDefinition: { buildType: 'https://example.com/build/v1' } } }));
      const attached = await runEpack(['attach', ref, '--attestation', statement, '--key', ours.key, '--tlog-upload=false', '--json']);
      expect(attached.code, attached.stderr).toBe(0);
      expect(JSON.parse(attached.stdout)).toMatchObject({ predicateType: 'https://slsa.dev/provenance/v1', subject: { digest } });
      const args = ['verify-attestation', '--insecure-ignore-tlog', '--allow-http-registry', '--type', 'slsaprovenance1'];
      const ok = await runTool('cosign', [...args, '--key', ours.pub, ref]);
      expect(ok.code, ok.stderr).toBe(0);
      const envelope = JSON.parse(ok.stdout.trim().split('\n')[0]!) as { payload: string };
      const verified = JSON.parse(Buffer.from(envelope.payload, 'base64').toString()) as { predicateType: string; subject: Array<{ digest: { sha256: string } }> };
      expect(verified.predicateType).toBe('https://slsa.dev/provenance/v1');
      expect(`sha256:${verified.subject[0]!.digest.sha256}`).toBe(digest);
      const wrong = await runTool('cosign', [...args, '--key', cosignPub, ref]);
      expect(wrong.code).not.toBe(0);
    });

    it.skipIf(!cosign2)('cosign v2.6.4 --new-bundle-format verifies what epack signs and attaches, by key', async () => {
      const { ref, digest } = await pushImage();
      expect((await runEpack(['sign', ref, '--key', ours.key, '--tlog-upload=false'])).code).toBe(0);
      const statement = path.join(dir, `provenance-v2-${n}.json`);
      await writeFile(statement, JSON.stringify({ predicateType: 'https://slsa.dev/provenance/v1', predicate: {} }));
      expect((await runEpack(['attach', ref, '--attestation', statement, '--key', ours.key, '--tlog-upload=false'])).code).toBe(0);
      // cosign v2 wants a trusted root with the new bundle format even for a key; an empty one will do.
      const emptyRoot = path.join(dir, 'empty-trusted-root.json');
      await writeFile(emptyRoot, JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' }));
      const common = ['--new-bundle-format', '--trusted-root', emptyRoot, '--insecure-ignore-tlog', '--allow-http-registry'];
      const ok = await runTool('cosign2', ['verify', ...common, '--key', ours.pub, ref]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain(digest);
      const attested = await runTool('cosign2', ['verify-attestation', ...common, '--type', 'slsaprovenance1', '--key', ours.pub, ref]);
      expect(attested.code, attested.stderr).toBe(0);
      const wrong = await runTool('cosign2', ['verify', ...common, '--key', cosignPub, ref]);
      expect(wrong.code).not.toBe(0);
    });

    it('epack verifies what cosign signs (v3 bundle referrer), by key only', async () => {
      const { ref, digest } = await pushImage();
      const signed = await runTool('cosign', ['sign', '--key', cosignKey, '--use-signing-config=false', '--tlog-upload=false', '--allow-http-registry', '-y', `${ref.split(':v')[0]}@${digest}`], {
        env: { COSIGN_PASSWORD: '' },
      });
      expect(signed.code, signed.stderr).toBe(0);
      const verdict = await verify(ref, { offline: true, policy: { key: await readFile(cosignPub) } });
      expect(verdict.signatures).toHaveLength(1);
      expect(verdict.signatures[0]).toMatchObject({ mode: 'key', subjectDigest: digest });
      expect(verdict.signatures[0]!.source).toMatch(/^sha256:/);
      await expect(verify(ref, { offline: true, policy: { key: await readFile(ours.pub) } })).rejects.toMatchObject({ kind: 'verification' });
    });

    it('epack verifies legacy cosign .sig tags', async () => {
      const { ref, digest } = await pushImage();
      const signed = await runTool(
        'cosign',
        ['sign', '--key', cosignKey, '--use-signing-config=false', '--tlog-upload=false', '--new-bundle-format=false', '--allow-http-registry', '-y', `${ref.split(':v')[0]}@${digest}`],
        { env: { COSIGN_PASSWORD: '' } },
      );
      expect(signed.code, signed.stderr).toBe(0);
      const verdict = await verify(ref, { offline: true, policy: { key: await readFile(cosignPub) } });
      expect(verdict.signatures).toHaveLength(1);
      expect(verdict.signatures[0]!.source).toBe(`${digest.replace(':', '-')}.sig#0`);
      await expect(verify(ref, { offline: true, policy: { key: await readFile(ours.pub) } })).rejects.toMatchObject({ kind: 'verification' });
    });

    it('epack verifies cosign attestations (v3 referrer and legacy .att) by predicate type', async () => {
      const predicate = path.join(dir, 'predicate.json');
      await writeFile(predicate, JSON.stringify({ buildType: 'https://example.com/build/v1' }));
      const type = 'https://example.com/predicate/v1';
      for (const legacy of [false, true]) {
        const { ref, digest } = await pushImage();
        const attested = await runTool(
          'cosign',
          ['attest', '--key', cosignKey, '--use-signing-config=false', '--tlog-upload=false', `--new-bundle-format=${!legacy}`, '--type', type, '--predicate', predicate, '--allow-http-registry', '-y', `${ref.split(':v')[0]}@${digest}`],
          { env: { COSIGN_PASSWORD: '' } },
        );
        expect(attested.code, attested.stderr).toBe(0);
        const verdict = await verify(ref, { offline: true, predicateType: type, policy: { key: await readFile(cosignPub) } });
        expect(verdict.signatures).toHaveLength(1);
        expect(verdict.signatures[0]).toMatchObject({ predicateType: type, subjectDigest: digest });
        expect(verdict.signatures[0]!.source.endsWith('.att#0')).toBe(legacy);
        await expect(verify(ref, { offline: true, policy: { key: await readFile(cosignPub) } })).rejects.toMatchObject({ code: 'no_signatures' });
      }
    });
  });
}

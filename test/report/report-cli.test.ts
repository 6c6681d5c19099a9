/**
 * `epack report` end to end: a pack built by `epack build` from the
 * real-world samples, key-signed by `epack sign`, reported from the file,
 * from an OCI layout and from a real registry (olareg), with --previous.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEpack } from '../harness/cli.js';
import { registryAvailable, startRegistry, type RunningRegistry } from '../harness/registries.js';
import { sharedPath } from '../harness/tools.js';

const samples = sharedPath('samples', 'real-world');
const d = samples ? describe : describe.skip;

d('epack report', () => {
  let dir: string;
  let pack: string;
  let previous: string;
  const sample = (name: string) => path.join(samples!, name);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'epack-report-cli-'));
    pack = path.join(dir, 'evidence.epack');
    previous = path.join(dir, 'previous.epack');
    const common = ['--stream', 'acme/prod/evidence'];
    const files = [
      `${sample('syft-0.83.0-kong-atc-router.spdx.json')}:sbom/atc-router.spdx.json`,
      `${sample('trivy-alpine-310.sarif')}:scans/trivy.sarif`,
      `${sample('dorny-pulsar-surefire.junit.xml')}:tests/junit.xml`,
      `${sample('dorny-mocha-groups.png')}:screenshots/report.png`,
    ];
    const built = await runEpack(['build', pack, ...files.flatMap((f) => ['-f', f]), ...common, '--source', 'github-actions@2.0']);
    expect(built.code, built.stderr).toBe(0);
    const old = await runEpack(['build', previous, ...files.slice(0, 2).flatMap((f) => ['-f', f]), '-f', `${sample('dorny-jest.junit.xml')}:tests/junit.xml`, ...common, '--source', 'github-actions@1.0']);
    expect(old.code, old.stderr).toBe(0);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(path.join(dir, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(path.join(dir, 'key.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    writeFileSync(path.join(dir, 'other.pub'), other.export({ type: 'spki', format: 'pem' }));
    const signed = await runEpack(['sign', pack, '--key', path.join(dir, 'key.pem'), '--tlog-upload=false', '-y']);
    expect(signed.code, signed.stderr).toBe(0);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes index.html and prints its path', async () => {
    const out = path.join(dir, 'report');
    const r = await runEpack(['report', pack, '-o', out, '--previous', previous]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(path.join(out, 'index.html'));
    const html = readFileSync(path.join(out, 'index.html'), 'utf8');
    expect(html).toMatch(/data-metric="junit.tests">808</);
    expect(html).toMatch(/data-metric="sarif.results">4</);
    expect(html).toMatch(/data-metric="spdx.packages">44</);
    expect(html).toContain('Tests: 6 → 808');
    expect(html).toContain('data:image/png;base64,');
    expect(html).toContain(`epack verify ${pack} --key public-key.pem`);
  });

  it('prints the report model with --json (without inline image bytes)', async () => {
    const out = path.join(dir, 'report-json');
    const r = await runEpack(['report', pack, '-o', out, '--json', '--max-inline-image', '0']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.path).toBe(path.join(out, 'index.html'));
    expect(result.report.artifacts.map((a: { summary: { kind: string } }) => a.summary.kind).sort()).toEqual(['image', 'junit', 'sarif', 'spdx']);
    expect(result.report.signatures).toEqual([expect.objectContaining({ mode: 'key' })]);
    expect(r.stdout).not.toContain('base64');
    expect(readFileSync(result.path, 'utf8')).not.toContain('data:image/png');
  });

  it('verifies the signatures with policy flags, and shows the verdict', async () => {
    const ok = await runEpack(['report', pack, '-o', path.join(dir, 'report-ok'), '--key', path.join(dir, 'key.pub'), '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const good = JSON.parse(ok.stdout);
    expect(good.verified).toBe(true);
    expect(good.report.signatures).toEqual([expect.objectContaining({ verified: true, mode: 'key', location: 'pack' })]);
    expect(good.report.signatures[0].ruleMet).toBeTruthy();
    expect(readFileSync(good.path, 'utf8')).toContain('<span class="badge ok">verified</span>');

    const bad = await runEpack(['report', pack, '-o', path.join(dir, 'report-bad'), '--key', path.join(dir, 'other.pub'), '--json']);
    expect(bad.code).toBe(1);
    const failed = JSON.parse(bad.stdout);
    expect(failed.verified).toBe(false);
    expect(failed.report.signatures).toEqual([expect.objectContaining({ verified: false })]);
    expect(readFileSync(failed.path, 'utf8')).toContain('<span class="badge bad">failed</span>');
    expect(bad.stderr).toMatch(/verification_failed/);
  });

  it('fails with the documented exit codes', async () => {
    const missing = await runEpack(['report', path.join(dir, 'nope.epack'), '-o', path.join(dir, 'x')]);
    expect(missing.code).toBe(3);
    const blocked = path.join(dir, 'a-file');
    writeFileSync(blocked, '');
    const unwritable = await runEpack(['report', pack, '-o', path.join(blocked, 'sub'), '--json']);
    expect(unwritable.code).toBe(2);
    expect(JSON.parse(unwritable.stderr).error.code).toBe('report_write_failed');
    const noOutput = await runEpack(['report', pack]);
    expect(noOutput.code).toBe(2);
  });

  it('reports a pack in an OCI layout, pinned to its digest', async () => {
    const layout = `oci:${path.join(dir, 'layout')}:v1`;
    const pushed = await runEpack(['push', layout, pack]);
    expect(pushed.code, pushed.stderr).toBe(0);
    const r = await runEpack(['report', layout, '-o', path.join(dir, 'report-layout'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { report } = JSON.parse(r.stdout);
    expect(report.reference).toMatch(new RegExp(`^oci:${path.join(dir, 'layout')}@sha256:[0-9a-f]{64}$`));
    expect(report.verifyCommands.map((c: { command: string }) => c.command)).toContain(`epack verify ${report.reference} --key public-key.pem`);
  });

  describe('from a registry', () => {
    let registry: RunningRegistry | undefined;
    beforeAll(async () => {
      if (registryAvailable('olareg')) registry = await startRegistry('olareg');
    });
    afterAll(async () => {
      await registry?.stop();
    });

    it('reads the pack by reference, compared with a previous one by reference', async (ctx) => {
      if (!registry) return ctx.skip();
      const ref = `${registry.host}/acme/evidence`;
      // v2 is also signed in the registry (a cosign-style bundle referrer), with the same key.
      for (const [file, tag, sign] of [[pack, 'v2', ['--key', path.join(dir, 'key.pem'), '--tlog-upload=false']], [previous, 'v1', []]] as const) {
        const pushed = await runEpack(['push', `${ref}:${tag}`, file, ...sign]);
        expect(pushed.code, pushed.stderr).toBe(0);
      }
      const out = path.join(dir, 'report-registry');
      const r = await runEpack(['report', `${ref}:v2`, '-o', out, '--previous', `${ref}:v1`, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const { report } = JSON.parse(r.stdout);
      expect(report.reference).toMatch(new RegExp(`^${ref}@sha256:[0-9a-f]{64}$`));
      expect(report.changes.changed.map((c: { path: string }) => c.path)).toEqual(['artifacts/tests/junit.xml']);
      expect(report.artifacts.find((a: { path: string }) => a.path === 'artifacts/tests/junit.xml').summary.counted.tests).toBe(808);
      expect(existsSync(path.join(out, 'index.html'))).toBe(true);
      // Without a policy: the embedded attestation and the registry signature, as claims, with the commands.
      expect(report.signatures.map((s: { location?: string; mode?: string; verified?: boolean }) => [s.location ?? 'pack', s.mode, s.verified])).toEqual([
        ['pack', 'key', undefined],
        ['registry', 'key', undefined],
      ]);
      const commands = report.verifyCommands.map((c: { command: string }) => c.command);
      expect(commands).toEqual([`epack verify ${report.reference} --key public-key.pem`, `cosign verify ${report.reference} --key public-key.pem`]);

      // With a policy: both verified (the registry signature and the pack's own attestation).
      const verified = await runEpack(['report', `${ref}:v2`, '-o', path.join(dir, 'report-registry-verified'), '--key', path.join(dir, 'key.pub'), '--json']);
      expect(verified.code, verified.stderr).toBe(0);
      const v = JSON.parse(verified.stdout);
      expect(v.verified).toBe(true);
      expect(v.report.signatures.map((s: { location?: string; verified?: boolean }) => [s.location, s.verified]).sort()).toEqual([
        ['pack', true],
        ['registry', true],
      ]);
    });
  });
});

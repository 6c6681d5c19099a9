/**
 * Runs examples/trust-pack/run.sh end to end (real cyclonedx-npm, vitest,
 * ESLint; build, sign, push to an OCI layout, discover, pull, verify, report)
 * and checks that what it produced is real evidence about this project.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../../test/harness/tools.js';

const CLI = path.join(REPO_ROOT, 'packages/cli/bin/epack.js');

interface CdxComponent {
  name: string;
  group?: string;
  version?: string;
  purl?: string;
  components?: CdxComponent[];
}

function flatten(components: CdxComponent[] | undefined): CdxComponent[] {
  return (components ?? []).flatMap((c) => [c, ...flatten(c.components)]);
}

function fullName(c: CdxComponent): string {
  return c.group ? `${c.group}/${c.name}` : c.name;
}

function installedVersion(packageDir: string): string {
  return (JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
}

function epack(args: string[]): { code: number; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

describe('examples/trust-pack', () => {
  let out: string;
  let log: string;

  beforeAll(() => {
    out = mkdtempSync(path.join(tmpdir(), 'epack-trust-pack-'));
    const res = spawnSync('bash', [path.join(REPO_ROOT, 'examples/trust-pack/run.sh')], {
      encoding: 'utf8',
      env: { ...process.env, EPACK_EXAMPLE_OUT: out, EPACK_EXAMPLE_SKIP_BUILD: '1', NO_COLOR: '1' },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 280_000,
    });
    log = `${res.stdout}\n${res.stderr}`;
    expect(res.status, log).toBe(0);
  }, 300_000);

  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('has a real CycloneDX SBOM of the dependencies epack ships, at their installed versions', () => {
    const bom = JSON.parse(readFileSync(path.join(out, 'evidence/sbom/epack-cli.cdx.json'), 'utf8')) as {
      bomFormat: string;
      specVersion: string;
      metadata: { component: CdxComponent; tools: { components: CdxComponent[] } };
      components: CdxComponent[];
      dependencies: unknown[];
    };
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.specVersion).toBe('1.6');
    expect(fullName(bom.metadata.component)).toBe('@epack/cli');
    expect(bom.metadata.tools.components.map(fullName)).toContain('@cyclonedx/cyclonedx-npm');
    const components = flatten(bom.components);
    const byName = new Map(components.map((c) => [fullName(c), c]));
    const ociPack = path.join(REPO_ROOT, 'packages/oci-pack/node_modules');
    for (const name of ['undici', 'yauzl', 'yazl', '@sigstore/sign', 'saxes']) {
      expect(byName.get(name)?.version, name).toBe(installedVersion(path.join(ociPack, name)));
    }
    expect(byName.get('yargs')?.version).toBe(installedVersion(path.join(REPO_ROOT, 'packages/cli/node_modules/yargs')));
    expect(byName.get('@epack/oci-pack')?.purl).toMatch(/^pkg:npm\/%40epack\/oci-pack@/);
    // Production dependencies only: our dev tools are not what we ship.
    for (const dev of ['vitest', 'typescript', 'eslint', 'tsx']) expect(byName.has(dev), dev).toBe(false);
    expect(bom.dependencies.length).toBeGreaterThan(10);
  });

  it('has real JUnit XML of our tests: the cases run, none failed', () => {
    const xml = readFileSync(path.join(out, 'evidence/tests/junit.xml'), 'utf8');
    const root = /<testsuites\b[^>]*\btests="(\d+)"[^>]*\bfailures="(\d+)"[^>]*\berrors="(\d+)"/.exec(xml);
    expect(root, xml.slice(0, 500)).not.toBeNull();
    const [, tests, failures, errors] = root!.map(Number);
    const cases = xml.match(/<testcase\b/g)?.length ?? 0;
    expect(tests).toBeGreaterThan(20);
    expect(cases).toBe(tests);
    expect(failures).toBe(0);
    expect(errors).toBe(0);
    expect(xml).toContain('packages/oci-pack/test/pack/jcs.test.ts');
    expect(xml).toContain('packages/oci-pack/test/pack/json.test.ts');
  });

  it('has valid SARIF from ESLint over our sources', () => {
    const sarif = JSON.parse(readFileSync(path.join(out, 'evidence/lint/eslint.sarif'), 'utf8')) as {
      version: string;
      $schema: string;
      runs: { tool: { driver: { name: string; version?: string } }; results: { ruleId?: string; level?: string }[]; artifacts?: { location: { uri: string } }[] }[];
    };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.$schema).toMatch(/sarif/);
    expect(sarif.runs).toHaveLength(1);
    const run = sarif.runs[0]!;
    expect(run.tool.driver.name).toBe('ESLint');
    expect(run.tool.driver.version).toBe(installedVersion(path.join(REPO_ROOT, 'examples/node_modules/eslint')));
    expect(Array.isArray(run.results)).toBe(true);
    const uris = (run.artifacts ?? []).map((a) => a.location.uri);
    expect(uris.some((u) => u.endsWith('/packages/oci-pack/src/pack/build.ts'))).toBe(true);
    expect(uris.some((u) => u.endsWith('/packages/cli/src/main.ts'))).toBe(true);
  });

  it('packed the three artifacts with the tools as sources', () => {
    const res = epack(['inspect', path.join(out, 'epack-trust.epack'), '--json']);
    expect(res.code, res.stderr).toBe(0);
    const text = res.stdout;
    for (const p of ['artifacts/sbom/epack-cli.cdx.json', 'artifacts/tests/junit.xml', 'artifacts/lint/eslint.sarif']) expect(text).toContain(p);
    for (const tool of ['@cyclonedx/cyclonedx-npm', 'vitest', 'eslint', 'typescript-eslint', '@microsoft/eslint-formatter-sarif']) expect(text).toContain(`"${tool}"`);
    expect(text).toContain('epack/trust-pack');
  });

  it('verifies with the example key, and not with another key', () => {
    const pack = path.join(out, 'epack-trust.epack');
    const ok = epack(['verify', pack, '--key', path.join(out, 'keys/signing.pub')]);
    expect(ok.code, ok.stderr).toBe(0);
    const other = path.join(out, 'other.pub');
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(other, publicKey.export({ type: 'spki', format: 'pem' }));
    const bad = epack(['verify', pack, '--key', other]);
    expect(bad.code).toBe(1);
  });

  it('pulled back a byte-identical pack from the OCI layout, with a signature referrer', () => {
    expect(sha256(path.join(out, 'pulled.epack'))).toBe(sha256(path.join(out, 'epack-trust.epack')));
    expect(existsSync(path.join(out, 'store/index.json'))).toBe(true);
    expect(log).toContain('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(log).toContain('the pulled pack is byte-identical to the pushed one');
  });

  it('wrote the reports, which show the SBOM component count and the verified signatures', () => {
    const bom = JSON.parse(readFileSync(path.join(out, 'evidence/sbom/epack-cli.cdx.json'), 'utf8')) as { components: CdxComponent[] };
    const count = flatten(bom.components).length;
    const html = readFileSync(path.join(out, 'report/index.html'), 'utf8');
    expect(html).toContain(`${count} components`);
    expect(html).toContain('ESLint');
    expect(html).toContain('Policy rule met');
    const buildReport = readFileSync(path.join(out, 'build-report/index.html'), 'utf8');
    expect(buildReport).toContain(`${count} components`);
  });

  it('keeps the throwaway key in the output folder only', () => {
    expect(readdirSync(path.join(out, 'keys')).sort()).toEqual(['signing.pem', 'signing.pub']);
    const ignored = spawnSync('git', ['check-ignore', '-q', '.tmp/examples/trust-pack/keys/signing.pem'], { cwd: REPO_ROOT });
    expect(ignored.status).toBe(0);
  });
});

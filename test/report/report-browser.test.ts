/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The report of a pack built from the real-world samples, opened from
 * file:// in Debian's chromium (driven by playwright-core): no console
 * errors, no network, the numbers of the inputs, every link reachable by
 * keyboard, no horizontal overflow at 375px, no axe-core WCAG 2.1 A/AA
 * violation (light and dark scheme). Screenshots go to .tmp/report-screenshots/.
 */
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../packages/oci-pack/src/report/index.js';
import { buildPack, openPack, rewritePackWithAttestation } from '../../packages/oci-pack/src/pack/index.js';
import { sampleArtifacts } from '../../packages/oci-pack/test/report/fake-pack.js';
import { REPO_ROOT, requireTool, sharedPath } from '../harness/tools.js';

const SUITE = 'report browser tests';
const chromiumPath = requireTool('chromium', SUITE);
const samples = sharedPath('samples', 'real-world');
const d = chromiumPath && samples ? describe : describe.skip;
const SCREENSHOTS = path.join(REPO_ROOT, '.tmp', 'report-screenshots');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Sample file -> path in the pack. */
const SAMPLE_FILES: [string, string][] = [
  ['syft-0.83.0-kong-atc-router.spdx.json', 'sbom/atc-router.spdx.json'],
  ['bitnami-postgresql-17.2.0.spdx.json', 'sbom/postgresql.spdx.json'],
  ['cyclonedx-npm-bundled-deps.cdx15.cdx.json', 'sbom/npm-bundled.cdx.json'],
  ['trivy-npm.cdx16.cdx.json', 'sbom/trivy-npm.cdx.json'],
  ['trivy-alpine-310.sarif', 'scans/trivy-alpine.sarif'],
  ['codeql-2.25.5-windows-drivers-IrqlTooHigh.sarif', 'scans/codeql-irql.sarif'],
  ['dorny-jest.junit.xml', 'tests/jest.junit.xml'],
  ['dorny-pulsar-surefire.junit.xml', 'tests/pulsar.junit.xml'],
  ['go-licenses-complex.csv', 'licenses/go-licenses.csv'],
  ['slsa-github-generator-v2.0.0-generic.intoto.jsonl', 'provenance/slsa-generic.intoto.jsonl'],
  ['bcr-rules_lint-v1.3.1-provenance.sigstore.json', 'provenance/rules_lint.sigstore.json'],
  ['dorny-mocha-groups.png', 'screenshots/mocha-groups.png'],
];

interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  nodes: { target: string[] }[];
}

d(SUITE, () => {
  let browser: Browser;
  let dir: string;
  let url: string;
  const consoleErrors: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    mkdirSync(path.join(REPO_ROOT, '.tmp'), { recursive: true });
    dir = await mkdtemp(path.join(REPO_ROOT, '.tmp', 'report-browser-'));
    // Real packs, built from the samples by the pack builder and opened by the pack reader.
    const artifacts = sampleArtifacts(samples!);
    const byName = (needle: string) => artifacts.find((a) => a.path.includes(needle))!;
    const mappings = SAMPLE_FILES.map(([file, dest]) => `${path.join(samples!, file)}:${dest}`);
    const packFile = path.join(dir, 'evidence.epack');
    await buildPack({ out: packFile, stream: 'acme/prod/evidence', sources: ['github-actions@1.0'], mappings, generatedAt: '2026-11-20T10:00:00Z' });
    await rewritePackWithAttestation(packFile, 'release.sigstore.json', readFileSync(path.join(samples!, 'bcr-rules_lint-v1.3.1-provenance.sigstore.json')));
    // The previous pack: no screenshot, and the jest report where the Surefire one is now.
    const previousDir = path.join(dir, 'previous');
    mkdirSync(previousDir);
    writeFileSync(path.join(previousDir, 'pulsar.junit.xml'), byName('jest').bytes);
    const previousMappings = mappings.filter((m) => !m.endsWith('.png') && !m.includes('pulsar')).concat(`${path.join(previousDir, 'pulsar.junit.xml')}:tests/pulsar.junit.xml`);
    const previousFile = path.join(dir, 'previous.epack');
    await buildPack({ out: previousFile, stream: 'acme/prod/evidence', sources: ['github-actions@0.9'], mappings: previousMappings, generatedAt: '2026-10-01T00:00:00Z' });
    const pack = await openPack(packFile);
    const previous = await openPack(previousFile);
    let written;
    try {
      written = await writeReport(path.join(dir, 'report'), pack, {
        previous,
        packArgument: 'evidence.epack',
        reference: `ghcr.io/acme/evidence@sha256:${'a'.repeat(64)}`,
        generator: 'epack (test)',
      });
    } finally {
      await pack.close();
      await previous.close();
    }
    url = pathToFileURL(written.path).href;
    browser = await chromium.launch({
      executablePath: chromiumPath!,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function open(width: number, colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height: 900 }, colorScheme });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (r.url() !== url && !r.url().startsWith('data:')) requests.push(r.url());
    });
    await page.goto(url, { waitUntil: 'load' });
    return page;
  }

  async function axe(page: Page): Promise<AxeViolation[]> {
    // evaluate() runs over the DevTools protocol, outside the page's CSP (which forbids scripts).
    await page.evaluate(axeSource);
    return page.evaluate(async () => {
      const result = await (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: AxeViolation[] }> } }).axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      });
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target })) }));
    });
  }

  it('shows the numbers of the inputs, with no console error and no network request', async () => {
    const page = await open(1280);
    // data-metric values per artifact path (as shown in the artifact's "Path" row), and the pack's own.
    const shown = await page.evaluate(() => {
      const out: Record<string, Record<string, number[]>> = {};
      const collect = (root: Element, key: string) => {
        out[key] ??= {};
        for (const e of root.querySelectorAll('[data-metric]')) {
          ((out[key] ??= {})[e.getAttribute('data-metric')!] ??= []).push(Number(e.textContent!.replace(/,/g, '')));
        }
      };
      for (const article of document.querySelectorAll('article.artifact')) collect(article, article.querySelector('dd code')!.textContent!);
      collect(document.querySelector('#overview')!, 'overview');
      collect(document.querySelector('#changes')!, 'changes');
      return out;
    });
    const metric = (dest: string, name: string) => shown[`artifacts/${dest}`]?.[name];
    const json = (name: string): any => JSON.parse(readFileSync(path.join(samples!, name), 'utf8'));
    const text = (name: string) => readFileSync(path.join(samples!, name), 'utf8');
    const count = (t: string, re: RegExp) => [(t.match(re) ?? []).length];

    expect(Object.keys(shown).filter((k) => k.startsWith('artifacts/')).sort()).toEqual(SAMPLE_FILES.map(([, dest]) => `artifacts/${dest}`).sort());
    expect(metric('sbom/atc-router.spdx.json', 'spdx.packages')).toEqual([json('syft-0.83.0-kong-atc-router.spdx.json').packages.length]);
    expect(metric('sbom/atc-router.spdx.json', 'spdx.relationships')).toEqual([json('syft-0.83.0-kong-atc-router.spdx.json').relationships.length]);
    expect(metric('sbom/postgresql.spdx.json', 'spdx.packages')).toEqual([json('bitnami-postgresql-17.2.0.spdx.json').packages.length]);
    expect(metric('sbom/npm-bundled.cdx.json', 'cyclonedx.components')).toEqual([json('cyclonedx-npm-bundled-deps.cdx15.cdx.json').components.length]);
    expect(metric('sbom/trivy-npm.cdx.json', 'cyclonedx.components')).toEqual([json('trivy-npm.cdx16.cdx.json').components.length]);
    expect(metric('sbom/trivy-npm.cdx.json', 'cyclonedx.vulnerabilities')).toEqual([json('trivy-npm.cdx16.cdx.json').vulnerabilities.length]);
    expect(metric('scans/trivy-alpine.sarif', 'sarif.results')).toEqual([json('trivy-alpine-310.sarif').runs[0].results.length]);
    expect(metric('scans/trivy-alpine.sarif', 'sarif.level.warning')).toEqual([json('trivy-alpine-310.sarif').runs[0].results.filter((r: any) => r.level === 'warning').length]);
    expect(metric('scans/codeql-irql.sarif', 'sarif.results')).toEqual([json('codeql-2.25.5-windows-drivers-IrqlTooHigh.sarif').runs[0].results.length]);
    for (const [file, dest] of [['dorny-jest.junit.xml', 'tests/jest.junit.xml'], ['dorny-pulsar-surefire.junit.xml', 'tests/pulsar.junit.xml']] as const) {
      expect(metric(dest, 'junit.tests'), dest).toEqual(count(text(file), /<testcase\b/g));
      expect(metric(dest, 'junit.failures'), dest).toEqual(count(text(file), /<failure\b/g));
      expect(metric(dest, 'junit.errors'), dest).toEqual(count(text(file), /<error\b/g));
      expect(metric(dest, 'junit.skipped'), dest).toEqual(count(text(file), /<skipped\b/g));
    }
    expect(metric('licenses/go-licenses.csv', 'csv.records')).toEqual([text('go-licenses-complex.csv').split('\n').filter((l) => l.trim()).length]);
    expect(metric('provenance/slsa-generic.intoto.jsonl', 'provenance.subjects')).toEqual([
      JSON.parse(Buffer.from(JSON.parse(text('slsa-github-generator-v2.0.0-generic.intoto.jsonl')).payload, 'base64').toString()).subject.length,
    ]);
    expect(shown['overview']!['pack.artifacts']).toEqual([SAMPLE_FILES.length]);
    expect(shown['changes']).toMatchObject({ 'changes.added': [1], 'changes.changed': [1], 'changes.removed': [0], 'changes.unchanged': [SAMPLE_FILES.length - 2] });
    // The signer the attestation claims, and the command to verify it.
    const signatures = await page.textContent('#signatures');
    expect(signatures).toContain('https://github.com/bazel-contrib/.github/.github/workflows/release_ruleset.yaml@refs/tags/v7.1.0');
    expect(signatures).toContain('188622791');
    expect(signatures).toContain('epack verify evidence.epack --issuer https://token.actions.githubusercontent.com --subject https://github.com/bazel-contrib/');

    const img = await page.$eval('figure img', (e) => ({ w: (e as HTMLImageElement).naturalWidth, h: (e as HTMLImageElement).naturalHeight }));
    expect(img).toEqual({ w: 797, h: 582 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'report-desktop.png'), fullPage: true });
    await page.close();
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([]);
  });

  it('works from a static host: the server sees one request, for the page', async () => {
    const html = readFileSync(fileURLToPath(url));
    const hits: string[] = [];
    const server = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
      res.end(req.url === '/' ? html : '');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { waitUntil: 'networkidle' });
      expect(await page.title()).toBe('Evidence pack report: acme/prod/evidence');
      expect(await page.$eval('figure img', (e) => (e as HTMLImageElement).naturalWidth)).toBe(797);
      await page.close();
      expect(errors).toEqual([]);
      expect(hits).toEqual(['/']);
    } finally {
      server.close();
    }
  });

  it('reaches every link with the keyboard, in document order', async () => {
    const page = await open(1280);
    const links = await page.$$eval('a[href]', (els) => els.length);
    expect(links).toBeGreaterThan(15);
    // Record every element that receives focus, then tab through the page.
    await page.evaluate(() => {
      const w = window as unknown as { reached: number[] };
      w.reached = [];
      const all = [...document.querySelectorAll('a[href]')];
      document.addEventListener('focusin', (e) => w.reached.push(all.indexOf(e.target as Element)));
    });
    for (let i = 0; i < links + 10; i++) await page.keyboard.press('Tab');
    const order = await page.evaluate(() => (window as unknown as { reached: number[] }).reached);
    const reached = order.filter((x, i) => x >= 0 && order.indexOf(x) === i);
    expect(reached).toEqual([...Array(links).keys()]);
    await page.close();
    // The skip link comes first and moves focus to the main content.
    const fresh = await open(1280);
    await fresh.keyboard.press('Tab');
    expect(await fresh.evaluate(() => document.activeElement?.textContent)).toBe('Skip to the report');
    await fresh.keyboard.press('Enter');
    expect(await fresh.evaluate(() => [location.hash, document.activeElement?.id])).toEqual(['#main', 'main']);
    await fresh.close();
  });

  it('has no horizontal overflow on a 375px screen', async () => {
    const page = await open(375);
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll('main *')]
        .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .slice(0, 5)
        .map((e) => e.tagName + ' ' + (e.textContent ?? '').slice(0, 40)),
    );
    expect(wide).toEqual([]);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'report-375.png'), fullPage: true });
    await page.close();
  });

  it('has no axe-core WCAG 2.1 A/AA violations, in the light and the dark scheme', async () => {
    const light = await open(1280);
    expect(await axe(light), 'light').toEqual([]);
    await light.setViewportSize({ width: 375, height: 900 });
    expect(await axe(light), 'light, 375px').toEqual([]);
    await light.close();
    const dark = await open(1280, 'dark');
    expect(await axe(dark), 'dark').toEqual([]);
    await dark.screenshot({ path: path.join(SCREENSHOTS, 'report-dark.png') });
    await dark.close();
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([]);
  });
});

/**
 * The report of a pack built from the real-world samples, opened from
 * file:// in Debian's chromium (driven by playwright-core): no console
 * errors, no network, the numbers of the inputs, every link reachable by
 * keyboard, no horizontal overflow at 375px, no axe-core WCAG 2.1 A/AA
 * violation (light and dark scheme). Screenshots go to .tmp/report-screenshots/.
 */
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../packages/oci-pack/src/report/index.js';
import { fakePack, sampleArtifacts } from '../../packages/oci-pack/test/report/fake-pack.js';
import { REPO_ROOT, requireTool, sharedPath } from '../harness/tools.js';

const SUITE = 'report browser tests';
const chromiumPath = requireTool('chromium', SUITE);
const samples = sharedPath('samples', 'real-world');
const d = chromiumPath && samples ? describe : describe.skip;
const SCREENSHOTS = path.join(REPO_ROOT, '.tmp', 'report-screenshots');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

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
    const bundle = readFileSync(path.join(samples!, 'bcr-rules_lint-v1.3.1-provenance.sigstore.json'));
    const artifacts = sampleArtifacts(samples!);
    const previous = fakePack({
      generatedAt: '2026-10-01T00:00:00Z',
      artifacts: artifacts.filter((a) => !a.path.endsWith('.png')).map((a) => (a.path.includes('pulsar') ? { ...a, bytes: artifacts.find((x) => x.path.includes('jest'))!.bytes } : a)),
    });
    const pack = fakePack({ artifacts, attestations: { 'attestations/release.sigstore.json': bundle } });
    const written = await writeReport(dir, pack, {
      previous,
      packArgument: 'evidence.epack',
      reference: `ghcr.io/acme/evidence@sha256:${'a'.repeat(64)}`,
      generator: 'epack (test)',
    });
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
    const shown = await page.$$eval('[data-metric]', (els) => els.map((e) => [e.getAttribute('data-metric')!, e.textContent!.replace(/,/g, '')]));
    const metric = (name: string) => shown.filter(([k]) => k === name).map(([, v]) => Number(v));
    const json = (name: string): any => JSON.parse(readFileSync(path.join(samples!, name), 'utf8'));
    const xml = (name: string) => readFileSync(path.join(samples!, name), 'utf8');
    const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

    expect(metric('spdx.packages')).toEqual([json('syft-0.83.0-kong-atc-router.spdx.json').packages.length, json('bitnami-postgresql-17.2.0.spdx.json').packages.length]);
    expect(metric('cyclonedx.components')).toEqual([json('cyclonedx-npm-bundled-deps.cdx15.cdx.json').components.length, json('trivy-npm.cdx16.cdx.json').components.length]);
    expect(metric('cyclonedx.vulnerabilities')).toEqual([0, json('trivy-npm.cdx16.cdx.json').vulnerabilities.length]);
    expect(metric('sarif.results')).toEqual([json('trivy-alpine-310.sarif').runs[0].results.length, json('codeql-2.25.5-windows-drivers-IrqlTooHigh.sarif').runs[0].results.length]);
    const jest = xml('dorny-jest.junit.xml');
    const pulsar = xml('dorny-pulsar-surefire.junit.xml');
    expect(metric('junit.tests')).toEqual([count(jest, /<testcase\b/g), count(pulsar, /<testcase\b/g)]);
    expect(metric('junit.failures')).toEqual([count(jest, /<failure\b/g), count(pulsar, /<failure\b/g)]);
    expect(metric('junit.skipped')).toEqual([count(jest, /<skipped\b/g), count(pulsar, /<skipped\b/g)]);
    expect(metric('csv.records')).toEqual([xml('go-licenses-complex.csv').split('\n').filter((l) => l.trim()).length]);
    expect(metric('pack.artifacts')).toEqual([12]);
    expect(metric('changes.added')).toEqual([1]);
    expect(metric('changes.changed')).toEqual([1]);

    const img = await page.$eval('figure img', (e) => ({ w: (e as HTMLImageElement).naturalWidth, h: (e as HTMLImageElement).naturalHeight }));
    expect(img).toEqual({ w: 797, h: 582 });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'report-desktop.png'), fullPage: true });
    await page.close();
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([]);
  });

  it('reaches every link with the keyboard, in document order', async () => {
    const page = await open(1280);
    const links = await page.$$eval('a[href]', (els) => els.length);
    expect(links).toBeGreaterThan(15);
    const reached: number[] = [];
    for (let i = 0; i < links + 40; i++) {
      await page.keyboard.press('Tab');
      const index = await page.evaluate(() => [...document.querySelectorAll('a[href]')].indexOf(document.activeElement as Element));
      if (index >= 0 && !reached.includes(index)) reached.push(index);
      if (reached.length === links) break;
    }
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
    for (const scheme of ['light', 'dark'] as const) {
      const page = await open(1280, scheme);
      expect(await axe(page), scheme).toEqual([]);
      if (scheme === 'dark') await page.screenshot({ path: path.join(SCREENSHOTS, 'report-dark.png') });
      await page.setViewportSize({ width: 375, height: 900 });
      expect(await axe(page), `${scheme} 375px`).toEqual([]);
      await page.close();
    }
    expect(consoleErrors).toEqual([]);
    expect(requests).toEqual([]);
  });
});

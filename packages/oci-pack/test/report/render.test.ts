import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderReport, REPORT_CSP, writeReport } from '../../src/report/index.js';
import { sharedPath } from '../../../../test/harness/tools.js';
import { fakePack, sampleArtifacts } from './fake-pack.js';

const samples = sharedPath('samples', 'real-world');
const d = samples ? describe : describe.skip;
const temps: string[] = [];
afterAll(async () => {
  for (const t of temps) await rm(t, { recursive: true, force: true });
});

function metrics(html: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of html.matchAll(/data-metric="([^"]+)">([^<]*)</g)) (out[m[1]!] ??= []).push(m[2]!.replace(/,/g, ''));
  return out;
}

describe('escaping and self-containment', () => {
  const evil = '<script>alert(1)</script>';
  const pack = fakePack({
    stream: `acme/"><img src=x onerror=alert(1)>`,
    sources: [{ name: '<b>ci</b>', version: "1'\"", extra: { a: '</code><script>' } }],
    artifacts: [
      { path: `artifacts/${evil}.txt`, bytes: Buffer.from('hello'), display_name: `"><iframe src="https://evil.example/">`, description: '<a href="javascript:alert(1)">x</a>' },
      { path: 'artifacts/x.csv', bytes: Buffer.from('"<script>",1\n'), content_type: 'text/csv' },
      {
        path: 'artifacts/vex.json',
        bytes: Buffer.from(JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', author: '<script>x</script>', statements: [{ vulnerability: { name: 'CVE-1' }, status: 'affected' }] })),
      },
    ],
  });

  it('escapes every attacker-controlled string', async () => {
    const { html } = await renderReport(pack);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img src=x/i);
    expect(html).not.toMatch(/<iframe/i);
    expect(html).not.toMatch(/<a href="javascript/i);
    expect(html).not.toMatch(/<b>ci/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('<dd>&lt;script&gt;x&lt;/script&gt;</dd>');
    expect(metrics(html)).toMatchObject({ 'openvex.statements': ['1'], 'openvex.affected': ['1'], 'csv.records': ['1'] });
  });

  it('is self-contained under a strict CSP', async () => {
    const { html } = await renderReport(pack);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP.replace(/'/g, '&#39;')}">`);
    // No external resource or link: every src/href is a fragment or a data: URI.
    // (the empty data: icon keeps browsers from asking the server for /favicon.ico)
    for (const m of html.matchAll(/\s(?:src|href)="([^"]*)"/g)) expect(m[1]).toMatch(/^(#|data:image\/|data:,$)/);
    expect(html.match(/<link[^>]*>/g)).toEqual(['<link rel="icon" href="data:,">']);
    expect(html).not.toMatch(/<script|@import|url\(/i);
  });
});

d('report of the real-world samples', () => {
  const artifacts = sampleArtifacts(samples!);
  const bundle = readFileSync(path.join(samples!, 'bcr-rules_lint-v1.3.1-provenance.sigstore.json'));

  it('shows the numbers of every summary', async () => {
    const pack = fakePack({ artifacts, attestations: { 'attestations/ci.sigstore.json': bundle } });
    const { html, model } = await renderReport(pack, { packArgument: 'evidence.epack', reference: 'ghcr.io/acme/evidence@sha256:' + 'a'.repeat(64) });
    const m = metrics(html);
    const json = (name: string): any => JSON.parse(readFileSync(path.join(samples!, name), 'utf8'));
    expect(m['spdx.packages']).toEqual([String(json('syft-0.83.0-kong-atc-router.spdx.json').packages.length), String(json('bitnami-postgresql-17.2.0.spdx.json').packages.length)]);
    expect(m['sarif.results']).toEqual(['4', '8']);
    expect(m['junit.tests']).toEqual(['6', '808']);
    const skipped = (name: string) => String(readFileSync(path.join(samples!, name), 'utf8').match(/<skipped\b/g)!.length);
    expect(m['junit.skipped']).toEqual([skipped('dorny-jest.junit.xml'), skipped('dorny-pulsar-surefire.junit.xml')]);
    expect(m['csv.records']).toEqual(['140']);
    expect(m['pack.artifacts']).toEqual([String(artifacts.length)]);
    expect(model.artifacts.every((a) => a.summary.kind !== 'error')).toBe(true);
    expect(html).toMatch(/<img src="data:image\/png;base64,[A-Za-z0-9+/=]+" alt="Image artifact artifacts\/screenshots\/mocha-groups.png" width="797" height="582"/);
    // The claimed signer and the command to verify it.
    expect(model.signatures).toEqual([
      expect.objectContaining({
        source: 'attestations/ci.sigstore.json',
        mode: 'keyless',
        identity: 'https://github.com/bazel-contrib/.github/.github/workflows/release_ruleset.yaml@refs/tags/v7.1.0',
        issuer: 'https://token.actions.githubusercontent.com',
        logIndex: '188622791',
      }),
    ]);
    expect(model.verifyCommands.map((c) => c.command)).toContain(
      'epack verify evidence.epack --issuer https://token.actions.githubusercontent.com --subject https://github.com/bazel-contrib/.github/.github/workflows/release_ruleset.yaml@refs/tags/v7.1.0',
    );
    expect(html).toContain('not verified');
  });

  it('shows what changed since a previous pack, with key figures', async () => {
    const previous = fakePack({
      generatedAt: '2026-10-01T00:00:00Z',
      sources: [{ name: 'github-actions', version: '0.9' }],
      artifacts: [
        ...artifacts.filter((a) => !a.path.endsWith('.png') && !a.path.includes('pulsar')),
        { path: 'artifacts/tests/pulsar.junit.xml', bytes: artifacts.find((a) => a.path.includes('jest'))!.bytes, content_type: 'application/junit+xml' },
        { path: 'artifacts/old.txt', bytes: Buffer.from('gone') },
      ],
    });
    const pack = fakePack({ artifacts });
    const { html, model } = await renderReport(pack, { previous });
    expect(model.changes).toMatchObject({
      added: [{ path: 'artifacts/screenshots/mocha-groups.png' }],
      removed: [{ path: 'artifacts/old.txt' }],
      changed: [{ path: 'artifacts/tests/pulsar.junit.xml', metrics: expect.arrayContaining([{ label: 'Tests', before: 6, after: 808 }]) }],
      unchanged: artifacts.length - 2,
      sources: [{ name: 'github-actions', before: '0.9', after: '1.0' }],
    });
    expect(html).toContain('Tests: 6 → 808');
    expect(metrics(html)['changes.unchanged']).toEqual([String(artifacts.length - 2)]);
  });

  it('flags an artifact whose bytes do not match the digest', async () => {
    const first = artifacts[0]!;
    const pack = fakePack({ artifacts: [first], tampered: { [first.path]: Buffer.from(first.bytes).fill(32, 100, 200) } });
    const { html, model } = await renderReport(pack);
    expect(model.artifacts[0]!.summary.kind).toBe('error');
    expect(html).toContain('digest mismatch');
    expect(html).not.toContain('matches digest');
  });

  it('writes index.html atomically', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'epack-report-'));
    temps.push(dir);
    const out = path.join(dir, 'nested', 'report');
    const written = await writeReport(out, fakePack({ artifacts: artifacts.slice(0, 2) }));
    expect(written.path).toBe(path.join(out, 'index.html'));
    expect(readdirSync(out)).toEqual(['index.html']);
    expect(readFileSync(written.path, 'utf8')).toMatch(/^<!DOCTYPE html>/);
    await writeReport(out, fakePack({ artifacts: artifacts.slice(0, 1) }));
    expect(readdirSync(out)).toEqual(['index.html']);
  });
});

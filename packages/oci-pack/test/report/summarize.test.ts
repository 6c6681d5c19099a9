/**
 * Summaries of the real-world samples in ../shared/samples/real-world (read
 * in place). Expected numbers are computed here another way (whole-document
 * JSON.parse, regular expressions) or were checked by hand against the file
 * (SOURCES.md there lists them too).
 */
import { createReadStream, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  summarizeArtifact,
  summarizeCsv,
  summarizeCycloneDx,
  summarizeImage,
  summarizeJunit,
  summarizeProvenance,
  summarizeSarif,
  summarizeSpdx,
} from '../../src/report/summarize/index.js';
import { sharedPath } from '../../../../test/harness/tools.js';

const samples = sharedPath('samples', 'real-world');
const d = samples ? describe : describe.skip;
const file = (name: string): string => path.join(samples ?? '', name);
// Small chunks so that tokens straddle chunk boundaries.
const stream = (name: string) => createReadStream(file(name), { highWaterMark: 1021 });
const json = (name: string): any => JSON.parse(readFileSync(file(name), 'utf8'));
const text = (name: string): string => readFileSync(file(name), 'utf8');
const fromText = (s: string) => Readable.from([Buffer.from(s)]);

function tally(values: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

d('SPDX', () => {
  for (const name of ['syft-0.83.0-kong-atc-router.spdx.json', 'bitnami-postgresql-17.2.0.spdx.json']) {
    it(`counts ${name}`, async () => {
      const doc = json(name);
      const s = await summarizeSpdx(stream(name));
      expect(s.specVersion).toBe('SPDX-2.3');
      expect(s.packages).toBe(doc.packages.length);
      expect(s.files).toBe((doc.files ?? []).length);
      expect(s.relationships).toBe((doc.relationships ?? []).length);
      expect(s.creators).toEqual(doc.creationInfo.creators);
      const licenses = doc.packages.map((p: any) =>
        [p.licenseDeclared, p.licenseConcluded].find((l: string | undefined) => l && l !== 'NOASSERTION' && l !== 'NONE'),
      );
      const expected = tally(licenses.filter(Boolean));
      expect(s.packagesWithoutLicense).toBe(licenses.filter((l: unknown) => !l).length);
      expect(s.licenses.distinct).toBe(expected.size);
      for (const { name: license, count } of s.licenses.top) expect(count).toBe(expected.get(license));
    });
  }
  it('matches the hand-checked facts of the syft SBOM', async () => {
    const s = await summarizeSpdx(stream('syft-0.83.0-kong-atc-router.spdx.json'));
    expect([s.packages, s.relationships, s.files]).toEqual([44, 45, 1]);
    expect(s.creators).toContain('Tool: syft-0.83.0');
  });
});

d('CycloneDX', () => {
  function walk(components: any[] | undefined, out: any[]): any[] {
    for (const c of components ?? []) {
      out.push(c);
      walk(c.components, out);
    }
    return out;
  }
  for (const name of ['cyclonedx-npm-bundled-deps.cdx15.cdx.json', 'trivy-npm.cdx16.cdx.json']) {
    it(`counts ${name}`, async () => {
      const doc = json(name);
      const s = await summarizeCycloneDx(stream(name));
      const all = walk(doc.components, []);
      expect(s.specVersion).toBe(doc.specVersion);
      expect(s.components).toBe(all.length);
      expect(s.dependencies).toBe((doc.dependencies ?? []).length);
      expect(s.vulnerabilities).toBe((doc.vulnerabilities ?? []).length);
      const names = all.flatMap((c) => (c.licenses ?? []).map((l: any) => l.expression ?? l.license?.id ?? l.license?.name));
      const expected = tally(names);
      expect(s.licenses.distinct).toBe(expected.size);
      for (const { name: license, count } of s.licenses.top) expect(count).toBe(expected.get(license));
      expect(s.componentsWithoutLicense).toBe(all.filter((c) => !(c.licenses ?? []).length).length);
    });
  }
  it('matches the hand-checked facts', async () => {
    const npm = await summarizeCycloneDx(stream('cyclonedx-npm-bundled-deps.cdx15.cdx.json'));
    expect(npm.components).toBe(52);
    expect(npm.tools).toContain('@cyclonedx/cyclonedx-npm 3.1.0');
    const trivy = await summarizeCycloneDx(stream('trivy-npm.cdx16.cdx.json'));
    expect([trivy.specVersion, trivy.components, trivy.dependencies, trivy.vulnerabilities]).toEqual(['1.6', 13, 14, 1]);
    expect(trivy.tools.join(' ')).toMatch(/trivy dev/);
  });
});

d('SARIF', () => {
  it('counts the trivy scan by rule and level', async () => {
    const doc = json('trivy-alpine-310.sarif');
    const s = await summarizeSarif(stream('trivy-alpine-310.sarif'));
    const results = doc.runs[0].results;
    expect(s.results).toBe(results.length);
    expect(s.results).toBe(4);
    expect(s.runs).toEqual([{ tool: 'Trivy', version: 'dev', results: 4 }]);
    expect(s.byLevel.warning).toBe(results.filter((r: any) => r.level === 'warning').length);
    const byRule = tally(results.map((r: any) => r.ruleId));
    expect(s.byRule.top.map((r) => [r.name, r.count]).sort()).toEqual([...byRule.entries()].sort());
    // Both rules carry security-severity 5.3 (medium).
    expect(s.bySeverity).toEqual({ critical: 0, high: 0, medium: 4, low: 0 });
  });
  it('takes the level of CodeQL results without one from the rule', async () => {
    const doc = json('codeql-2.25.5-windows-drivers-IrqlTooHigh.sarif');
    const s = await summarizeSarif(stream('codeql-2.25.5-windows-drivers-IrqlTooHigh.sarif'));
    expect(s.results).toBe(8);
    expect(s.runs[0]).toMatchObject({ tool: 'CodeQL', version: '2.25.5', results: 8 });
    const ruleLevel = doc.runs[0].tool.driver.rules[0].defaultConfiguration?.level ?? 'warning';
    expect(s.byLevel[ruleLevel as 'warning']).toBe(8);
    expect(s.byRule.top).toEqual([{ name: 'cpp/drivers/irql-too-high', count: 8 }]);
  });
});

d('JUnit', () => {
  it('counts jest-junit test cases', async () => {
    const xml = text('dorny-jest.junit.xml');
    const s = await summarizeJunit(stream('dorny-jest.junit.xml'));
    expect(s.counted.tests).toBe(xml.match(/<testcase\b/g)!.length);
    expect(s.counted.failures).toBe(xml.match(/<failure\b/g)!.length);
    expect(s.declared).toEqual({ tests: 6, failures: 4, errors: 0, time: 1.36 });
    expect(s.suites).toBe(2);
    expect(s.name).toBe('jest tests');
  });
  it('counts the Surefire report and agrees with its declared totals', async () => {
    const xml = text('dorny-pulsar-surefire.junit.xml');
    const s = await summarizeJunit(stream('dorny-pulsar-surefire.junit.xml'));
    expect(s.declared).toMatchObject({ tests: 808, failures: 1, errors: 0, skipped: 14 });
    expect(s.counted.tests).toBe(xml.match(/<testcase\b/g)!.length);
    expect(s.counted).toMatchObject({ tests: 808, failures: 1, errors: 0, skipped: 14, passed: 793 });
    expect(s.suites).toBe(176);
  });
  it('refuses a DOCTYPE with entity declarations (no expansion)', async () => {
    const bomb = '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><testsuite tests="1"><testcase name="&b;"/></testsuite>';
    await expect(summarizeJunit(fromText(bomb))).rejects.toThrow(/DOCTYPE/);
  });
  it('refuses undefined entities and malformed XML', async () => {
    await expect(summarizeJunit(fromText('<testsuite><testcase name="&x;"/></testsuite>'))).rejects.toThrow(/XML/);
    await expect(summarizeJunit(fromText('<testsuite><testcase></testsuite>'))).rejects.toThrow(/XML/);
  });
});

d('provenance', () => {
  it('reads the SLSA v0.2 DSSE envelope (JSON Lines)', async () => {
    const envelope = JSON.parse(text('slsa-github-generator-v2.0.0-generic.intoto.jsonl').trim().split('\n')[0]!);
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8'));
    const s = await summarizeProvenance(stream('slsa-github-generator-v2.0.0-generic.intoto.jsonl'));
    expect(s.envelopes).toBe(1);
    expect(s.statements).toHaveLength(1);
    const st = s.statements[0]!;
    expect(st.predicateType).toBe('https://slsa.dev/provenance/v0.2');
    expect(st.builderId).toBe(statement.predicate.builder.id);
    expect(st.builderId).toMatch(/generator_generic_slsa3\.yml@refs\/tags\/v2\.0\.0$/);
    expect(st.subjects.map((x) => x.name)).toEqual(statement.subject.map((x: any) => x.name));
    expect(st.subjectCount).toBe(statement.subject.length);
  });
  it('reads the Sigstore bundle of a GitHub attestation, with its claimed signer', async () => {
    const s = await summarizeProvenance(stream('bcr-rules_lint-v1.3.1-provenance.sigstore.json'));
    expect(s.container).toBe('sigstore-bundle');
    expect(s.statements[0]!.predicateType).toBe('https://slsa.dev/provenance/v1');
    expect(s.statements[0]!.builderId).toBe('https://github.com/bazel-contrib/.github/.github/workflows/release_ruleset.yaml@refs/tags/v7.1.0');
    expect(s.statements[0]!.buildType).toBe('https://actions.github.io/buildtypes/workflow/v1');
    // Checked by hand with `openssl x509 -text` on the certificate.
    expect(s.signer).toMatchObject({
      identity: 'https://github.com/bazel-contrib/.github/.github/workflows/release_ruleset.yaml@refs/tags/v7.1.0',
      issuer: 'https://token.actions.githubusercontent.com',
      logIndex: '188622791',
      integratedTime: '2025-03-26T23:47:15Z',
      timestamps: 0,
    });
  });
});

d('images and CSV', () => {
  it('reads PNG dimensions and inlines a small PNG', async () => {
    const name = 'dorny-mocha-groups.png';
    const size = readFileSync(file(name)).length;
    const s = await summarizeImage(stream(name), size);
    expect(s).toMatchObject({ kind: 'image', format: 'png', width: 797, height: 582 });
    expect(Buffer.from(s!.dataUri!.replace('data:image/png;base64,', ''), 'base64').equals(readFileSync(file(name)))).toBe(true);
    const big = await summarizeImage(stream(name), size, 1000);
    expect(big?.dataUri).toBeUndefined();
    expect(big?.width).toBe(797);
  });
  it('counts CSV records', async () => {
    const csv = text('go-licenses-complex.csv');
    const s = await summarizeCsv(stream('go-licenses-complex.csv'));
    expect(s.records).toBe(csv.split('\n').filter((l) => l.trim() !== '').length);
    expect(s).toEqual({ kind: 'csv', records: 140, columns: 3, ragged: 0 });
  });
  it('does not end a record at a quoted line break', async () => {
    const s = await summarizeCsv(fromText('a,"b\nc",d\r\n"x ""y""",2,3\n\n'));
    expect(s).toEqual({ kind: 'csv', records: 2, columns: 3, ragged: 0 });
  });
});

d('dispatch', () => {
  const artifact = (name: string, content_type?: string) => ({
    type: 'embedded' as const,
    path: `artifacts/${name}`,
    digest: 'sha256:' + '0'.repeat(64),
    size: readFileSync(file(name)).length,
    content_type,
  });
  it('sniffs the kind when the content type is generic', async () => {
    const cases: [string, string | undefined, string][] = [
      ['syft-0.83.0-kong-atc-router.spdx.json', 'application/json', 'spdx'],
      ['trivy-npm.cdx16.cdx.json', undefined, 'cyclonedx'],
      ['trivy-alpine-310.sarif', 'application/json', 'sarif'],
      ['dorny-jest.junit.xml', 'application/xml', 'junit'],
      ['bcr-rules_lint-v1.3.1-provenance.sigstore.json', 'application/json', 'provenance'],
      ['slsa-github-generator-v2.0.0-generic.intoto.jsonl', undefined, 'provenance'],
      ['dorny-mocha-groups.png', 'application/octet-stream', 'image'],
      ['go-licenses-complex.csv', undefined, 'csv'],
    ];
    for (const [name, type, kind] of cases) {
      const s = await summarizeArtifact(artifact(name, type), async () => stream(name));
      expect(s.kind, name).toBe(kind);
    }
  });
  it('reports a parse failure as an error summary', async () => {
    const s = await summarizeArtifact({ ...artifact('go-licenses-complex.csv'), content_type: 'application/spdx+json' }, async () => stream('go-licenses-complex.csv'));
    expect(s).toMatchObject({ kind: 'error', detected: 'spdx' });
  });
  it('reports a stream failure (a digest mismatch) as an error summary', async () => {
    const failing = async function* () {
      yield Buffer.from('{"spdxVersion":"SPDX-2.3","packages":[' + ' '.repeat(70_000));
      throw new Error('digest mismatch for artifacts/x');
    };
    const s = await summarizeArtifact(artifact('trivy-npm.cdx16.cdx.json', 'application/spdx+json'), async () => failing());
    expect(s).toEqual({ kind: 'error', detected: 'spdx', message: 'digest mismatch for artifacts/x' });
  });
});

describe('XML bulk filter', () => {
  it('drops comment and CDATA bodies wherever the chunks are cut', async () => {
    const { XmlBulkFilter } = await import('../../src/report/summarize/xml-bulk-filter.js');
    const xml = '<a x="1"><!-- c <b> --><![CDATA[ <testcase/> ]] > ]]><b/>t<!----><![CDATA[]]></a><';
    const expected = '<a x="1"><!----><![CDATA[]]><b/>t<!----><![CDATA[]]></a><';
    for (let size = 1; size <= xml.length; size++) {
      const f = new XmlBulkFilter();
      let out = '';
      for (let i = 0; i < xml.length; i += size) out += f.write(xml.slice(i, i + size));
      out += f.end();
      expect(out, `chunks of ${size}`).toBe(expected);
    }
  });
  it('still counts test cases when their output is in huge CDATA sections', async () => {
    const log = 'x'.repeat(5_000_000);
    const xml = `<testsuite tests="2"><testcase name="a"><system-out><![CDATA[${log} <testcase name="fake"/> ]]></system-out></testcase><testcase name="b"><failure><![CDATA[${log}]]></failure></testcase></testsuite>`;
    const s = await summarizeJunit(Readable.from([Buffer.from(xml)]));
    expect(s.counted).toMatchObject({ tests: 2, failures: 1, passed: 1 });
  });
});

describe('OpenVEX', () => {
  it('counts statements by status and distinct vulnerabilities (v0.2 and v0.0.x shapes)', async () => {
    const doc = {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': 'https://example.com/vex/1',
      author: 'Security Team <security@example.com>',
      timestamp: '2026-11-01T00:00:00Z',
      version: 1,
      statements: [
        { vulnerability: { name: 'CVE-2024-0001' }, products: [{ '@id': 'pkg:npm/a@1' }], status: 'not_affected', justification: 'vulnerable_code_not_present' },
        { vulnerability: { name: 'CVE-2024-0002' }, products: [{ '@id': 'pkg:npm/a@1' }], status: 'affected', action_statement: 'upgrade' },
        { vulnerability: 'CVE-2024-0002', products: ['pkg:npm/b@2'], status: 'fixed' },
        { vulnerability: { name: 'CVE-2024-0003' }, products: [], status: 'under_investigation' },
        { vulnerability: { name: 'CVE-2024-0004' }, products: [], status: 'bogus' },
      ],
    };
    const { summarizeOpenVex } = await import('../../src/report/summarize/index.js');
    const s = await summarizeOpenVex(fromText(JSON.stringify(doc, null, 2)));
    const names = new Set(doc.statements.map((x) => (typeof x.vulnerability === 'string' ? x.vulnerability : x.vulnerability.name)));
    expect(s).toEqual({
      kind: 'openvex',
      context: doc['@context'],
      author: doc.author,
      timestamp: doc.timestamp,
      statements: doc.statements.length,
      byStatus: { not_affected: 1, affected: 1, fixed: 1, under_investigation: 1, other: 1 },
      vulnerabilities: names.size,
    });
    const { detectKind } = await import('../../src/report/summarize/index.js');
    expect(detectKind('artifacts/x.json', 'application/json', Buffer.from(JSON.stringify(doc)))).toBe('openvex');
    expect(detectKind('artifacts/x.json', 'application/openvex+json', Buffer.from('{}'))).toBe('openvex');
  });
});

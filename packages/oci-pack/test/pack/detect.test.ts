import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTENT_TYPES, detectContentType, detectFileContentType, SNIFF_BYTES } from '../../src/pack/detect.js';
import { sharedPath } from '../../../../test/harness/tools.js';

const samples = sharedPath('samples', 'real-world');

describe('detectContentType on real-world files', () => {
  const expected: Record<string, string> = {
    'bcr-rules_lint-v1.3.1-provenance.sigstore.json': CONTENT_TYPES.sigstoreBundle,
    'bitnami-postgresql-17.2.0.spdx.json': CONTENT_TYPES.spdxJson,
    'syft-0.83.0-kong-atc-router.spdx.json': CONTENT_TYPES.spdxJson,
    'codeql-2.25.5-windows-drivers-IrqlTooHigh.sarif': CONTENT_TYPES.sarif,
    'trivy-alpine-310.sarif': CONTENT_TYPES.sarif,
    'cyclonedx-npm-bundled-deps.cdx15.cdx.json': CONTENT_TYPES.cyclonedxJson,
    'trivy-npm.cdx16.cdx.json': CONTENT_TYPES.cyclonedxJson,
    'dorny-jest.junit.xml': CONTENT_TYPES.junitXml,
    'dorny-pulsar-surefire.junit.xml': CONTENT_TYPES.junitXml,
    'dorny-mocha-groups.png': CONTENT_TYPES.png,
    'go-licenses-complex.csv': CONTENT_TYPES.csv,
    'slsa-github-generator-v2.0.0-generic.intoto.jsonl': CONTENT_TYPES.inToto,
  };
  for (const [file, type] of Object.entries(expected)) {
    it.runIf(samples)(`${file} -> ${type}`, async () => {
      expect(await detectFileContentType(path.join(samples!, file))).toBe(type);
    });
    // sniffing, not the extension: the same bytes under a neutral name
    if (!file.endsWith('.csv')) it.runIf(samples)(`${file} renamed to data.bin -> ${type}`, () => {
      const bytes = readFileSync(path.join(samples!, file));
      expect(detectContentType(bytes.subarray(0, SNIFF_BYTES), { name: 'data.bin', totalSize: bytes.length })).toBe(type);
    });
  }
});

describe('detectContentType on crafted content', () => {
  const d = (text: string | Buffer, name?: string): string => detectContentType(Buffer.from(text), name ? { name } : {});
  it('recognises the remaining formats', () => {
    expect(d('{"@context":"https://openvex.dev/ns/v0.2.0","statements":[]}')).toBe(CONTENT_TYPES.openvex);
    expect(d('{"_type":"https://in-toto.io/Statement/v1","subject":[]}')).toBe(CONTENT_TYPES.inToto);
    expect(d('<?xml version="1.0"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1"></bom>')).toBe(CONTENT_TYPES.cyclonedxXml);
    expect(d('<!DOCTYPE html><html><body>x</body></html>')).toBe(CONTENT_TYPES.html);
    expect(d('%PDF-1.7\n%\xe2\xe3')).toBe(CONTENT_TYPES.pdf);
    expect(d('# Title\n\n- item\n')).toBe(CONTENT_TYPES.markdown);
    expect(d('some notes', 'README.md')).toBe(CONTENT_TYPES.markdown);
    expect(d('{"a": [1, 2]}')).toBe(CONTENT_TYPES.json);
    expect(d('{"a":1}\n{"a":2}\n')).toBe(CONTENT_TYPES.jsonLines);
    expect(d('<config><x/></config>')).toBe(CONTENT_TYPES.xml);
    expect(d('plain words, nothing else')).toBe(CONTENT_TYPES.text);
    expect(d(Buffer.from([0, 1, 2, 3, 255]))).toBe(CONTENT_TYPES.octetStream);
    expect(d('{not json')).toBe(CONTENT_TYPES.text);
  });

  it('is not fooled by an extension', () => {
    expect(detectContentType(Buffer.from('\x89PNG\r\n\x1a\n' + 'x'.repeat(10), 'latin1'), { name: 'report.json' })).toBe(CONTENT_TYPES.png);
    expect(d('{"spdxVersion":"SPDX-2.3"}', 'sbom.txt')).toBe(CONTENT_TYPES.spdxJson);
  });

  it('reads only a bounded prefix', () => {
    const big = Buffer.concat([Buffer.from('{"bomFormat":"CycloneDX","components":['), Buffer.alloc(SNIFF_BYTES * 4, 0x20)]);
    expect(detectContentType(big.subarray(0, SNIFF_BYTES), { totalSize: big.length })).toBe(CONTENT_TYPES.cyclonedxJson);
  });
});

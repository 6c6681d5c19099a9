/**
 * JUnit XML (Ant/Surefire/jest-junit style): test counts from the
 * `<testcase>` elements, and the totals the root element declares.
 * saxes never expands DTD-declared entities; a DOCTYPE is refused outright.
 * Comment and CDATA bodies (logs, stack traces) are dropped before parsing.
 */
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { EpackError } from '../../error.js';
import type { JunitSummary, JunitTotals } from './types.js';
import { XmlBulkFilter } from './xml-bulk-filter.js';

const MAX_DEPTH = 256;

function parseCount(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Number.parseInt(value, 10);
}

function parseSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  // Some producers write "1,234.5"; drop grouping commas.
  const n = Number.parseFloat(value.replace(/,/g, ''));
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function declaredTotals(attributes: Record<string, string>): Partial<JunitTotals> | undefined {
  const totals: Partial<JunitTotals> = {};
  const tests = parseCount(attributes['tests']);
  const failures = parseCount(attributes['failures']);
  const errors = parseCount(attributes['errors']);
  const skipped = parseCount(attributes['skipped']) ?? parseCount(attributes['disabled']);
  const time = parseSeconds(attributes['time']);
  if (tests !== undefined) totals.tests = tests;
  if (failures !== undefined) totals.failures = failures;
  if (errors !== undefined) totals.errors = errors;
  if (skipped !== undefined) totals.skipped = skipped;
  if (time !== undefined) totals.time = time;
  return Object.keys(totals).length ? totals : undefined;
}

export async function summarizeJunit(source: AsyncIterable<Uint8Array>): Promise<JunitSummary> {
  const counted = { tests: 0, failures: 0, errors: 0, skipped: 0, passed: 0, time: 0 };
  let suites = 0;
  let depth = 0;
  let sawTime = false;
  let root: SaxesTagPlain | undefined;
  // Status of the open <testcase> (they do not nest in practice; keep the innermost).
  let testcase: { failed: boolean; errored: boolean; skipped: boolean; depth: number } | undefined;
  let failure: EpackError | undefined;

  const parser = new SaxesParser({ xmlns: false, position: false });
  parser.on('doctype', () => {
    failure ??= new EpackError('input', 'artifact_parse_error', 'XML with a DOCTYPE is not summarized (entity declarations are refused)');
  });
  parser.on('error', (err) => {
    failure ??= new EpackError('input', 'artifact_parse_error', `invalid XML: ${err.message}`);
  });
  parser.on('opentag', (tag) => {
    depth++;
    if (depth > MAX_DEPTH) failure ??= new EpackError('input', 'artifact_parse_error', 'XML nesting too deep');
    if (!root) root = tag;
    const name = tag.name;
    if (name === 'testsuite') suites++;
    else if (name === 'testcase') {
      testcase = { failed: false, errored: false, skipped: false, depth };
      counted.tests++;
      const time = parseSeconds(tag.attributes['time']);
      if (time !== undefined) {
        counted.time += time;
        sawTime = true;
      }
    } else if (testcase && depth === testcase.depth + 1) {
      if (name === 'failure') testcase.failed = true;
      else if (name === 'error') testcase.errored = true;
      else if (name === 'skipped') testcase.skipped = true;
    }
  });
  parser.on('closetag', (tag) => {
    if (tag.name === 'testcase' && testcase && depth === testcase.depth) {
      if (testcase.errored) counted.errors++;
      else if (testcase.failed) counted.failures++;
      else if (testcase.skipped) counted.skipped++;
      else counted.passed++;
      testcase = undefined;
    }
    depth--;
  });

  const decoder = new TextDecoder('utf-8');
  const filter = new XmlBulkFilter();
  for await (const chunk of source) {
    parser.write(filter.write(decoder.decode(chunk, { stream: true })));
    if (failure) throw failure;
  }
  parser.write(filter.write(decoder.decode()) + filter.end());
  parser.close();
  if (failure) throw failure;
  if (!root || (root.name !== 'testsuites' && root.name !== 'testsuite')) {
    throw new EpackError('input', 'artifact_parse_error', `not a JUnit report (root element <${root?.name ?? ''}>)`);
  }

  const summary: JunitSummary = {
    kind: 'junit',
    counted: { ...counted, time: sawTime ? Math.round(counted.time * 1000) / 1000 : undefined },
    suites,
  };
  const declared = declaredTotals(root.attributes);
  if (declared) summary.declared = declared;
  if (root.attributes['name']) summary.name = root.attributes['name'];
  return summary;
}

/**
 * Keeps the documentation true to the code: every `epack …` example in a
 * shell block of README.md, docs/ and examples/README.md must be accepted by
 * the CLI's parser (command, flags and arguments), without being run. The
 * examples that work without a server are run for real by the demo and
 * example tests.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT } from '../harness/tools.js';
import { docFiles, extractExamples, splitShell } from './doc-examples.js';

const DRIVER = `
import { main } from ${JSON.stringify(path.join(REPO_ROOT, 'packages/cli/dist/main.js'))};
const examples = JSON.parse(process.argv[1]);
const results = [];
const realWrite = process.stderr.write.bind(process.stderr);
const realOut = process.stdout.write.bind(process.stdout);
for (const argv of examples) {
  let err = '';
  process.stderr.write = (chunk) => { err += String(chunk); return true; };
  process.stdout.write = () => true;
  const code = await main(argv);
  process.stderr.write = realWrite;
  process.stdout.write = realOut;
  results.push({ code, err: err.trim() });
}
realOut(JSON.stringify(results));
`;

describe('documentation examples', () => {
  const examples = docFiles(REPO_ROOT).flatMap((f) => extractExamples(f, REPO_ROOT));

  it('finds the examples', () => {
    expect(examples.length).toBeGreaterThan(20);
    expect(examples.some((e) => e.file === 'README.md')).toBe(true);
  });

  it('splits shell lines like a shell for simple cases', () => {
    expect(splitShell(`epack push oci:./x:v1 "my pack.epack" --label 'a b' | jq .`)).toEqual(['epack', 'push', 'oci:./x:v1', 'my pack.epack', '--label', 'a b']);
    expect(splitShell('epack verify "$REF" --subject ${ID} # comment')).toEqual(['epack', 'verify', 'VALUE', '--subject', 'VALUE']);
  });

  it('every epack example parses with the real CLI', () => {
    const runnable = examples.filter((e) => !e.argv.includes('--help') && !e.argv.includes('-h') && !e.argv.includes('--version'));
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', DRIVER, JSON.stringify(runnable.map((e) => e.argv))], {
      env: { ...process.env, EPACK_PARSE_ONLY: '1', NO_COLOR: '1' },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(res.status, res.stderr).toBe(0);
    const results = JSON.parse(res.stdout) as { code: number; err: string }[];
    const failures = runnable
      .map((e, i) => ({ e, r: results[i]! }))
      .filter(({ r }) => r.code !== 0)
      .map(({ e, r }) => `${e.file}:${e.line}: ${e.text}\n    -> exit ${r.code}: ${r.err}`);
    expect(failures, failures.join('\n')).toEqual([]);
  });
});

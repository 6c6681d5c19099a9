/**
 * `epack --help` and `epack <command> --help` are answered from pages the
 * build pre-renders (packages/cli/src/help-cache.ts). Each page must be
 * exactly what the parser prints, and narrower terminals or other argument
 * shapes must still reach the parser.
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runEpack } from '../harness/cli.js';

const pagesDir = fileURLToPath(new URL('../../packages/cli/dist/help/', import.meta.url));
const pages = readdirSync(pagesDir).filter((f) => f.endsWith('.txt')).map((f) => path.basename(f, '.txt'));

describe('pre-rendered help pages', () => {
  it('exist for the root and every top-level command', () => {
    expect(pages).toContain('epack');
    expect(pages).toEqual(expect.arrayContaining(['build', 'push', 'pull', 'verify', 'sign', 'list', 'manifest']));
    expect(pages.length).toBeGreaterThanOrEqual(23);
  });

  it.each(pages)('%s: the page is what the parser prints, for --help and -h', async (page) => {
    const args = page === 'epack' ? [] : [page];
    const fast = await runEpack([...args, '--help']);
    const parsed = await runEpack([...args, '--help'], { env: { EPACK_HELP_CACHE: 'off' } });
    expect(fast.code).toBe(0);
    expect(parsed.code).toBe(0);
    expect(parsed.stdout.length).toBeGreaterThan(100);
    expect(fast.stdout).toBe(parsed.stdout);
    const short = await runEpack([...args, '-h']);
    expect(short.stdout).toBe(parsed.stdout);
  });

  it('other shapes reach the parser: an unknown command, a flag next to --help', async () => {
    for (const args of [['nosuchcommand', '--help'], ['--help', '--json'], ['list', 'artifacts', '--help']]) {
      const viaBin = await runEpack(args);
      const parsed = await runEpack(args, { env: { EPACK_HELP_CACHE: 'off' } });
      expect(viaBin.code, args.join(' ')).toBe(parsed.code);
      expect(viaBin.stdout, args.join(' ')).toBe(parsed.stdout);
      expect(viaBin.stderr, args.join(' ')).toBe(parsed.stderr);
    }
  });
});

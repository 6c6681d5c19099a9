#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import module from 'node:module';
import v8 from 'node:v8';

// Start-up time (docs/performance.md, W6): cache compiled code between runs
// (Node >= 22.1; a no-op where unsupported or not writable) ...
module.enableCompileCache?.();

// `epack list artifacts x.epack | head -1`: a reader that goes away ends epack
// quietly with 141 (128 + SIGPIPE, as a shell reports `git log | head`), not with an
// unhandled EPIPE stack trace, and never with a success the command did not reach.
process.stdout.on('error', (err) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(141);
});

const argv = process.argv.slice(2);
const helpPage = helpPageOf(argv);
if (argv.length === 1 && argv[0] === '--version') {
  // ... and answer `epack --version` without loading the parser and every command,
  const { VERSION } = await import('../dist/version.js');
  process.stdout.write(`${VERSION}\n`);
} else if (helpPage !== undefined) {
  // ... and `epack [command] --help` from the pages the build rendered (src/help-cache.ts).
  process.stdout.write(helpPage);
} else {
  // Memory (docs/performance.md, W2): under the allocation rate of thousands of
  // small requests V8 grows its young generation to several times its start
  // size, which alone put a 2,000-blob pull over 200 MiB. Kept at its start
  // size, peak RSS drops by ~50 MiB at no measured cost in time.
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  const { main } = await import('../dist/main.js');
  process.exitCode = await main(argv);
}


/** The pre-rendered page for exactly `--help`/`-h` or `<command> --help`/`-h`, at the default width. */
function helpPageOf(args) {
  if (process.env.EPACK_HELP_CACHE === 'off') return undefined;
  const isHelp = (a) => a === '--help' || a === '-h';
  let name;
  if (args.length === 1 && isHelp(args[0])) name = 'epack';
  else if (args.length === 2 && isHelp(args[1]) && /^[a-z]+$/.test(args[0])) name = args[0];
  else return undefined;
  if (Math.min(100, process.stdout.columns || 100) !== 100) return undefined;
  try {
    return readFileSync(new URL(`../dist/help/${name}.txt`, import.meta.url), 'utf8');
  } catch {
    return undefined;
  }
}

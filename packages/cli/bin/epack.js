#!/usr/bin/env node
import module from 'node:module';

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
if (argv.length === 1 && argv[0] === '--version') {
  // ... and answer `epack --version` without loading the parser and every command.
  const { VERSION } = await import('../dist/version.js');
  process.stdout.write(`${VERSION}\n`);
} else {
  const { main } = await import('../dist/main.js');
  process.exitCode = await main(argv);
}

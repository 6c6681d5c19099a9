#!/usr/bin/env node
import module from 'node:module';

// Start-up time (docs/performance.md, W6): cache compiled code between runs
// (Node >= 22.1; a no-op where unsupported or not writable) ...
module.enableCompileCache?.();

const argv = process.argv.slice(2);
if (argv.length === 1 && argv[0] === '--version') {
  // ... and answer `epack --version` without loading the parser and every command.
  const { VERSION } = await import('../dist/version.js');
  process.stdout.write(`${VERSION}\n`);
} else {
  const { main } = await import('../dist/main.js');
  process.exitCode = await main(argv);
}

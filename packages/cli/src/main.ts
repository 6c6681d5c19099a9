import yargs from 'yargs';
import { UsageError } from '@epack/oci-pack/error';
import { Output } from './output.js';
import { reportError } from './errors.js';
import { loadCommands } from './commands/index.js';
import { VERSION } from './version.js';

export async function main(argv: string[]): Promise<number> {
  const out = new Output({
    json: argv.includes('--json'),
    quiet: argv.includes('--quiet') || argv.includes('-q'),
    debug: argv.includes('--debug'),
  });
  let exitCode = 0;
  try {
    const commands = await loadCommands();
    let parser = yargs(argv)
      .scriptName('epack')
      .usage('epack <command> [options]\n\nBuild, sign, push, pull and verify Evidence Packs on OCI registries.')
      .option('json', { type: 'boolean', default: false, describe: 'Print results as JSON (stable, documented output)' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'Print nothing but results and errors' })
      .option('debug', { type: 'boolean', default: false, describe: 'Print protocol traces to stderr (secrets are redacted)' })
      .version('version', 'Show the version', VERSION)
      .alias('h', 'help')
      .strict()
      .demandCommand(1, 'name a command; see epack --help')
      .recommendCommands()
      .wrap(Math.min(100, process.stdout.columns || 100))
      .epilogue('Exit codes: 0 ok, 1 verification failed, 2 bad input or usage, 3 not found, 4 auth, 5 network, 6 registry protocol error, 70 internal error. Docs: docs/cli.md')
      .fail((msg, err) => {
        if (err) throw err;
        const text = msg?.startsWith('Did you mean') ? `unknown command "${argv[0] ?? ''}". ${msg}` : (msg ?? 'invalid arguments');
        throw new UsageError('usage', text, { hint: 'see epack --help' });
      });
    for (const spec of commands) {
      parser = parser.command({
        command: spec.command as string | readonly string[],
        describe: spec.describe,
        builder: spec.builder,
        handler: async (args) => {
          // Documentation tests check every example's flags without running it.
          if (process.env['EPACK_PARSE_ONLY'] === '1') return;
          const code = await spec.run(args as Record<string, unknown>, { out });
          if (typeof code === 'number') exitCode = code;
        },
      });
    }
    await parser.parseAsync();
  } catch (err) {
    exitCode = reportError(err, out);
  }
  return exitCode;
}

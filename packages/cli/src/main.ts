import yargs from 'yargs';
import { UsageError } from '@epack/oci-pack/error';
import { Output } from './output.js';
import { reportError } from './errors.js';
import { loadCommands } from './commands/index.js';
import { VERSION } from './version.js';

import type { Argv } from 'yargs';
import type { CommandSpec } from './command.js';

/** Help is wrapped at this width, or at the terminal's when narrower. */
export const HELP_WIDTH = 100;

export function helpWidth(): number {
  return Math.min(HELP_WIDTH, process.stdout.columns || HELP_WIDTH);
}

export interface ParserContext {
  out: Output;
  width: number;
  /** Receives a command's exit code. */
  setExitCode: (code: number) => void;
}

/** The whole command line: global options and every command. */
export function buildParser(argv: string[], commands: readonly CommandSpec[], ctx: ParserContext): Argv {
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
    .wrap(ctx.width)
    .epilogue('Exit codes: 0 ok, 1 verification failed, 2 bad input or usage, 3 not found, 4 auth, 5 network, 6 registry protocol error, 70 internal error. Docs: docs/cli.md')
    .fail((msg, err) => {
      if (err) throw err;
      const text = msg?.startsWith('Did you mean') ? `unknown command "${argv[0] ?? ''}". ${msg}` : (msg ?? 'invalid arguments');
      throw new UsageError('usage', text, { hint: 'see epack --help' });
    });
  skipHelpCaching(parser);
  for (const spec of commands) {
    parser = parser.command({
      command: spec.command as string | readonly string[],
      describe: spec.describe,
      builder: spec.builder,
      handler: async (args) => {
        // Documentation tests check every example's flags without running it.
        if (process.env['EPACK_PARSE_ONLY'] === '1') return;
        const code = await spec.run(args as Record<string, unknown>, { out: ctx.out });
        if (typeof code === 'number') ctx.setExitCode(code);
      },
    });
  }
  return parser;
}

/**
 * yargs renders the whole help text every time a command starts, to have it
 * for a failure message. Our `.fail` prints one line instead, so that text is
 * never shown; rendering it (the width of every help line) cost ~60 ms of CPU
 * in the middle of every command, e.g. a tenth of a re-push (W3 in
 * docs/performance.md). This reaches into yargs' internals: should they
 * change, the help is simply rendered as before.
 */
function skipHelpCaching(parser: Argv): void {
  type Internals = { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } };
  const usage = (parser as unknown as Internals).getInternalMethods?.().getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}

export async function main(argv: string[]): Promise<number> {
  const out = new Output({
    json: argv.includes('--json'),
    quiet: argv.includes('--quiet') || argv.includes('-q'),
    debug: argv.includes('--debug'),
  });
  let exitCode = 0;
  try {
    const commands = await loadCommands();
    const parser = buildParser(argv, commands, { out, width: helpWidth(), setExitCode: (code) => (exitCode = code) });
    await parser.parseAsync();
  } catch (err) {
    exitCode = reportError(err, out);
  }
  return exitCode;
}

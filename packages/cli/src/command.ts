import type { Argv } from 'yargs';
import type { Output } from './output.js';

export interface CommandContext {
  out: Output;
}

/**
 * One CLI command. `builder` declares flags; `run` parses nothing further,
 * calls the library and prints. Handlers import the library lazily so that
 * `epack --help` stays fast.
 */
export interface CommandSpec<A = Record<string, unknown>> {
  command: string | readonly string[];
  describe: string;
  builder: (yargs: Argv) => Argv;
  /** Returns the exit code (0 when omitted). */
  run: (args: A, ctx: CommandContext) => Promise<number | void>;
}

export function defineCommand<A>(spec: CommandSpec<A>): CommandSpec<Record<string, unknown>> {
  return spec as unknown as CommandSpec<Record<string, unknown>>;
}

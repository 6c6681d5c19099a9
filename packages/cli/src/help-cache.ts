/**
 * Pre-rendered `--help` pages. Loading yargs and every command module and
 * measuring each help line's width (string-width) costs ~150 ms of CPU, so
 * the build renders `epack --help` and `epack <command> --help` once, at the
 * default width, into `dist/help/`; `bin/epack.js` prints a page from there
 * when the arguments are exactly such a request and the terminal is at least
 * as wide. The test suite checks that every page equals what the parser
 * prints (EPACK_HELP_CACHE=off).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { loadCommands } from './commands/index.js';
import { buildParser, HELP_WIDTH } from './main.js';
import { Output } from './output.js';

/** The cache file name of a help request: `epack` for the root, else the command. */
export function helpPageName(command: string | undefined): string {
  return command ?? 'epack';
}

/** Renders every page into `dir` (replacing what was there); returns the page names. */
export async function renderHelpPages(dir: string): Promise<string[]> {
  const commands = await loadCommands();
  const names = commands.map((spec) => {
    const first = Array.isArray(spec.command) ? spec.command[0] : spec.command;
    return String(first).split(' ')[0]!;
  });
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const out = new Output({ json: false, quiet: false, debug: false });
  for (const command of [undefined, ...names]) {
    const argv = command ? [command, '--help'] : ['--help'];
    const text = await captureConsole(async () => {
      await buildParser(argv, commands, { out, width: HELP_WIDTH, setExitCode: () => undefined }).exitProcess(false).parseAsync();
    });
    await writeFile(path.join(dir, `${helpPageName(command)}.txt`), text);
  }
  return [helpPageName(undefined), ...names];
}

async function captureConsole(run: () => Promise<void>): Promise<string> {
  const original = console.log;
  let text = '';
  console.log = (...parts: unknown[]) => {
    text += `${parts.map(String).join(' ')}\n`;
  };
  try {
    await run();
  } finally {
    console.log = original;
  }
  return text;
}

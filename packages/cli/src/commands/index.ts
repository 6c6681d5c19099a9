import type { CommandSpec } from '../command.js';

/**
 * Every command of the CLI, in `--help` order. Each module owns one command
 * (or one group such as `list`).
 */
export async function loadCommands(): Promise<CommandSpec[]> {
  const modules = await Promise.all([
    // pack format
    import('./build.js'),
    import('./inspect.js'),
    import('./list.js'),
    import('./extract.js'),
    import('./diff.js'),
    import('./merge.js'),
    import('./report.js'),
    import('./verify.js'),
    import('./conformance.js'),
    // registry
    import('./push.js'),
    import('./pull.js'),
    import('./remotes.js'),
    import('./resolve.js'),
    import('./discover.js'),
    import('./attach.js'),
    import('./copy.js'),
    import('./tag.js'),
    import('./manifest.js'),
    import('./blob.js'),
    import('./login.js'),
    import('./logout.js'),
    // signing
    import('./sign.js'),
  ]);
  return modules.map((m: { default: CommandSpec }) => m.default);
}

import { defineCommand } from '../command.js';
import { limitsOption, withPackLimitFlags, type PackLimitFlags } from '../pack-limit-flags.js';
import { targetOptions, withRegistryFlags, type RegistryFlags } from '../registry-flags.js';
import { humanSize, sourceLabel } from '../pack-output.js';

interface Args extends PackLimitFlags, RegistryFlags {
  a: string;
  b: string;
  exitCode: boolean;
}

export default defineCommand<Args>({
  command: 'diff <a> <b>',
  describe: 'Compare two packs: added, removed and changed artifacts, sources and stream',
  builder: (y) =>
    withRegistryFlags(withPackLimitFlags(y))
      .positional('a', { type: 'string', describe: 'the old pack', demandOption: true })
      .positional('b', { type: 'string', describe: 'the new pack', demandOption: true })
      .option('exit-code', { type: 'boolean', default: false, describe: 'exit 1 when the packs differ (like git diff --exit-code)' })
      .example('epack diff old.epack new.epack', 'summary of changes')
      .example('epack diff old.epack new.epack --exit-code --quiet', 'only the exit status: 0 same, 1 different'),
  run: async (args, { out }) => {
    const { openPackSource, diffPacks } = await import('@epack/oci-pack/pack');
    const a = await openPackSource(args.a, { ...limitsOption(args), targetOptions: targetOptions(args, out) });
    try {
      const b = await openPackSource(args.b, { ...limitsOption(args), targetOptions: targetOptions(args, out) });
      try {
        const d = diffPacks(a, b);
        out.result(d);
        if (!out.quiet) {
          if (d.identical) out.line('no differences in stream, sources or artifacts');
          if (d.streamChanged) out.line(`stream: ${d.a.stream} -> ${d.b.stream}`);
          for (const x of d.added) out.line(`${out.paint('32', '+')} ${x.path}  ${humanSize(x.size)}`);
          for (const x of d.removed) out.line(`${out.paint('31', '-')} ${x.path}  ${humanSize(x.size)}`);
          for (const x of d.changed) out.line(`${out.paint('33', '~')} ${x.path}  (${x.fields.join(', ')})`);
          for (const s of d.sources.added) out.line(`+ source ${sourceLabel(s)}`);
          for (const s of d.sources.removed) out.line(`- source ${sourceLabel(s)}`);
          for (const s of d.sources.changed) out.line(`~ source ${sourceLabel(s.from)} -> ${sourceLabel(s.to)}`);
          if (!d.identical) out.line(`${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed, ${d.unchanged} unchanged`);
        }
        return args.exitCode && !d.identical ? 1 : 0;
      } finally {
        await b.close();
      }
    } finally {
      await a.close();
    }
  },
});

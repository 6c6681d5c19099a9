import { defineCommand } from '../command.js';
import { limitsOption, withPackLimitFlags, type PackLimitFlags } from '../pack-limit-flags.js';
import { targetOptions, withRegistryFlags, type RegistryFlags } from '../registry-flags.js';
import { humanSize, sourceLabel, table } from '../pack-output.js';

interface Args extends PackLimitFlags, RegistryFlags {
  what: 'artifacts' | 'attestations' | 'sources';
  pack: string;
}

export default defineCommand<Args>({
  command: 'list <what> <pack>',
  describe: 'List the artifacts, attestations or sources of a pack',
  builder: (y) =>
    withRegistryFlags(withPackLimitFlags(y))
      .positional('what', { choices: ['artifacts', 'attestations', 'sources'] as const, describe: 'what to list', demandOption: true })
      .positional('pack', { type: 'string', describe: 'a pack file, oci:<dir>[:<tag>|@<digest>], or a registry reference', demandOption: true })
      .example('epack list artifacts evidence.epack', 'path, type and size of every artifact')
      .example('epack list attestations evidence.epack --json', 'attestation file names as JSON'),
  run: async (args, { out }) => {
    const { openPackSource } = await import('@epack/oci-pack/pack');
    const pack = await openPackSource(args.pack, { ...limitsOption(args), targetOptions: targetOptions(args, out) });
    try {
      if (args.what === 'artifacts') {
        out.result(pack.artifacts.map((a) => ({ path: a.path, size: a.size, digest: a.digest, content_type: a.content_type ?? null })));
        if (pack.artifacts.length > 0) out.line(table(pack.artifacts.map((a) => [a.path, a.content_type ?? '-', humanSize(a.size), a.digest])).join('\n'));
      } else if (args.what === 'attestations') {
        out.result(pack.attestations);
        for (const a of pack.attestations) out.line(a);
      } else {
        out.result(pack.manifest.sources);
        for (const s of pack.manifest.sources) out.line(sourceLabel(s));
      }
    } finally {
      await pack.close();
    }
  },
});

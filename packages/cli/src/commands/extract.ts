import { defineCommand } from '../command.js';
import { limitsOption, withPackLimitFlags, type PackLimitFlags } from '../pack-limit-flags.js';
import { targetOptions, withRegistryFlags, type RegistryFlags } from '../registry-flags.js';
import { humanSize } from '../pack-output.js';

interface Args extends PackLimitFlags, RegistryFlags {
  pack: string;
  paths: string[];
  all: boolean;
  output: string;
  force: boolean;
}

export default defineCommand<Args>({
  command: 'extract <pack> [paths..]',
  describe: 'Extract artifacts (verified against their digests) to a directory',
  builder: (y) =>
    withRegistryFlags(withPackLimitFlags(y))
      .positional('pack', { type: 'string', describe: 'a pack file, oci:<dir>[:<tag>|@<digest>], or a registry reference', demandOption: true })
      .positional('paths', { type: 'string', array: true, default: [], describe: 'artifact paths (with or without artifacts/)' })
      .option('all', { type: 'boolean', default: false, describe: 'extract every artifact' })
      .option('output', { alias: 'o', type: 'string', default: '.', describe: 'destination directory (files keep their artifacts/... path)' })
      .option('force', { type: 'boolean', default: false, describe: 'overwrite existing files' })
      .example('epack extract evidence.epack --all -o ./out', 'everything, into ./out/artifacts/...')
      .example('epack extract evidence.epack scans/trivy.sarif', 'one artifact'),
  run: async (args, { out }) => {
    const { openPackSource, extractPack } = await import('@epack/oci-pack/pack');
    const pack = await openPackSource(args.pack, { ...limitsOption(args), targetOptions: targetOptions(args, out) });
    try {
      const files = await extractPack(pack, { paths: args.paths, all: args.all, outDir: args.output, force: args.force });
      out.result({ outDir: args.output, files });
      for (const f of files) out.line(`${f.file}  ${humanSize(f.size)}`);
      out.info(`extracted ${files.length} artifact${files.length === 1 ? '' : 's'} (digests verified)`);
    } finally {
      await pack.close();
    }
  },
});

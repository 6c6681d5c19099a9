import { defineCommand } from '../command.js';
import { limitsOption, withPackLimitFlags, type PackLimitFlags } from '../pack-limit-flags.js';
import { humanSize } from '../pack-output.js';

interface Args extends PackLimitFlags {
  out: string;
  packs: string[];
  stream: string;
  mergedBy?: string;
  attestations: boolean;
  force: boolean;
}

export default defineCommand<Args>({
  command: 'merge <out> <packs..>',
  describe: 'Merge packs into one, recording their provenance and attestations',
  builder: (y) =>
    withPackLimitFlags(y)
      .positional('out', { type: 'string', describe: 'the merged pack to write', demandOption: true })
      .positional('packs', { type: 'string', array: true, describe: 'source packs', demandOption: true })
      .option('stream', { alias: 's', type: 'string', demandOption: true, describe: 'stream of the merged pack' })
      .option('merged-by', { type: 'string', describe: 'who performed the merge (recorded in provenance)' })
      .option('attestations', { type: 'boolean', default: true, describe: 'embed the sources\' attestations in the provenance (--no-attestations to skip)' })
      .option('force', { type: 'boolean', default: false, describe: 'replace an existing output file' })
      .example('epack merge all.epack platform.epack it.epack --stream acme/all', 'artifacts land under artifacts/<source stream>/'),
  run: async (args, { out }) => {
    const { mergePacks } = await import('@epack/oci-pack/pack');
    const result = await mergePacks(args.out, args.packs, {
      ...limitsOption(args),
      stream: args.stream,
      includeAttestations: args.attestations,
      force: args.force,
      ...(args.mergedBy !== undefined ? { mergedBy: args.mergedBy } : {}),
    });
    out.result({ path: args.out, stream: result.stream, pack_digest: result.packDigest, manifest_digest: result.manifestDigest, size: result.size, artifacts: result.artifacts, sources: result.sources });
    out.line(`merged ${result.sources.length} packs into ${args.out} (${result.artifacts} artifacts, ${humanSize(result.size)})`);
    for (const s of result.sources) out.line(`  ${s.stream}  ${s.artifacts} artifacts, ${s.attestations} attestations embedded`);
    out.line(`  pack_digest  ${result.packDigest}`);
  },
});

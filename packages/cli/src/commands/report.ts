import { defineCommand } from '../command.js';
import { targetOptions, withRegistryFlags, type RegistryFlags } from '../registry-flags.js';
import { VERSION } from '../version.js';

interface Args extends RegistryFlags {
  pack: string;
  output: string;
  previous?: string;
  maxInlineImage: number;
}

/**
 * Writes the human report of a pack: <dir>/index.html, self-contained
 * (works from file:// and any static host). Signatures are shown as the
 * attestations claim them, with the commands that verify them.
 */
export default defineCommand<Args>({
  command: 'report <pack>',
  describe: 'Write a human report of a pack (index.html): artifacts with summaries, signatures, changes',
  builder: (y) =>
    withRegistryFlags(
      y
        .positional('pack', { type: 'string', describe: 'a pack file, or a registry reference / oci:<dir>:<tag>', demandOption: true })
        .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'the folder to write index.html into (created if missing)' })
        .option('previous', { type: 'string', describe: 'an earlier pack (file or reference): the report shows what changed since' })
        .option('max-inline-image', { type: 'number', default: 1024 * 1024, describe: 'embed images up to this many bytes as thumbnails (0: none)' }),
    )
      .example('epack report evidence.epack -o report/', 'write report/index.html')
      .example('epack report ghcr.io/acme/evidence:2026-11 -o site/ --previous ghcr.io/acme/evidence:2026-10', 'a report of a pushed pack, with what changed since October'),
  run: async (args, { out }) => {
    const { openReportSource, writeReport, modelForJson } = await import('@epack/oci-pack/report');
    const options = { targetOptions: targetOptions(args, out) };
    const source = await openReportSource(args.pack, options);
    try {
      const previous = args.previous === undefined ? undefined : await openReportSource(args.previous, options);
      try {
        const written = await writeReport(args.output, source.pack, {
          packArgument: args.pack,
          ...(source.reference ? { reference: source.reference } : {}),
          ...(previous ? { previous: previous.pack } : {}),
          maxInlineImageBytes: Math.max(0, args.maxInlineImage),
          generator: `epack ${VERSION}`,
        });
        const failed = written.model.artifacts.filter((a) => a.summary.kind === 'error');
        for (const a of failed) out.warn(`${a.path}: ${a.summary.kind === 'error' ? a.summary.message : ''}`);
        out.result({ path: written.path, bytes: written.bytes, report: modelForJson(written.model) });
        out.line(written.path);
      } finally {
        await previous?.pack.close();
      }
    } finally {
      await source.pack.close();
    }
  },
});

import { defineCommand } from '../command.js';
import { limitsOption, withPackLimitFlags, type PackLimitFlags } from '../pack-limit-flags.js';
import { targetOptions, withRegistryFlags, type RegistryFlags } from '../registry-flags.js';
import { humanSize, sourceLabel, table } from '../pack-output.js';

interface Args extends PackLimitFlags, RegistryFlags {
  pack: string;
  raw: boolean;
}

export default defineCommand<Args>({
  command: 'inspect <pack>',
  describe: 'Show a pack: stream, digests, sources, artifacts and attestations',
  builder: (y) =>
    withRegistryFlags(withPackLimitFlags(y))
      .positional('pack', { type: 'string', describe: 'a pack file, oci:<dir>[:<tag>|@<digest>], or a registry reference', demandOption: true })
      .option('raw', { type: 'boolean', default: false, describe: 'print manifest.json exactly as stored' })
      .example('epack inspect evidence.epack', 'summary for humans')
      .example('epack inspect evidence.epack --json', 'stable JSON (docs/cli.md)'),
  run: async (args, { out }) => {
    const { openPackSource } = await import('@epack/oci-pack/pack');
    const pack = await openPackSource(args.pack, { ...limitsOption(args), targetOptions: targetOptions(args, out) });
    try {
      if (args.raw) {
        out.raw(pack.manifestBytes);
        return;
      }
      const m = pack.manifest;
      const total = pack.artifacts.reduce((s, a) => s + a.size, 0);
      const referenced = m.artifacts.length - pack.artifacts.length;
      out.result({
        path: pack.path,
        spec_version: m.spec_version,
        stream: m.stream,
        generated_at: m.generated_at,
        pack_digest: m.pack_digest,
        manifest_digest: pack.manifestDigest,
        counts: { artifacts: pack.artifacts.length, referenced, attestations: pack.attestations.length, sources: m.sources.length, bytes: total },
        sources: m.sources,
        artifacts: pack.artifacts.map((a) => ({ path: a.path, size: a.size, digest: a.digest, content_type: a.content_type ?? null })),
        attestations: pack.attestations,
        provenance: m.provenance ?? null,
      });
      out.line(`${pack.path}`);
      out.line(
        table([
          ['  stream', m.stream],
          ['  generated_at', m.generated_at],
          ['  pack_digest', m.pack_digest],
          ['  manifest_digest', pack.manifestDigest],
          ['  artifacts', `${pack.artifacts.length} (${humanSize(total)})${referenced > 0 ? `, ${referenced} referenced` : ''}`],
          ['  attestations', pack.attestations.length === 0 ? '0 (unsigned)' : String(pack.attestations.length)],
          ['  sources', m.sources.length === 0 ? '-' : m.sources.map(sourceLabel).join(', ')],
          ...(m.provenance?.['type'] === 'merged' ? [['  provenance', `merged from ${(m.provenance['source_packs'] as unknown[]).length} packs`]] : []),
        ]).join('\n'),
      );
      if (pack.artifacts.length > 0) {
        out.line('');
        out.line(table([['PATH', 'TYPE', 'SIZE'], ...pack.artifacts.map((a) => [a.path, a.content_type ?? '-', humanSize(a.size)])]).join('\n'));
      }
    } finally {
      await pack.close();
    }
  },
});

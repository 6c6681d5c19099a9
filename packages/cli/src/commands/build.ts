import { defineCommand } from '../command.js';
import { limitsOption, withPackLimitFlags, type PackLimitFlags } from '../pack-limit-flags.js';
import { humanSize } from '../pack-output.js';
import { VERSION } from '../version.js';

interface Args extends PackLimitFlags {
  out: string;
  inputs: string[];
  stream: string;
  source?: string | string[];
  file?: string | string[];
  stdin?: string;
  contentType?: string | string[];
  generatedAt?: string;
  force: boolean;
  report?: string;
}

/** Repeatable flags are declared without `array: true`, which would swallow the positional inputs after them. */
function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export default defineCommand<Args>({
  command: 'build <out> [inputs..]',
  describe: 'Build an Evidence Pack from files, directories and globs',
  builder: (y) =>
    withPackLimitFlags(y)
      .positional('out', { type: 'string', describe: 'the pack file to write (.epack)', demandOption: true })
      .positional('inputs', { type: 'string', array: true, default: [], describe: 'files, directories (sub-paths kept) or quoted globs' })
      .option('stream', { alias: 's', type: 'string', demandOption: true, describe: 'stream identifier, e.g. acme/prod' })
      .option('source', { type: 'string', describe: 'a collector that produced the evidence: name@version (repeatable)' })
      .option('file', { alias: 'f', type: 'string', describe: 'map a file into the pack: src:dest (repeatable; --file=-:dest reads stdin)' })
      .option('stdin', { type: 'string', describe: 'read one artifact from stdin and store it at this path (same as --file=-:<path>)' })
      .option('content-type', { type: 'string', describe: 'override the detected type: path=type, or a bare type for every artifact (repeatable)' })
      .option('generated-at', { type: 'string', describe: 'generated_at (YYYY-MM-DDTHH:MM:SSZ); default SOURCE_DATE_EPOCH, else now' })
      .option('force', { type: 'boolean', default: false, describe: 'replace an existing output file' })
      .option('report', { type: 'string', describe: 'also write the human report of the built pack into this folder (index.html, next to the pack, not inside it)' })
      .example('epack build evidence.epack ./reports --stream acme/prod', 'pack a directory (paths kept under artifacts/reports/)')
      .example("epack build e.epack 'scans/**/*.sarif' --stream acme/prod --source trivy@0.58.1", 'pack a glob, record the collector')
      .example('trivy ... | epack build e.epack --stdin scans/trivy.json --stream acme/prod', 'pack stdin under a name')
      .example('epack build e.epack ./reports --stream acme/prod --report report/', 'build, then write report/index.html'),
  run: async (args, { out }) => {
    const { buildPack } = await import('@epack/oci-pack/pack');
    if (!args.out.endsWith('.epack')) out.warn(`${args.out}: Evidence Packs use the .epack extension (spec v1 §2.1)`);
    const result = await buildPack({
      out: args.out,
      inputs: args.inputs,
      stream: args.stream,
      sources: list(args.source),
      mappings: [...list(args.file), ...(args.stdin !== undefined ? [`-:${args.stdin}`] : [])],
      contentTypes: list(args.contentType),
      force: args.force,
      ...limitsOption(args),
      ...(args.generatedAt !== undefined ? { generatedAt: args.generatedAt } : {}),
    });
    const report = args.report === undefined ? undefined : await writeBuildReport(args.report, result.path);
    out.result({
      path: result.path,
      stream: result.stream,
      generated_at: result.generatedAt,
      pack_digest: result.packDigest,
      manifest_digest: result.manifestDigest,
      size: result.size,
      artifacts: result.artifactList,
      ...(report !== undefined ? { report } : {}),
    });
    out.line(`built ${result.path} (${result.artifacts} artifact${result.artifacts === 1 ? '' : 's'}, ${humanSize(result.size)})`);
    out.line(`  stream       ${result.stream}`);
    out.line(`  pack_digest  ${result.packDigest}`);
    const shown = result.artifactList.slice(0, 20);
    for (const a of shown) out.info(`  + ${a.path}  ${a.content_type}  ${humanSize(a.size)}`);
    if (result.artifactList.length > shown.length) out.info(`  … and ${result.artifactList.length - shown.length} more (epack list artifacts ${result.path})`);
    if (report !== undefined) out.line(`  report       ${report}`);
  },
});

/**
 * The report of the pack just written, read back from the file (so it shows
 * exactly what was packed, with its pack_digest). It lives beside the pack:
 * a report inside the pack could not show the digest of the pack holding it.
 */
async function writeBuildReport(dir: string, packPath: string): Promise<string> {
  const { openPack } = await import('@epack/oci-pack/pack');
  const { writeReport } = await import('@epack/oci-pack/report');
  const pack = await openPack(packPath);
  try {
    const written = await writeReport(dir, pack, { packArgument: packPath, generator: `epack ${VERSION}` });
    return written.path;
  } finally {
    await pack.close();
  }
}

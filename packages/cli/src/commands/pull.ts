import { defineCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';
import { targetOptions, withRegistryFlags, type RegistryFlags } from '../registry-flags.js';
import { transferProgress } from '../transfer-progress.js';

interface Args extends RegistryFlags {
  ref: string;
  output?: string;
  env?: string;
  config?: string;
}

export default defineCommand<Args>({
  command: 'pull <ref>',
  describe: 'Pull a pack artifact into a pack file (every byte checked; atomic)',
  builder: (y) =>
    withRegistryFlags(
      y
        .positional('ref', { type: 'string', describe: 'registry reference, oci:<dir>[:<tag>|@<digest>], or <remote>:<tag> of epack.yaml' })
        .option('output', { alias: 'o', type: 'string', describe: 'The pack file to write (default: <repository>-<tag>.epack)' })
        .option('env', { type: 'string', describe: 'Environment of epack.yaml whose overrides apply to the remote' })
        .option('config', { type: 'string', describe: 'The remotes file (default: ./epack.yaml)' }),
    )
      .example('epack pull ghcr.io/acme/evidence:2026-11 -o evidence.epack', 'pull by tag (resolved once, then by digest)')
      .example('epack pull oci:./store@sha256:… --json', 'pull by digest, print the result as JSON')
      .example('epack pull prod:2026-11 --env staging', 'pull from the remote "prod" of epack.yaml'),
  run: async (args, { out }) => {
    const { pullPackRef } = await import('@epack/oci-pack/publish');
    const progress = await transferProgress(out, 'pull');
    // Ctrl-C aborts the transfers; pull then removes its temporary file.
    const interrupt = new AbortController();
    const onSigint = (): void => interrupt.abort();
    process.once('SIGINT', onSigint);
    try {
      const result = await pullPackRef({
        signal: interrupt.signal,
        reference: args.ref,
        ...(args.output !== undefined ? { out: args.output } : {}),
        ...(args.env !== undefined ? { environment: args.env } : {}),
        ...(args.config !== undefined ? { configFile: args.config } : {}),
        targetOptions: targetOptions(args, out),
        onProgress: (p) => progress.update(p),
      });
      progress.stop();
      out.line(`pulled ${result.reference}`);
      out.line(`wrote ${result.out} (${result.artifacts} artifact(s), ${result.attestations} attestation(s))`);
      out.result({
        digest: result.digest,
        reference: result.reference,
        out: result.out,
        stream: result.stream,
        packDigest: result.packDigest,
        manifestDigest: result.manifestDigest,
        artifacts: result.artifacts,
        attestations: result.attestations,
        bytes: result.bytes,
        ...(result.remote ? { remote: result.remote } : {}),
      });
    } catch (err) {
      if (!interrupt.signal.aborted) throw err;
      progress.stop();
      out.errorLine('epack: interrupted; nothing was written');
      return ExitCode.interrupted;
    } finally {
      process.off('SIGINT', onSigint);
      progress.stop();
    }
  },
});

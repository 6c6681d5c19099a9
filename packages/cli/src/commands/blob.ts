import { defineCommand } from '../command.js';
import { targetOptions, withRegistryFlags, type RegistryFlags } from '../registry-flags.js';

interface Args extends RegistryFlags {
  action: string;
  ref: string;
  output?: string;
}

export default defineCommand<Args>({
  command: 'blob <action> <ref>',
  describe: 'Fetch a blob by digest, verified while it streams: blob fetch <ref@digest> [-o file]',
  builder: (y) =>
    withRegistryFlags(
      y
        .positional('action', { type: 'string', choices: ['fetch'], describe: 'what to do' })
        .positional('ref', { type: 'string', describe: 'registry reference or oci:<dir>, with @sha256:<hex>' })
        .option('output', { alias: 'o', type: 'string', describe: 'Write to this file (atomically) instead of stdout' }),
    ).example('epack blob fetch ghcr.io/acme/evidence@sha256:… -o sbom.json', 'save one blob'),
  run: async (args, { out }) => {
    const { openTarget, TargetPool, lookupBlob } = await import('@epack/oci-pack/store');
    const { UsageError } = await import('@epack/oci-pack/error');
    const { writeBlobAtomically } = await import('../blob-output.js');
    const pool = new TargetPool();
    try {
      const opened = await openTarget(args.ref, { ...targetOptions(args, out), readOnly: true, pool });
      const digest = opened.reference.digest;
      if (digest === undefined) {
        throw new UsageError('reference_needs_digest', `${args.ref} names no digest`, { hint: `write ${opened.base}@sha256:<hex>` });
      }
      const desc = await lookupBlob(opened.target, digest);
      const stream = await opened.target.fetch(desc);
      if (args.output !== undefined && args.output !== '-') {
        await writeBlobAtomically(stream, args.output);
        out.info(`Wrote ${args.output} (${desc.size} bytes)`);
        out.result({ digest: desc.digest, size: desc.size, path: args.output });
      } else {
        if (out.json) throw new UsageError('usage', '--json needs -o <file> (the blob itself goes to stdout otherwise)');
        // Straight to stdout with backpressure: a blob can be larger than memory.
        const { pipeline } = await import('node:stream/promises');
        await pipeline(stream, process.stdout, { end: false });
      }
    } finally {
      await pool.close();
    }
  },
});

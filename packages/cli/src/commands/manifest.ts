import { defineCommand } from '../command.js';
import { targetOptions, withRegistryFlags, type RegistryFlags } from '../registry-flags.js';

interface Args extends RegistryFlags {
  action: string;
  ref: string;
  descriptor?: boolean;
}

export default defineCommand<Args>({
  command: 'manifest <action> <ref>',
  describe: 'Fetch a manifest (verified against its digest): manifest fetch <ref>',
  builder: (y) =>
    withRegistryFlags(
      y
        .positional('action', { type: 'string', choices: ['fetch'], describe: 'what to do' })
        .positional('ref', { type: 'string', describe: 'registry reference or oci:<dir>:<tag>' })
        .option('descriptor', { type: 'boolean', default: false, describe: 'Print the descriptor instead of the manifest' }),
    ).example('epack manifest fetch ghcr.io/acme/evidence:v1', 'print the manifest bytes as stored'),
  run: async (args, { out }) => {
    const { openTarget, resolveReference, readAll, TargetPool } = await import('@epack/oci-pack/store');
    const pool = new TargetPool();
    try {
      const opened = await openTarget(args.ref, { ...targetOptions(args, out), readOnly: true, pool });
      const desc = await resolveReference(opened);
      const descriptor = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
      if (args.descriptor) {
        if (out.json) out.result(descriptor);
        else out.line(JSON.stringify(descriptor));
        return;
      }
      const bytes = await readAll(await opened.target.fetch(desc), 16 * 1024 * 1024);
      if (out.json) {
        out.result({ descriptor, manifest: JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown });
      } else {
        // The exact stored bytes (their digest is the manifest's), no newline added.
        out.raw(bytes);
      }
    } finally {
      await pool.close();
    }
  },
});

import { defineCommand } from '../command.js';
import { targetOptions, withRegistryFlags, type RegistryFlags } from '../registry-flags.js';

interface Args extends RegistryFlags {
  ref: string;
}

export default defineCommand<Args>({
  command: 'resolve <ref>',
  describe: 'Print the digest a tag (or digest) points at',
  builder: (y) =>
    withRegistryFlags(y.positional('ref', { type: 'string', describe: 'registry reference or oci:<dir>:<tag>' }))
      .example('epack resolve ghcr.io/acme/evidence:2026-11', 'print sha256:…')
      .example('epack resolve oci:./store:v1 --json', 'print the descriptor'),
  run: async (args, { out }) => {
    const { openTarget, resolveReference, TargetPool } = await import('@epack/oci-pack/store');
    const pool = new TargetPool();
    try {
      const opened = await openTarget(args.ref, { ...targetOptions(args, out), readOnly: true, pool });
      const desc = await resolveReference(opened);
      out.line(desc.digest);
      out.result({ mediaType: desc.mediaType, digest: desc.digest, size: desc.size, ...(desc.artifactType ? { artifactType: desc.artifactType } : {}) });
    } finally {
      await pool.close();
    }
  },
});

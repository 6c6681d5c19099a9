import { defineCommand } from '../command.js';
import { targetOptions, withRegistryFlags, type RegistryFlags } from '../registry-flags.js';

interface Args extends RegistryFlags {
  ref: string;
  tags: string[];
}

export default defineCommand<Args>({
  command: 'tag <ref> <tags..>',
  describe: 'Point more tags at the manifest a reference names',
  builder: (y) =>
    withRegistryFlags(
      y
        .positional('ref', { type: 'string', describe: 'registry reference or oci:<dir>:<tag>' })
        .positional('tags', { type: 'string', array: true, describe: 'tags to add' }),
    ).example('epack tag ghcr.io/acme/evidence:2026-11 latest stable', 'add two tags'),
  run: async (args, { out }) => {
    const { openTarget, resolveReference, TargetPool } = await import('@epack/oci-pack/store');
    const { isValidTag } = await import('@epack/oci-pack/oci');
    const { UsageError } = await import('@epack/oci-pack/error');
    for (const tag of args.tags) {
      if (!isValidTag(tag)) throw new UsageError('invalid_tag', `"${tag}" is not a valid tag`, { hint: 'a tag is 1-128 characters of [A-Za-z0-9_.-] and does not start with . or -' });
    }
    const pool = new TargetPool();
    try {
      const opened = await openTarget(args.ref, { ...targetOptions(args, out), pool });
      const desc = await resolveReference(opened);
      for (const tag of args.tags) {
        await opened.target.tag(desc, tag);
        out.line(`Tagged ${tag}`);
      }
      out.info(`Digest: ${desc.digest}`);
      out.result({ digest: desc.digest, mediaType: desc.mediaType, size: desc.size, tags: args.tags });
    } finally {
      await pool.close();
    }
  },
});

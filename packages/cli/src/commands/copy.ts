import { defineCommand } from '../command.js';
import { targetOptions, withRegistryFlags, type RegistryFlags } from '../registry-flags.js';
import { copyProgress, formatBytes } from '../copy-progress.js';

interface Args extends RegistryFlags {
  src: string;
  dst: string;
  recursive?: boolean;
  concurrency?: number;
  artifactType?: string;
}

export default defineCommand<Args>({
  command: 'copy <src> <dst>',
  describe: 'Copy a manifest and everything it points at (with -r, its referrers too) between registries and oci: layouts',
  builder: (y) =>
    withRegistryFlags(
      y
        .positional('src', { type: 'string', describe: 'source: registry reference or oci:<dir>:<tag>' })
        .positional('dst', { type: 'string', describe: 'destination; without a tag, the source tag is used' })
        .option('recursive', { alias: 'r', type: 'boolean', default: false, describe: 'Also copy the referrers (signatures, attestations), recursively' })
        .option('concurrency', { type: 'number', default: 6, describe: 'Parallel transfers (1-64)' })
        .option('artifact-type', { type: 'string', describe: "With -r: only the root's referrers of this type (and what refers to them)" }),
    )
      .example('epack copy -r ghcr.io/acme/evidence:v1 oci:./backup', 'back up a pack with its signatures')
      .example('epack copy localhost:5000/a:v1 localhost:5000/b:v1', 'copy between repositories (blobs are mounted)'),
  run: async (args, { out }) => {
    const { openTarget, resolveReference, referenceTag, copyGraph, TargetPool } = await import('@epack/oci-pack/store');
    const { UsageError } = await import('@epack/oci-pack/error');
    if (args.concurrency !== undefined && !(Number.isInteger(args.concurrency) && args.concurrency >= 1 && args.concurrency <= 64)) {
      throw new UsageError('invalid_concurrency', `--concurrency must be a whole number from 1 to 64, not ${args.concurrency}`);
    }
    const pool = new TargetPool();
    const options = targetOptions(args, out);
    try {
      const src = await openTarget(args.src, { ...options, readOnly: true, pool });
      const dst = await openTarget(args.dst, { ...options, pool });
      const root = await resolveReference(src);
      if (dst.reference.digest !== undefined && dst.reference.digest !== root.digest) {
        throw new UsageError('digest_conflict', `${args.dst} names ${dst.reference.digest}, but ${args.src} is ${root.digest}`);
      }
      const tag = dst.reference.tag ?? (dst.reference.digest === undefined ? await referenceTag(src) : undefined);
      const sameRegistry = src.registry !== undefined && src.registry === dst.registry && src.repository !== dst.repository;
      const progress = await copyProgress(out, 'Copying');
      // Ctrl-C aborts the transfers so that temp files are removed and no tag is set.
      const interrupt = new AbortController();
      const onSigint = (): void => interrupt.abort(new Error('interrupted'));
      process.once('SIGINT', onSigint);
      let result;
      try {
        result = await copyGraph(src.target, dst.target, root, {
          signal: interrupt.signal,
          concurrency: args.concurrency ?? 6,
          referrers: args.recursive ?? false,
          ...(args.artifactType !== undefined ? { artifactType: args.artifactType } : {}),
          ...(sameRegistry && src.repository !== undefined ? { mountFrom: src.repository } : {}),
          ...(tag !== undefined ? { tag } : {}),
          onProgress: (event) => progress.onEvent(event),
        });
      } catch (err) {
        if (!interrupt.signal.aborted) throw err;
        progress.stop();
        out.errorLine('epack: interrupted: the copy was stopped; nothing was tagged at the destination');
        return 130;
      } finally {
        process.removeListener('SIGINT', onSigint);
        progress.stop();
      }
      out.info(`Copied ${src.display} => ${dst.base}${tag !== undefined ? `:${tag}` : ''} (${result.copied} copied, ${result.skipped} already there, ${formatBytes(result.bytes)}${args.recursive ? `, ${result.referrers.length} referrers` : ''})`);
      out.line(root.digest);
      out.result({
        source: src.display,
        destination: `${dst.base}${tag !== undefined ? `:${tag}` : ''}`,
        digest: root.digest,
        mediaType: root.mediaType,
        size: root.size,
        tags: result.tags,
        copied: result.copied,
        skipped: result.skipped,
        bytes: result.bytes,
        referrers: result.referrers.map((r) => ({ mediaType: r.mediaType, digest: r.digest, size: r.size, ...(r.artifactType ? { artifactType: r.artifactType } : {}) })),
      });
    } finally {
      await pool.close();
    }
  },
});

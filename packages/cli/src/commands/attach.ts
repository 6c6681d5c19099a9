import { defineCommand } from '../command.js';
import { targetOptions, withRegistryFlags, type RegistryFlags } from '../registry-flags.js';

interface Args extends RegistryFlags {
  ref: string;
  files: string[];
  artifactType: string;
  annotation?: string[];
}

export default defineCommand<Args>({
  command: 'attach <ref> <files..>',
  describe: 'Attach files to a manifest as a referrer (an artifact whose subject is the manifest)',
  builder: (y) =>
    withRegistryFlags(
      y
        .positional('ref', { type: 'string', describe: 'the subject: registry reference or oci:<dir>:<tag>' })
        .positional('files', { type: 'string', array: true, describe: 'files to attach, each optionally as <file>:<media type>' })
        .option('artifact-type', { type: 'string', demandOption: true, describe: 'Artifact type of the new manifest' })
        .option('annotation', { alias: 'a', type: 'string', array: true, describe: 'Manifest annotation key=value (repeatable)' }),
    ).example('epack attach ghcr.io/acme/evidence:v1 sbom.spdx.json:application/spdx+json --artifact-type application/spdx+json', 'attach an SBOM'),
  run: async (args, { out }) => {
    const { openTarget, resolveReference, attachArtifact, isMediaType, TargetPool } = await import('@epack/oci-pack/store');
    const { UsageError } = await import('@epack/oci-pack/error');
    const annotations: Record<string, string> = {};
    for (const pair of args.annotation ?? []) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new UsageError('invalid_annotation', `"${pair}" is not key=value`);
      annotations[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    const files = args.files.map((spec) => {
      // <file>:<type/subtype>; a colon not followed by a media type belongs to the path.
      const colon = spec.lastIndexOf(':');
      if (colon > 0 && isMediaType(spec.slice(colon + 1))) return { path: spec.slice(0, colon), mediaType: spec.slice(colon + 1) };
      return { path: spec };
    });
    const pool = new TargetPool();
    try {
      const opened = await openTarget(args.ref, { ...targetOptions(args, out), pool });
      const subject = await resolveReference(opened);
      const desc = await attachArtifact(opened.target, subject, { artifactType: args.artifactType, files, annotations });
      out.line(desc.digest);
      out.info(`Attached to ${opened.base}@${subject.digest}`);
      out.result({ ...desc, subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size } });
    } finally {
      await pool.close();
    }
  },
});

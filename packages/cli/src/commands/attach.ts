import { defineCommand } from '../command.js';
import { targetOptions, withRegistryFlags, type RegistryFlags } from '../registry-flags.js';
import { signerFromFlags, withSignerFlags, type SignerFlags } from '../signing.js';

interface Args extends RegistryFlags, SignerFlags {
  ref: string;
  files?: string[];
  artifactType?: string;
  annotation?: string[];
  attestation?: string;
}

export default defineCommand<Args>({
  command: 'attach <ref> [files..]',
  describe: 'Attach files to a manifest as a referrer, or a signed in-toto attestation (--attestation)',
  builder: (y) =>
    withRegistryFlags(
      withSignerFlags(
        y
          .positional('ref', { type: 'string', describe: 'the subject: registry reference or oci:<dir>:<tag>' })
          .positional('files', { type: 'string', array: true, describe: 'files to attach, each optionally as <file>:<media type>' })
          .option('artifact-type', { type: 'string', describe: 'Artifact type of the new manifest (required with files)' })
          .option('annotation', { alias: 'a', type: 'string', array: true, describe: 'Manifest annotation key=value (repeatable)' })
          .option('attestation', {
            type: 'string',
            describe: 'Sign this in-toto statement (or {predicateType, predicate}) file about the manifest and attach it as a Sigstore bundle referrer (cosign v3 shape)',
          }),
      ),
    )
      .example('epack attach ghcr.io/acme/evidence:v1 sbom.spdx.json:application/spdx+json --artifact-type application/spdx+json', 'attach an SBOM')
      .example('epack attach ghcr.io/acme/evidence:v1 --attestation provenance.json --key cosign.pem', 'attach signed SLSA provenance'),
  run: async (args, { out }) => {
    const { UsageError } = await import('@epack/oci-pack/error');
    const files = args.files ?? [];
    if (args.attestation !== undefined) {
      if (files.length > 0 || args.artifactType !== undefined || (args.annotation ?? []).length > 0) {
        throw new UsageError('usage', '--attestation attaches a signed statement; it takes no files, --artifact-type or --annotation');
      }
      return attachSignedStatement(args, args.attestation, out);
    }
    if (files.length === 0) throw new UsageError('usage', 'nothing to attach', { hint: 'name files (with --artifact-type) or pass --attestation <statement.json>' });
    if (args.artifactType === undefined) throw new UsageError('usage', 'files need --artifact-type');
    const { openTarget, resolveReference, attachArtifact, isMediaType, TargetPool } = await import('@epack/oci-pack/store');
    const annotations: Record<string, string> = {};
    for (const pair of args.annotation ?? []) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new UsageError('invalid_annotation', `"${pair}" is not key=value`);
      annotations[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    const specs = files.map((spec) => {
      // <file>:<type/subtype>; a colon not followed by a media type belongs to the path.
      const colon = spec.lastIndexOf(':');
      if (colon > 0 && isMediaType(spec.slice(colon + 1))) return { path: spec.slice(0, colon), mediaType: spec.slice(colon + 1) };
      return { path: spec };
    });
    const pool = new TargetPool();
    try {
      const opened = await openTarget(args.ref, { ...targetOptions(args, out), pool });
      const subject = await resolveReference(opened);
      const desc = await attachArtifact(opened.target, subject, { artifactType: args.artifactType, files: specs, annotations });
      out.line(desc.digest);
      out.info(`Attached to ${opened.base}@${subject.digest}`);
      out.result({ ...desc, subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size } });
    } finally {
      await pool.close();
    }
  },
});

/** The same library call as `epack sign <ref> --attestation`: resolve once, sign, attach the bundle referrer. */
async function attachSignedStatement(args: Args, statementFile: string, out: Parameters<typeof signerFromFlags>[1]): Promise<void> {
  const sign = await import('@epack/oci-pack/sign');
  const { openTarget, resolveReference, TargetPool } = await import('@epack/oci-pack/store');
  const { NotFoundError } = await import('@epack/oci-pack/error');
  const { readFile } = await import('node:fs/promises');
  let statement: Buffer;
  try {
    statement = await readFile(statementFile);
  } catch (err) {
    throw new NotFoundError('file_not_found', `cannot read ${statementFile}: ${(err as Error).message}`);
  }
  const signer = await signerFromFlags(args, out);
  const pool = new TargetPool();
  try {
    const opened = await openTarget(args.ref, { ...targetOptions(args, out), pool });
    const subject = await resolveReference(opened);
    const subjectName = opened.repository !== undefined && opened.registry !== undefined ? `${opened.registry}/${opened.repository}` : opened.base;
    const res = await sign.attachAttestation(opened.target, subject.digest, statement, { ...signer, subjectName });
    out.line(res.referrer.digest);
    out.info(`Attested ${opened.base}@${res.subject.digest} (${res.predicateType}, ${args.key === undefined ? 'keyless' : 'key'})`);
    out.result({
      mediaType: res.referrer.mediaType,
      digest: res.referrer.digest,
      size: res.referrer.size,
      artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      predicateType: res.predicateType,
      mode: args.key === undefined ? 'keyless' : 'key',
      subject: { mediaType: res.subject.mediaType, digest: res.subject.digest, size: res.subject.size },
    });
  } finally {
    await pool.close();
  }
}

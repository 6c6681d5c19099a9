import { defineCommand } from '../command.js';
import { limitsOption, withPackLimitFlags, type PackLimitFlags } from '../pack-limit-flags.js';
import { targetOptions, withRegistryFlags, type RegistryFlags } from '../registry-flags.js';
import { isPackArgument, signerFromFlags, withSignerFlags, type SignerFlags } from '../signing.js';

interface Args extends RegistryFlags, SignerFlags, PackLimitFlags {
  target: string;
  attestation?: string;
  name?: string;
}

export default defineCommand<Args>({
  command: 'sign <target>',
  describe: 'Sign a pack (embedded attestation) or an OCI artifact (cosign v3 bundle referrer) with Sigstore',
  builder: (y) =>
    withRegistryFlags(
      withPackLimitFlags(
        withSignerFlags(
          y
            .positional('target', { type: 'string', describe: 'a pack file, or a registry reference / oci:<dir>:<tag>' })
            .option('attestation', { type: 'string', describe: 'References only: sign this in-toto statement / {predicateType, predicate} file instead of a plain signature (same as epack attach --attestation)' })
            .option('name', { type: 'string', describe: 'Packs only: attestation file name (default sha256 of the signer identity)' }),
        ),
      ),
    )
      .example('epack sign evidence.epack --key cosign.pem --tlog-upload=false', 'key-sign a pack, no public log')
      .example('SIGSTORE_ID_TOKEN=$TOKEN epack sign ghcr.io/acme/evidence:2026-11', 'keyless-sign an artifact in a registry'),
  run: async (args, { out }) => {
    const sign = await import('@epack/oci-pack/sign');
    const { UsageError } = await import('@epack/oci-pack/error');
    const keyless = args.key === undefined;
    const signer = await signerFromFlags(args, out);

    if (await isPackArgument(args.target)) {
      if (args.attestation !== undefined) throw new UsageError('usage', '--attestation applies to OCI references, not packs');
      const res = await sign.signPack(args.target, { ...signer, ...limitsOption(args), ...(args.name !== undefined ? { name: args.name } : {}) });
      out.result({
        kind: 'pack',
        path: res.path,
        attestation: res.attestation,
        mode: res.mode,
        identity: res.identity,
        manifestDigest: `sha256:${res.manifestDigest}`,
        predicateType: sign.EVIDENCE_PACK_PREDICATE_TYPE,
      });
      out.line(`Signed ${res.path} as ${res.identity}`);
      out.info(`  attestation: ${res.attestation}`);
      return;
    }

    if (args.name !== undefined) throw new UsageError('usage', '--name applies to packs, not OCI references');
    const { openTarget, resolveReference, TargetPool } = await import('@epack/oci-pack/store');
    const { readFile } = await import('node:fs/promises');
    const pool = new TargetPool();
    try {
      const opened = await openTarget(args.target, { ...targetOptions(args, out), pool });
      const subject = await resolveReference(opened);
      const subjectName = opened.repository !== undefined && opened.registry !== undefined ? `${opened.registry}/${opened.repository}` : opened.base;
      const res =
        args.attestation !== undefined
          ? await sign.attachAttestation(opened.target, subject.digest, await readStatement(readFile, args.attestation), { ...signer, subjectName })
          : await sign.signArtifact(opened.target, subject.digest, { ...signer, subjectName });
      out.result({
        kind: 'reference',
        reference: `${opened.base}@${res.subject.digest}`,
        subject: { mediaType: res.subject.mediaType, digest: res.subject.digest, size: res.subject.size },
        referrer: { mediaType: res.referrer.mediaType, digest: res.referrer.digest, size: res.referrer.size },
        predicateType: res.predicateType,
        mode: keyless ? 'keyless' : 'key',
      });
      out.line(`${opened.base}@${res.referrer.digest}`);
      out.info(`Signed ${opened.base}@${res.subject.digest} (${res.predicateType})`);
    } finally {
      await pool.close();
    }
  },
});

async function readStatement(readFile: (p: string) => Promise<Buffer>, file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const { NotFoundError } = await import('@epack/oci-pack/error');
    throw new NotFoundError('file_not_found', `cannot read ${file}: ${(err as Error).message}`);
  }
}

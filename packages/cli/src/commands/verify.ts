import { VerificationError } from '@epack/oci-pack/error';
import { defineCommand } from '../command.js';
import { humanSize } from '../pack-output.js';
import { limitsOption, withPackLimitFlags, type PackLimitFlags } from '../pack-limit-flags.js';
import type { Output } from '../output.js';
import { targetOptions, withRegistryFlags, type RegistryFlags } from '../registry-flags.js';
import { isPackArgument, withPolicyFlags, type PolicyFlags } from '../signing.js';
import { hasPolicyFlags, policyFromFlags, printSignatures, signatureJson, trustFlags } from '../verify-signatures.js';

interface Args extends PolicyFlags, RegistryFlags, PackLimitFlags {
  target: string;
  integrityOnly: boolean;
  type?: string;
}

/**
 * Pack verification: integrity (structure, artifact digests, pack_digest)
 * always runs, then every embedded attestation against the signature policy.
 * Reference verification: the signature referrers (and legacy cosign .sig
 * tags) of the manifest the reference resolves to, against the policy.
 * Both fail closed: signatures without a policy are not "verified".
 */
export default defineCommand<Args>({
  command: 'verify <target>',
  describe: 'Verify a pack (integrity and signatures) or the signatures of an OCI artifact',
  builder: (y) =>
    withRegistryFlags(
      withPolicyFlags(
        withPackLimitFlags(y)
          .positional('target', { type: 'string', describe: 'a pack file, or a registry reference / oci:<dir>:<tag>', demandOption: true })
          .option('integrity-only', { type: 'boolean', default: false, describe: 'Packs: check integrity only; do not evaluate attestations' })
          .option('type', { type: 'string', describe: 'References: the predicate type to verify (default https://sigstore.dev/cosign/sign/v1)' }),
      ),
    )
      .example('epack verify evidence.epack --integrity-only', 'digests and structure only')
      .example(
        'epack verify evidence.epack --issuer https://token.actions.githubusercontent.com --subject-regexp "https://github.com/acme/.*/release.yml@refs/heads/main"',
        'keyless signatures by a GitHub Actions workflow',
      )
      .example('epack verify ghcr.io/acme/evidence:2026-11 --key cosign.pub', 'registry signatures made with a key'),
  run: async (args, { out }) => {
    if (await isPackArgument(args.target)) return verifyPackCommand(args, out);
    if (args.integrityOnly) {
      const { UsageError } = await import('@epack/oci-pack/error');
      throw new UsageError('usage', '--integrity-only applies to packs; registry content is always digest-checked');
    }
    return verifyReferenceCommand(args, out);
  },
});

type Out = Output;

async function verifyPackCommand(args: Args, out: Out): Promise<void> {
  const { verifyPackIntegrity } = await import('@epack/oci-pack/pack');
  if (args.integrityOnly || !hasPolicyFlags(args)) {
    const summary = await verifyPackIntegrity(args.target, limitsOption(args));
    if (!args.integrityOnly && summary.attestations.length > 0) {
      throw new VerificationError('policy_required', `${args.target} has ${summary.attestations.length} attestation(s) and no signature policy was given`, {
        hint: 'pass --integrity-only to check digests only, or a signer policy (--issuer/--subject, --key) to verify the signatures',
        details: { attestations: summary.attestations },
      });
    }
    out.result({ ok: true, ...summary, attestationCheck: args.integrityOnly && summary.attestations.length > 0 ? 'skipped' : 'none' });
    out.line(`${out.paint('32', 'verified')} ${summary.path}: ${summary.artifacts} artifacts (${humanSize(summary.bytes)}), pack_digest ${summary.packDigest}`);
    if (args.integrityOnly && summary.attestations.length > 0) out.info(`attestations not checked (--integrity-only): ${summary.attestations.join(', ')}`);
    if (summary.attestations.length === 0) out.info('the pack is unsigned: integrity is not authenticity');
    return;
  }
  const { verifyPack } = await import('@epack/oci-pack/sign');
  const result = await verifyPack(args.target, { ...trustFlags(args), ...limitsOption(args), policy: await policyFromFlags(args) });
  const summary = result.integrity;
  out.result({
    ok: true,
    ...summary,
    attestationCheck: 'verified',
    signatures: result.signatures.map(signatureJson),
    policy: { satisfied: result.policy.satisfied, threshold: result.policy.threshold, met: result.policy.met, unmet: result.policy.unmet },
  });
  out.line(`${out.paint('32', 'verified')} ${summary.path}: ${summary.artifacts} artifacts (${humanSize(summary.bytes)}), pack_digest ${summary.packDigest}`);
  out.line(`signatures (${result.policy.met.length} of ${result.policy.threshold} required):`);
  printSignatures(result.signatures, out);
}

async function verifyReferenceCommand(args: Args, out: Out): Promise<void> {
  const { verifyArtifact } = await import('@epack/oci-pack/sign');
  const { openTarget, resolveReference, TargetPool } = await import('@epack/oci-pack/store');
  const pool = new TargetPool();
  try {
    const opened = await openTarget(args.target, { ...targetOptions(args, out), readOnly: true, pool });
    const subject = await resolveReference(opened);
    const result = await verifyArtifact(opened.target, subject.digest, {
      ...trustFlags(args),
      policy: await policyFromFlags(args),
      ...(args.type !== undefined ? { predicateType: args.type } : {}),
    });
    out.result({
      ok: true,
      reference: `${opened.base}@${subject.digest}`,
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      pack: result.pack ?? null,
      signatures: result.signatures.map(signatureJson),
      failures: result.failures,
      policy: { satisfied: result.policy.satisfied, threshold: result.policy.threshold, met: result.policy.met, unmet: result.policy.unmet },
    });
    out.line(`${out.paint('32', 'verified')} ${opened.base}@${subject.digest}: ${result.policy.met.length} of ${result.policy.threshold} required signer(s)`);
    if (result.pack) out.info(`  Evidence Pack ${result.pack.stream}: ${result.pack.artifacts} artifacts match manifest.json, pack_digest ${result.pack.packDigest}`);
    printSignatures(result.signatures, out);
    for (const f of result.failures) out.warn(`${f.source}: ${f.code}: ${f.message}`);
  } finally {
    await pool.close();
  }
}

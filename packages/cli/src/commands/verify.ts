import { VerificationError } from '@epack/oci-pack/error';
import { defineCommand } from '../command.js';
import { humanSize } from '../pack-output.js';

interface Args {
  pack: string;
  integrityOnly: boolean;
}

/**
 * Pack verification. Integrity (structure, artifact digests, pack_digest)
 * always runs. A pack with attestations needs a signature policy; until one
 * is given, verification fails closed instead of silently skipping them.
 */
export default defineCommand<Args>({
  command: 'verify <pack>',
  describe: 'Verify a pack: structure, artifact digests, pack_digest (and signatures)',
  builder: (y) =>
    y
      .positional('pack', { type: 'string', describe: 'a pack file', demandOption: true })
      .option('integrity-only', { type: 'boolean', default: false, describe: 'check integrity only; do not evaluate attestations' })
      .example('epack verify evidence.epack --integrity-only', 'digests and structure only'),
  run: async (args, { out }) => {
    const { verifyPackIntegrity } = await import('@epack/oci-pack/pack');
    const summary = await verifyPackIntegrity(args.pack);
    if (!args.integrityOnly && summary.attestations.length > 0) {
      throw new VerificationError('policy_required', `${args.pack} has ${summary.attestations.length} attestation(s) and no signature policy was given`, {
        hint: 'pass --integrity-only to check digests only, or a signer policy (--issuer/--subject, --key) to verify the signatures',
        details: { attestations: summary.attestations },
      });
    }
    out.result({ ok: true, ...summary, attestationCheck: args.integrityOnly && summary.attestations.length > 0 ? 'skipped' : 'none' });
    out.line(`${out.paint('32', 'verified')} ${summary.path}: ${summary.artifacts} artifacts (${humanSize(summary.bytes)}), pack_digest ${summary.packDigest}`);
    if (args.integrityOnly && summary.attestations.length > 0) out.info(`attestations not checked (--integrity-only): ${summary.attestations.join(', ')}`);
    if (summary.attestations.length === 0) out.info('the pack is unsigned: integrity is not authenticity');
  },
});

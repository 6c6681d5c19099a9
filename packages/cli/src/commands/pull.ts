import { defineCommand } from '../command.js';
import { limitsOption, withPackLimitFlags, type PackLimitFlags } from '../pack-limit-flags.js';
import { ExitCode } from '../exit-codes.js';
import { targetOptions, withRegistryFlags, type RegistryFlags } from '../registry-flags.js';
import { withPolicyFlags, type PolicyFlags } from '../signing.js';
import { transferProgress } from '../transfer-progress.js';
import { hasPolicyFlags, policyFromFlags, printSignatures, signatureJson, trustFlags } from '../verify-signatures.js';
import type { PullVerifyContext } from '@epack/oci-pack/publish';
import type { SignaturesVerdict } from '@epack/oci-pack/sign';

interface Args extends RegistryFlags, PolicyFlags, PackLimitFlags {
  ref: string;
  output?: string;
  env?: string;
  config?: string;
  concurrency: number;
  verify: boolean;
}

interface Verification {
  source: 'pack' | 'referrers';
  verdict: SignaturesVerdict;
}

export default defineCommand<Args>({
  command: 'pull <ref>',
  describe: 'Pull a pack artifact into a pack file (every byte checked; atomic)',
  builder: (y) =>
    withPolicyFlags(withRegistryFlags(
      withPackLimitFlags(y)
        .positional('ref', { type: 'string', describe: 'registry reference, oci:<dir>[:<tag>|@<digest>], or <remote>:<tag> of epack.yaml' })
        .option('output', { alias: 'o', type: 'string', describe: 'The pack file to write (default: <repository>-<tag>.epack)' })
        .option('env', { type: 'string', describe: 'Environment of epack.yaml whose overrides apply to the remote' })
        .option('config', { type: 'string', describe: 'The remotes file (default: ./epack.yaml)' })
        .option('concurrency', { type: 'number', default: 1, describe: 'Large blobs downloaded at once; above 1 they are staged on disk first (for distant registries)' })
        .option('verify', {
          type: 'boolean',
          default: false,
          describe: "Verify signatures before the file appears: the pack's attestations, or the artifact's signature referrers when the pack has none",
        }),
    ))
      .example('epack pull ghcr.io/acme/evidence:2026-11 -o evidence.epack', 'pull by tag (resolved once, then by digest)')
      .example('epack pull oci:./store@sha256:… --json', 'pull by digest, print the result as JSON')
      .example('epack pull prod:2026-11 --env staging', 'pull from the remote "prod" of epack.yaml')
      .example('epack pull ghcr.io/acme/evidence:2026-11 --verify --key cosign.pub', 'pull, then keep it only if a signature verifies'),
  run: async (args, { out }) => {
    const { pullPackRef } = await import('@epack/oci-pack/publish');
    const { UsageError } = await import('@epack/oci-pack/error');
    if (args.verify && !hasPolicyFlags(args)) {
      throw new UsageError('policy_required', '--verify needs a signer policy', { hint: 'pass --key <public.pem>, or --issuer/--subject (or their -regexp forms)' });
    }
    if (!args.verify && hasPolicyFlags(args)) {
      throw new UsageError('usage', 'signature policy flags apply with --verify', { hint: 'add --verify' });
    }
    let verification: Verification | undefined;
    const verify = async (tmp: string, context: PullVerifyContext): Promise<void> => {
      verification = await verifyPulled(tmp, context, args);
    };
    const progress = await transferProgress(out, 'pull');
    // Ctrl-C aborts the transfers; pull then removes its temporary file.
    const interrupt = new AbortController();
    const onSigint = (): void => interrupt.abort();
    process.once('SIGINT', onSigint);
    try {
      const result = await pullPackRef({
        signal: interrupt.signal,
        reference: args.ref,
        ...(args.output !== undefined ? { out: args.output } : {}),
        ...(args.env !== undefined ? { environment: args.env } : {}),
        ...(args.config !== undefined ? { configFile: args.config } : {}),
        targetOptions: targetOptions(args, out),
        concurrency: args.concurrency,
        ...limitsOption(args),
        ...(args.verify ? { verify } : {}),
        onProgress: (p) => progress.update(p),
      });
      progress.stop();
      out.line(`pulled ${result.reference}`);
      out.line(`wrote ${result.out} (${result.artifacts} artifact(s), ${result.attestations} attestation(s))`);
      if (verification) {
        const { policy } = verification.verdict;
        out.line(`signatures (${verification.source === 'pack' ? "the pack's attestations" : 'signature referrers'}; ${policy.met.length} of ${policy.threshold} required):`);
        printSignatures(verification.verdict.signatures, out);
      }
      out.result({
        digest: result.digest,
        reference: result.reference,
        out: result.out,
        stream: result.stream,
        packDigest: result.packDigest,
        manifestDigest: result.manifestDigest,
        artifacts: result.artifacts,
        attestations: result.attestations,
        bytes: result.bytes,
        ...(result.remote ? { remote: result.remote } : {}),
        ...(verification
          ? {
              verification: {
                source: verification.source,
                signatures: verification.verdict.signatures.map(signatureJson),
                policy: {
                  satisfied: verification.verdict.policy.satisfied,
                  threshold: verification.verdict.policy.threshold,
                  met: verification.verdict.policy.met,
                  unmet: verification.verdict.policy.unmet,
                },
              },
            }
          : {}),
      });
    } catch (err) {
      if (!interrupt.signal.aborted) throw err;
      progress.stop();
      out.errorLine('epack: interrupted; nothing was written');
      return ExitCode.interrupted;
    } finally {
      process.off('SIGINT', onSigint);
      progress.stop();
    }
  },
});

/**
 * The pack's embedded attestations when it has any (they cover manifest.json
 * and travel with the file); otherwise the signature referrers of the
 * manifest the reference resolved to. Either must satisfy the policy.
 */
async function verifyPulled(tmp: string, context: PullVerifyContext, args: Args): Promise<Verification> {
  const sign = await import('@epack/oci-pack/sign');
  const { openPack } = await import('@epack/oci-pack/pack');
  const policy = await policyFromFlags(args);
  const pack = await openPack(tmp, limitsOption(args));
  const embedded = pack.attestations.length;
  await pack.close();
  if (embedded > 0) return { source: 'pack', verdict: await sign.verifyPack(tmp, { ...trustFlags(args), ...limitsOption(args), policy }) };
  const { isReferrerLister } = await import('@epack/oci-pack/store');
  const { VerificationError } = await import('@epack/oci-pack/error');
  if (!isReferrerLister(context.store)) {
    throw new VerificationError('no_signatures', 'the pack has no attestations and the store cannot list signature referrers');
  }
  const target = context.store as unknown as Parameters<typeof sign.verifyArtifact>[0];
  return { source: 'referrers', verdict: await sign.verifyArtifact(target, context.descriptor.digest, { ...trustFlags(args), policy }) };
}

import type { ReportSignature, ReportSource } from '@epack/oci-pack/report';
import { defineCommand } from '../command.js';
import type { Output } from '../output.js';
import { targetOptions, withRegistryFlags, type RegistryFlags } from '../registry-flags.js';
import { withPolicyFlags, type PolicyFlags } from '../signing.js';
import { hasPolicyFlags, policyFromFlags, trustFlags } from '../verify-signatures.js';
import { VERSION } from '../version.js';

interface Args extends RegistryFlags, PolicyFlags {
  pack: string;
  output: string;
  previous?: string;
  maxInlineImage: number;
}

/**
 * Writes the human report of a pack: <dir>/index.html, self-contained
 * (works from file:// and any static host). Without a policy, signatures
 * are shown as the attestations claim them, with the commands that verify
 * them; with policy flags they are verified first (exit 1 when that fails,
 * after the report is written).
 */
export default defineCommand<Args>({
  command: 'report <pack>',
  describe: 'Write a human report of a pack (index.html): artifacts with summaries, signatures, changes',
  builder: (y) =>
    withRegistryFlags(
      withPolicyFlags(
        y
          .positional('pack', { type: 'string', describe: 'a pack file, or a registry reference / oci:<dir>:<tag>', demandOption: true })
          .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'the folder to write index.html into (created if missing)' })
          .option('previous', { type: 'string', describe: 'an earlier pack (file or reference): the report shows what changed since' })
          .option('max-inline-image', { type: 'number', default: 1024 * 1024, describe: 'embed images up to this many bytes as thumbnails (0: none)' }),
      ),
    )
      .example('epack report evidence.epack -o report/', 'write report/index.html')
      .example('epack report evidence.epack -o report/ --issuer https://token.actions.githubusercontent.com --subject-regexp "https://github.com/acme/.*"', 'verify the signatures, and show the result')
      .example('epack report ghcr.io/acme/evidence:2026-11 -o site/ --previous ghcr.io/acme/evidence:2026-10', 'a pushed pack, with what changed since October'),
  run: async (args, { out }) => {
    const { openReportSource, writeReport, modelForJson } = await import('@epack/oci-pack/report');
    const options = { targetOptions: targetOptions(args, out) };
    const source = await openReportSource(args.pack, options);
    try {
      const verification = hasPolicyFlags(args) ? await verifySignatures(args, source, out) : undefined;
      const claims = verification ? undefined : await claimedSignatures(args, source, out);
      const previous = args.previous === undefined ? undefined : await openReportSource(args.previous, options);
      try {
        const written = await writeReport(args.output, source.pack, {
          packArgument: source.reference ?? args.pack,
          ...(source.reference ? { reference: source.reference } : {}),
          ...(previous ? { previous: previous.pack } : {}),
          signatures: verification ? verification.signatures : claims,
          maxInlineImageBytes: Math.max(0, args.maxInlineImage),
          generator: `epack ${VERSION}`,
        });
        for (const a of written.model.artifacts) if (a.summary.kind === 'error') out.warn(`${a.path}: ${a.summary.message}`);
        out.result({
          path: written.path,
          bytes: written.bytes,
          ...(verification ? { verified: verification.ok } : {}),
          report: modelForJson(written.model),
        });
        out.line(written.path);
        if (verification && !verification.ok) {
          out.errorLine(`epack: verification_failed: ${verification.reason} (the report shows each signature)`);
          return 1;
        }
      } finally {
        await previous?.pack.close();
      }
    } finally {
      await source.pack.close();
    }
  },
});

/** What the pack's attestations and, for a reference, its signature referrers claim (not verified). */
async function claimedSignatures(args: Args, source: ReportSource, out: Output): Promise<ReportSignature[]> {
  const { readClaimedSignatures, readReferenceSignatureClaims } = await import('@epack/oci-pack/report');
  const claims = await readClaimedSignatures(source.pack);
  if (source.reference && source.subject) {
    try {
      claims.push(...(await readReferenceSignatureClaims(source.reference, source.subject, targetOptions(args, out))));
    } catch (err) {
      out.warn(`cannot list the signatures of ${source.reference} in the registry: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return claims;
}

interface Verification {
  ok: boolean;
  reason: string;
  signatures: ReportSignature[];
}

/** Verifies against the policy flags; a failed verdict is shown in the report, not thrown. */
async function verifySignatures(args: Args, source: ReportSource, out: Output): Promise<Verification> {
  const { isEpackError } = await import('@epack/oci-pack/error');
  const { mergeSignatures, readClaimedSignatures, signaturesFromVerdict } = await import('@epack/oci-pack/report');
  const sign = await import('@epack/oci-pack/sign');
  const policy = await policyFromFlags(args);
  const claimed = await readClaimedSignatures(source.pack);
  const location = source.reference ? 'registry' : 'pack';
  try {
    let verdict: import('@epack/oci-pack/sign').SignaturesVerdict;
    if (!source.reference) {
      verdict = await sign.verifyPack(args.pack, { ...trustFlags(args), policy });
    } else {
      const { openTarget, TargetPool } = await import('@epack/oci-pack/store');
      const pool = new TargetPool();
      try {
        const opened = await openTarget(source.reference, { ...targetOptions(args, out), readOnly: true, pool });
        verdict = await sign.verifyArtifact(opened.target, source.reference.slice(source.reference.lastIndexOf('@') + 1), { ...trustFlags(args), policy });
      } finally {
        await pool.close();
      }
    }
    return { ok: true, reason: '', signatures: mergeSignatures(signaturesFromVerdict(verdict, location), claimed) };
  } catch (err) {
    if (!isEpackError(err) || err.kind !== 'verification') throw err;
    const verdict = err.details?.['verdict'] as import('@epack/oci-pack/sign').SignaturesVerdict | undefined;
    const verified = verdict ? signaturesFromVerdict(verdict, location) : [];
    return { ok: false, reason: `${err.code}: ${err.message}`, signatures: mergeSignatures(verified, claimed) };
  }
}

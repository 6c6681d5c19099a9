/** The exact commands a reader runs to verify the signatures the report shows. */
import { shellQuote } from './html.js';
import type { ReportSignature, VerifyCommand } from './types.js';

function command(tool: VerifyCommand['tool'], description: string, argv: string[], signer?: string): VerifyCommand {
  const c: VerifyCommand = { tool, description, argv, command: argv.map(shellQuote).join(' ') };
  if (signer) c.signer = signer;
  return c;
}

const COSIGN_SIGN = 'https://sigstore.dev/cosign/sign/v1';

function what(target: string, reference: string | undefined): string {
  if (target !== reference) return 'the pack file';
  return target.startsWith('oci:') ? 'the pack in the OCI layout' : 'the pack in the registry';
}

/**
 * One command per distinct signer and place: `epack verify` for the pack
 * (file, and reference when known), `epack verify` and `cosign verify` of
 * the reference for signatures stored in the registry as OCI referrers
 * (cosign does not read pack attestations).
 */
export function verifyCommands(signatures: readonly ReportSignature[], pack: string, reference?: string): VerifyCommand[] {
  const out: VerifyCommand[] = [];
  const seen = new Set<string>();
  const add = (c: VerifyCommand): void => {
    if (seen.has(c.command)) return;
    seen.add(c.command);
    out.push(c);
  };
  for (const sig of signatures) {
    const registry = sig.location === 'registry';
    const targets = registry ? (reference ? [reference] : []) : [...new Set([pack, ...(reference ? [reference] : [])])];
    // Registry attestations other than plain signatures are verified by their predicate type.
    const type = registry && sig.predicateType && sig.predicateType !== COSIGN_SIGN ? sig.predicateType : undefined;
    const epackType = type ? ['--type', type] : [];
    if (sig.mode === 'key' || (!sig.issuer && sig.identity?.startsWith('sha256:'))) {
      const signer = sig.identity ? `public key ${sig.identity}` : 'the signer\'s public key';
      for (const target of targets) add(command('epack', `Verify ${what(target, reference)} with epack (public key)`, ['epack', 'verify', target, '--key', 'public-key.pem', ...epackType], signer));
      if (registry && reference && !reference.startsWith('oci:')) {
        add(command('cosign', 'Verify the registry signature with cosign (public key)', type ? ['cosign', 'verify-attestation', reference, '--type', type, '--key', 'public-key.pem'] : ['cosign', 'verify', reference, '--key', 'public-key.pem'], signer));
      }
      continue;
    }
    if (!sig.identity || !sig.issuer) continue;
    for (const target of targets) {
      add(command('epack', `Verify ${what(target, reference)} with epack`, ['epack', 'verify', target, '--issuer', sig.issuer, '--subject', sig.identity, ...epackType], `${sig.identity} (issuer ${sig.issuer})`));
    }
    if (registry && reference && !reference.startsWith('oci:')) {
      add(
        command('cosign', 'Verify the registry signature with cosign', [
          'cosign',
          ...(type ? ['verify-attestation', reference, '--type', type] : ['verify', reference]),
          '--certificate-identity',
          sig.identity,
          '--certificate-oidc-issuer',
          sig.issuer,
        ], `${sig.identity} (issuer ${sig.issuer})`),
      );
    }
  }
  return out;
}

/** The exact commands a reader runs to verify the signatures the report shows. */
import { shellQuote } from './html.js';
import type { ReportSignature, VerifyCommand } from './types.js';

function command(tool: VerifyCommand['tool'], description: string, argv: string[]): VerifyCommand {
  return { tool, description, argv, command: argv.map(shellQuote).join(' ') };
}

/**
 * One command per distinct signer and place: `epack verify` for the pack
 * (file, and reference when known), `cosign verify` for signatures stored
 * in the registry as OCI referrers (cosign does not read pack attestations).
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
    const registry = sig.source === 'registry';
    const targets = registry ? (reference ? [reference] : []) : [pack, ...(reference ? [reference] : [])];
    if (sig.mode === 'key' || (!sig.issuer && sig.identity?.startsWith('sha256:'))) {
      const note = sig.identity ? ` (the public key with fingerprint ${sig.identity})` : '';
      for (const target of targets) add(command('epack', `Verify ${target} with the signer's public key${note}`, ['epack', 'verify', target, '--key', 'public-key.pem']));
      if (registry && reference) add(command('cosign', `Verify the registry signature with cosign${note}`, ['cosign', 'verify', reference, '--key', 'public-key.pem']));
      continue;
    }
    if (!sig.identity || !sig.issuer) continue;
    for (const target of targets) {
      add(command('epack', `Verify ${target}: signed by ${sig.identity} (issuer ${sig.issuer})`, ['epack', 'verify', target, '--issuer', sig.issuer, '--subject', sig.identity]));
    }
    if (registry && reference) {
      add(
        command('cosign', `Verify the registry signature with cosign: ${sig.identity}`, [
          'cosign',
          'verify',
          reference,
          '--certificate-identity',
          sig.identity,
          '--certificate-oidc-issuer',
          sig.issuer,
        ]),
      );
    }
  }
  return out;
}

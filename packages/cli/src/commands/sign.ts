import { defineCommand } from '../command.js';
import { targetOptions, withRegistryFlags, type RegistryFlags } from '../registry-flags.js';
import { confirm, isInteractive, isPackArgument, openInBrowser } from '../signing.js';

interface Args extends RegistryFlags {
  target: string;
  key?: string;
  identityToken?: string;
  fulcioUrl?: string;
  rekorUrl?: string;
  tsaUrl?: string;
  tlogUpload: boolean;
  tlogEntryType?: 'dsse' | 'intoto';
  oidcIssuer?: string;
  oidcClientId?: string;
  attestation?: string;
  name?: string;
  yes: boolean;
}

export default defineCommand<Args>({
  command: 'sign <target>',
  describe: 'Sign a pack (embedded attestation) or an OCI artifact (cosign v3 bundle referrer) with Sigstore',
  builder: (y) =>
    withRegistryFlags(
      y
        .positional('target', { type: 'string', describe: 'a pack file, or a registry reference / oci:<dir>:<tag>' })
        .option('key', { type: 'string', describe: 'Private key (PEM: EC P-256/P-384, Ed25519, RSA); passphrase in EPACK_KEY_PASSWORD. Keyless without it' })
        .option('identity-token', { type: 'string', describe: 'OIDC identity token, or a file holding one, for keyless signing (else SIGSTORE_ID_TOKEN, GitHub Actions, or a browser login)' })
        .option('fulcio-url', { type: 'string', describe: 'Fulcio CA (default https://fulcio.sigstore.dev)' })
        .option('rekor-url', { type: 'string', describe: 'Rekor transparency log (default https://rekor.sigstore.dev)' })
        .option('tsa-url', { type: 'string', describe: 'RFC 3161 timestamp authority, full URL (none by default)' })
        .option('tlog-upload', { type: 'boolean', default: true, describe: 'Record the signature in the transparency log (--tlog-upload=false to skip)' })
        .option('tlog-entry-type', { type: 'string', choices: ['dsse', 'intoto'], describe: 'Rekor entry kind for the DSSE bundle (default dsse)' })
        .option('oidc-issuer', { type: 'string', describe: 'Browser login: OIDC issuer (default https://oauth2.sigstore.dev/auth)' })
        .option('oidc-client-id', { type: 'string', describe: 'Browser login: OIDC client id (default sigstore)' })
        .option('attestation', { type: 'string', describe: 'References only: sign this in-toto statement / {predicateType, predicate} file instead of a plain signature' })
        .option('name', { type: 'string', describe: 'Packs only: attestation file name (default sha256 of the signer identity)' })
        .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'Skip the confirmation prompt' })
        .group(['key', 'identity-token', 'fulcio-url', 'rekor-url', 'tsa-url', 'tlog-upload', 'tlog-entry-type', 'oidc-issuer', 'oidc-client-id', 'yes'], 'Signing:'),
    )
      .example('epack sign evidence.epack --key cosign.pem --tlog-upload=false', 'key-sign a pack, no public log')
      .example('SIGSTORE_ID_TOKEN=$TOKEN epack sign ghcr.io/acme/evidence:2026-11', 'keyless-sign an artifact in a registry'),
  run: async (args, { out }) => {
    const sign = await import('@epack/oci-pack/sign');
    const { UsageError } = await import('@epack/oci-pack/error');
    const keyless = args.key === undefined;
    const identityToken = args.identityToken !== undefined ? await tokenArgument(args.identityToken) : undefined;
    const interactive = isInteractive();
    const signer: import('@epack/oci-pack/sign').SignerOptions = {
      tlogUpload: args.tlogUpload,
      ...(args.key !== undefined ? { key: args.key } : {}),
      ...(args.fulcioUrl !== undefined ? { fulcioURL: args.fulcioUrl } : {}),
      ...(args.rekorUrl !== undefined ? { rekorURL: args.rekorUrl } : {}),
      ...(args.tsaUrl !== undefined ? { tsaURL: args.tsaUrl } : {}),
      ...(args.tlogEntryType !== undefined ? { tlogEntryType: args.tlogEntryType } : {}),
      identity: {
        ...(identityToken !== undefined ? { identityToken } : {}),
        interactive,
        browser: {
          openURL: (url: string) => openInBrowser(url, out),
          ...(args.oidcIssuer !== undefined ? { issuer: args.oidcIssuer } : {}),
          ...(args.oidcClientId !== undefined ? { clientId: args.oidcClientId } : {}),
        },
      },
    };
    if (keyless && args.tlogUpload && interactive && !args.yes) {
      const ok = await confirm(
        'Keyless signing records your identity (e.g. your email) in the public Sigstore transparency log; this cannot be undone. Continue?',
        out,
      );
      if (!ok) throw new UsageError('cancelled', 'signing cancelled', { hint: 'pass -y to skip this question' });
    }

    if (await isPackArgument(args.target)) {
      if (args.attestation !== undefined) throw new UsageError('usage', '--attestation applies to OCI references, not packs');
      const res = await sign.signPack(args.target, { ...signer, ...(args.name !== undefined ? { name: args.name } : {}) });
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

/** A JWT as given, or the contents of the file it names (like cosign --identity-token). */
async function tokenArgument(value: string): Promise<string> {
  if (/^[\w-]+\.[\w-]+\.[\w-]*$/.test(value.trim())) return value.trim();
  const { readFile } = await import('node:fs/promises');
  try {
    return (await readFile(value, 'utf8')).trim();
  } catch {
    return value;
  }
}

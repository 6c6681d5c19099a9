import { UsageError } from '@epack/oci-pack/error';
import { defineCommand } from '../command.js';
import { limitsOption, withPackLimitFlags, type PackLimitFlags } from '../pack-limit-flags.js';
import { ExitCode } from '../exit-codes.js';
import { targetOptions, withRegistryFlags, type RegistryFlags } from '../registry-flags.js';
import { isInteractive, openInBrowser } from '../signing.js';
import { transferProgress } from '../transfer-progress.js';

interface Args extends RegistryFlags, PackLimitFlags {
  target: string;
  pack: string;
  label?: string[];
  annotation?: string[];
  tag?: string;
  env?: string;
  config?: string;
  concurrency: number;
  mountFrom?: string;
  base?: string[];
  source?: string;
  revision?: string;
  versionAnnotation?: string;
  sign?: boolean;
  key?: string;
  identityToken?: string;
  tlogUpload?: boolean;
  rekorUrl?: string;
  fulcioUrl?: string;
  tsaUrl?: string;
  dryRun: boolean;
}

export default defineCommand<Args>({
  command: 'push <target> <pack>',
  describe: 'Push a pack to a registry or OCI layout as an OCI artifact',
  builder: (y) =>
    withRegistryFlags(
      withPackLimitFlags(y)
        .positional('target', { type: 'string', describe: 'registry reference, oci:<dir>[:<tag>], or a remote name from epack.yaml' })
        .positional('pack', { type: 'string', describe: 'the pack file' })
        .option('label', { alias: 'l', type: 'string', array: true, describe: 'Extra tag for this push (repeatable)' })
        .option('annotation', { alias: 'a', type: 'string', array: true, describe: 'Manifest annotation key=value (repeatable)' })
        .option('tag', { alias: 't', type: 'string', describe: "The tag (wins over a remote's; default: generated_at as 2026-11-01T12-00-00Z)" })
        .option('env', { type: 'string', describe: 'Environment of epack.yaml whose overrides apply to the remote' })
        .option('config', { type: 'string', describe: 'The remotes file (default: ./epack.yaml)' })
        .option('concurrency', { type: 'number', default: 4, describe: 'Blob uploads in flight' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'Show what would be uploaded, tagged and signed; change nothing' })
        .option('mount-from', { type: 'string', describe: 'Repository of the same registry to mount existing blobs from' })
        .option('base', { type: 'string', array: true, describe: 'Tag or digest of an earlier push to the target repository: the blobs it lists are not checked again (repeatable; the tags pushed are always used)' })
        .option('source', { type: 'string', describe: 'org.opencontainers.image.source (default from CI: GITHUB_SERVER_URL/GITHUB_REPOSITORY, CI_PROJECT_URL)' })
        .option('revision', { type: 'string', describe: 'org.opencontainers.image.revision (default from CI: GITHUB_SHA, CI_COMMIT_SHA)' })
        .option('version-annotation', { type: 'string', describe: 'org.opencontainers.image.version (default from CI tag builds)' })
        .option('sign', { type: 'boolean', describe: 'Sign the pushed manifest (Sigstore bundle referrer); --no-sign overrides the remote' })
        .option('key', { type: 'string', describe: 'Sign with this private key (PEM; implies --sign); keyless otherwise' })
        .option('identity-token', { type: 'string', describe: 'OIDC token for keyless signing (else SIGSTORE_ID_TOKEN, GitHub Actions, browser)' })
        .option('tlog-upload', { type: 'boolean', describe: 'Record the signature in the transparency log (default true)' })
        .option('rekor-url', { type: 'string', describe: 'Rekor transparency log URL' })
        .option('fulcio-url', { type: 'string', describe: 'Fulcio CA URL (keyless)' })
        .option('tsa-url', { type: 'string', describe: 'RFC 3161 timestamp authority URL' })
        .group(['sign', 'key', 'identity-token', 'tlog-upload', 'rekor-url', 'fulcio-url', 'tsa-url'], 'Sign on push:'),
    )
      .example('epack push oci:./store:v1 evidence.epack', 'push into a local OCI layout')
      .example('epack push ghcr.io/acme/evidence:2026-11 evidence.epack --label soc2', 'push with an extra tag')
      .example('epack push ghcr.io/acme/evidence:2026-12 evidence.epack --base 2026-11', 'push the next release; blobs of 2026-11 are not checked again')
      .example('epack push prod evidence.epack --env staging', 'push to the remote "prod" of epack.yaml, staging overrides')
      .example('epack push oci:./store:v1 e.epack --key cosign.pem --tlog-upload=false', 'push, then attach a key signature'),
  run: async (args, { out }) => {
    const { pushPackFile } = await import('@epack/oci-pack/publish');
    const progress = await transferProgress(out, 'push');
    // Ctrl-C aborts the uploads; nothing is tagged then.
    const interrupt = new AbortController();
    const onSigint = (): void => interrupt.abort();
    process.once('SIGINT', onSigint);
    try {
      const result = await pushPackFile({
        signal: interrupt.signal,
        target: args.target,
        packPath: args.pack,
        labels: args.label ?? [],
        annotations: parseAnnotations(args.annotation ?? []),
        ...(args.tag !== undefined ? { tag: args.tag } : {}),
        ...(args.env !== undefined ? { environment: args.env } : {}),
        ...(args.config !== undefined ? { configFile: args.config } : {}),
        ...(args.mountFrom !== undefined ? { mountFrom: args.mountFrom } : {}),
        ...(args.base !== undefined ? { bases: args.base } : {}),
        ...(args.source !== undefined ? { source: args.source } : {}),
        ...(args.revision !== undefined ? { revision: args.revision } : {}),
        ...(args.versionAnnotation !== undefined ? { version: args.versionAnnotation } : {}),
        ...(args.sign !== undefined ? { sign: args.sign } : args.key !== undefined ? { sign: true } : {}),
        signer: {
          ...(args.key !== undefined ? { key: args.key } : {}),
          ...(args.tlogUpload !== undefined ? { tlogUpload: args.tlogUpload } : {}),
          ...(args.rekorUrl !== undefined ? { rekorURL: args.rekorUrl } : {}),
          ...(args.fulcioUrl !== undefined ? { fulcioURL: args.fulcioUrl } : {}),
          ...(args.tsaUrl !== undefined ? { tsaURL: args.tsaUrl } : {}),
          identity: {
            ...(args.identityToken !== undefined ? { identityToken: args.identityToken } : {}),
            interactive: isInteractive(),
            browser: { openURL: (url: string) => openInBrowser(url, out) },
          },
        },
        ...(args.dryRun ? { dryRun: true } : {}),
        concurrency: args.concurrency,
        targetOptions: targetOptions(args, out),
        ...limitsOption(args),
        onProgress: (p) => progress.update(p),
      });
      progress.stop();
      if (result.dryRun) {
        out.line(`would push ${result.reference}`);
        for (const ref of result.references) out.line(`would tag ${ref}`);
        if (result.wouldSign) out.line(`would sign it (${result.wouldSign})`);
        out.line(`${result.blobsPushed} blob(s) to upload (${result.bytesPushed} bytes), ${result.blobsSkipped} already present`);
      } else {
        out.line(`pushed ${result.reference}`);
        for (const ref of result.references) out.line(`tagged ${ref}`);
        if (result.signature) out.line(`signed ${result.reference} (${result.signature.mode}): ${result.signature.referrer}`);
        out.info(`${result.blobsPushed} blob(s) uploaded, ${result.blobsSkipped} already present`);
      }
      out.result({
        digest: result.digest,
        mediaType: result.mediaType,
        artifactType: result.artifactType,
        size: result.size,
        reference: result.reference,
        repository: result.repository,
        tags: result.tags,
        references: result.references,
        stream: result.stream,
        packDigest: result.packDigest,
        blobsPushed: result.blobsPushed,
        blobsSkipped: result.blobsSkipped,
        blobsKnownFromBase: result.blobsKnownFromBase,
        bytesPushed: result.bytesPushed,
        ...(result.remote ? { remote: result.remote } : {}),
        ...(result.signature ? { signature: result.signature } : {}),
        ...(result.dryRun ? { dryRun: true, manifest: result.manifest, ...(result.wouldSign ? { wouldSign: result.wouldSign } : {}) } : {}),
      });
    } catch (err) {
      if (!interrupt.signal.aborted) throw err;
      progress.stop();
      out.errorLine('epack: interrupted; no tag was set');
      return ExitCode.interrupted;
    } finally {
      process.off('SIGINT', onSigint);
      progress.stop();
    }
  },
});

function parseAnnotations(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError('invalid_annotation', `annotation "${pair}" is not key=value`, { hint: 'write -a org.example.key=value' });
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

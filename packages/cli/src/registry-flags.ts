/**
 * Flags every command that talks to a registry shares, with oras's names,
 * and their translation into the library's target options.
 */
import type { Argv } from 'yargs';
import type { OpenTargetOptions } from '@epack/oci-pack/store';
import type { Output } from './output.js';

export interface RegistryFlags {
  plainHttp?: boolean;
  insecure?: boolean;
  distributionSpec?: string;
  registryConfig?: string;
}

const DISTRIBUTION_SPECS = {
  'v1.1-referrers-api': 'api',
  'v1.1-referrers-tag': 'tag',
} as const;

export function withRegistryFlags(yargs: Argv): Argv {
  return yargs
    .option('plain-http', { type: 'boolean', describe: 'Use plain HTTP (automatic for localhost and 127.0.0.0/8)' })
    .option('insecure', { type: 'boolean', describe: 'Skip TLS certificate verification' })
    .option('distribution-spec', {
      type: 'string',
      choices: Object.keys(DISTRIBUTION_SPECS),
      describe: 'Referrers: v1.1-referrers-api (the API) or v1.1-referrers-tag (the sha256-<hex> tag schema); default: detect',
    })
    .option('registry-config', { type: 'string', describe: 'Credentials file: a Docker config.json, or a containers auth.json' })
    .group(['plain-http', 'insecure', 'distribution-spec', 'registry-config'], 'Registry options:');
}

/** Target options from the flags; debug traces and registry warnings go to stderr. */
export function targetOptions(flags: RegistryFlags, out: Output): OpenTargetOptions {
  const options: OpenTargetOptions = {
    // only with --debug: the per-request trace lines are not even formatted otherwise
    ...(out.debugEnabled ? { onDebug: (line: string) => out.debug(line) } : {}),
    onWarning: (text) => out.warn(text),
  };
  if (flags.plainHttp) options.plainHttp = true;
  if (flags.insecure) options.insecure = true;
  if (flags.distributionSpec !== undefined) {
    options.referrersMode = DISTRIBUTION_SPECS[flags.distributionSpec as keyof typeof DISTRIBUTION_SPECS];
  }
  if (flags.registryConfig !== undefined) options.configPath = flags.registryConfig;
  return options;
}

import { defineCommand } from '../command.js';
import { configEnv } from './login.js';

interface Args {
  registry: string;
  registryConfig?: string;
}

export default defineCommand<Args>({
  command: 'logout <registry>',
  describe: 'Remove stored credentials for a registry (credential helper and Docker config)',
  builder: (y) =>
    y
      .positional('registry', { type: 'string', describe: 'registry host[:port]' })
      .option('registry-config', { type: 'string', describe: 'Use this Docker config.json instead of $DOCKER_CONFIG/config.json' }),
  run: async (args, { out }) => {
    const { logout } = await import('@epack/oci-pack/registry');
    const result = await logout(args.registry, args.registryConfig === undefined ? {} : { env: configEnv(args.registryConfig) });
    out.line(result.removed ? `Removed credentials for ${result.registry}` : `No credentials stored for ${result.registry}`);
    out.result(result);
  },
});

import { defineCommand } from '../command.js';

interface Args {
  env?: string;
  config?: string;
}

export default defineCommand<Args>({
  command: 'remotes',
  describe: 'List the remotes of epack.yaml: where `epack push <remote>` goes',
  builder: (y) =>
    y
      .option('env', { type: 'string', describe: 'Show the remotes as this environment overrides them' })
      .option('config', { type: 'string', describe: 'The remotes file (default: ./epack.yaml)' })
      .example('epack remotes --env staging', 'the staging destinations'),
  run: async (args, { out }) => {
    const { listRemotes, loadRemotesConfigFrom } = await import('@epack/oci-pack/publish');
    const config = await loadRemotesConfigFrom(args.config !== undefined ? { configFile: args.config } : {});
    const remotes = listRemotes(config, args.env);
    out.result({ file: config.file, ...(args.env !== undefined ? { environment: args.env } : {}), remotes, environments: Object.keys(config.environments) });
    if (remotes.length === 0) out.line(`${config.file} defines no remotes`);
    for (const r of remotes) {
      const extras = [
        r.labels.length > 0 ? `labels ${r.labels.join(', ')}` : '',
        r.sign ? `signs (${r.sign.key !== undefined ? `key ${r.sign.key}` : 'keyless'})` : '',
      ].filter(Boolean);
      out.line(`${r.name}\t${r.registry}${extras.length > 0 ? `\t${extras.join('; ')}` : ''}`);
    }
  },
});

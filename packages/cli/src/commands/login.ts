import { defineCommand } from '../command.js';

interface Args {
  registry: string;
  username?: string;
  password?: string;
  passwordStdin?: boolean;
  plainHttp?: boolean;
  insecure?: boolean;
  registryConfig?: string;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string, stderr: NodeJS.WriteStream): Promise<string> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    let value = '';
    const finish = (): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      stderr.write('\n');
      resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') {
          finish();
          process.exit(130); // Ctrl-C at the prompt: the documented "interrupted" exit code
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

export default defineCommand<Args>({
  command: 'login <registry>',
  describe: 'Log in to a registry: checks the credentials, then stores them (credential helper or Docker config)',
  builder: (y) =>
    y
      .positional('registry', { type: 'string', describe: 'registry host[:port], e.g. ghcr.io or localhost:5000' })
      .option('username', { alias: 'u', type: 'string', describe: 'Username' })
      .option('password', { alias: 'p', type: 'string', describe: 'Password or token (visible in the process list; prefer --password-stdin)' })
      .option('password-stdin', { type: 'boolean', describe: 'Read the password or token from stdin' })
      .option('plain-http', { type: 'boolean', describe: 'Use plain HTTP (automatic for localhost and 127.0.0.0/8)' })
      .option('insecure', { type: 'boolean', describe: 'Skip TLS certificate verification' })
      .option('registry-config', { type: 'string', describe: 'Store in this Docker config.json instead of $DOCKER_CONFIG/config.json' })
      .conflicts('password', 'password-stdin')
      .example('echo "$TOKEN" | epack login ghcr.io -u octocat --password-stdin', 'log in to GHCR with a token'),
  run: async (args, { out }) => {
    const { login } = await import('@epack/oci-pack/registry');
    const { UsageError } = await import('@epack/oci-pack/error');
    if (!args.username) throw new UsageError('usage', 'login needs a username', { hint: 'pass -u <username>' });
    let password = args.password;
    if (args.passwordStdin) password = await readStdin();
    else if (password !== undefined) out.warn('passing a password with -p is insecure (it shows in the process list); use --password-stdin');
    else if (process.stdin.isTTY && out.stderrStream.isTTY) password = await promptHidden('Password: ', out.stderrStream);
    if (!password) throw new UsageError('usage', 'login needs a password', { hint: 'pipe it to --password-stdin, pass -p, or run in a terminal to be prompted' });
    const env = args.registryConfig === undefined ? undefined : configEnv(args.registryConfig);
    const result = await login(args.registry, {
      username: args.username,
      password,
      ...(args.plainHttp ? { plainHttp: true } : {}),
      ...(args.insecure ? { insecure: true } : {}),
      ...(env ? { env } : {}),
      onDebug: (line) => out.debug(line),
    });
    const where = result.storedIn.kind === 'helper' ? `credential helper docker-credential-${result.storedIn.helper}` : result.storedIn.path;
    out.line(`Login succeeded: ${result.registry} (stored in ${where})`);
    out.result({ registry: result.registry, username: result.username, storedIn: result.storedIn });
  },
});

export function configEnv(configPath: string): NodeJS.ProcessEnv {
  const path = configPath.endsWith('config.json') ? configPath.slice(0, -'config.json'.length) || '.' : configPath;
  return { ...process.env, DOCKER_CONFIG: path };
}

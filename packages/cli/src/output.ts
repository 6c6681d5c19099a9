/**
 * Where the CLI writes. Results go to stdout (JSON with --json, text
 * otherwise); progress, warnings and errors go to stderr.
 */
export interface GlobalFlags {
  json: boolean;
  quiet: boolean;
  debug: boolean;
}

export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly debugEnabled: boolean;
  readonly color: boolean;
  readonly isTTY: boolean;

  constructor(flags: GlobalFlags, private readonly stdout = process.stdout, private readonly stderr = process.stderr) {
    this.json = flags.json;
    this.quiet = flags.quiet;
    this.debugEnabled = flags.debug;
    this.isTTY = Boolean(stderr.isTTY);
    this.color = this.isTTY && !process.env['NO_COLOR'] && process.env['TERM'] !== 'dumb';
  }

  /** A result line for humans (suppressed with --json). */
  line(text = ''): void {
    if (!this.json) this.stdout.write(text + '\n');
  }

  /** The machine-readable result (only with --json). */
  result(value: unknown): void {
    if (this.json) this.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  /** One JSON value per line (JSON Lines). */
  jsonLine(value: unknown): void {
    this.stdout.write(JSON.stringify(value) + '\n');
  }

  /** Raw bytes to stdout (blob and manifest fetch). */
  raw(data: Uint8Array | string): void {
    this.stdout.write(data);
  }

  info(text: string): void {
    if (!this.quiet && !this.json) this.stderr.write(text + '\n');
  }

  warn(text: string): void {
    this.stderr.write(this.paint('33', 'warning:') + ' ' + text + '\n');
  }

  debug(text: string): void {
    if (this.debugEnabled) this.stderr.write(this.paint('2', 'debug: ' + text) + '\n');
  }

  errorLine(text: string): void {
    this.stderr.write(text + '\n');
  }

  paint(code: string, text: string): string {
    return this.color ? `\u001b[${code}m${text}\u001b[0m` : text;
  }

  get stderrStream(): NodeJS.WriteStream {
    return this.stderr;
  }
}

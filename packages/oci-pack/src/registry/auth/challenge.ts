/**
 * `WWW-Authenticate` parsing (RFC 9110 §11.6.1). The header comes from the
 * network, so the parser is total: it bounds the input size and the number of
 * challenges and parameters, skips what it cannot read, and never throws
 * anything but a typed {@link RegistryError}.
 */
import { RegistryError } from '../../error.js';

export interface Challenge {
  /** Lowercased scheme: `basic`, `bearer`, … */
  scheme: string;
  /** Lowercased parameter names; the first occurrence wins. */
  params: Record<string, string>;
  token68?: string;
}

export const MAX_CHALLENGE_HEADER_BYTES = 16 * 1024;
const MAX_CHALLENGES = 16;
const MAX_PARAMS = 32;

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

export function parseWwwAuthenticate(header: string): Challenge[] {
  if (header.length > MAX_CHALLENGE_HEADER_BYTES) {
    throw new RegistryError('invalid_response', `the registry sent a WWW-Authenticate header of ${header.length} characters (limit ${MAX_CHALLENGE_HEADER_BYTES})`);
  }
  const p = new Cursor(header);
  const challenges: Challenge[] = [];
  while (!p.done() && challenges.length < MAX_CHALLENGES) {
    p.skip(/[\s,]/);
    const scheme = p.token();
    if (scheme === undefined) {
      p.advance(); // unreadable character: skip it
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: Object.create(null) as Record<string, string> };
    challenges.push(challenge);
    p.skip(/[ \t]/);
    const t68 = p.token68();
    if (t68 !== undefined) {
      challenge.token68 = t68;
      continue;
    }
    readParams(p, challenge);
  }
  return challenges;
}

function readParams(p: Cursor, challenge: Challenge): void {
  let count = 0;
  while (!p.done() && count < MAX_PARAMS) {
    const mark = p.pos;
    p.skip(/[\s,]/);
    const name = p.token();
    if (name === undefined) {
      if (p.done()) return;
      p.advance();
      continue;
    }
    p.skip(/[ \t]/);
    if (p.peek() !== '=') {
      // A bare token starts the next challenge.
      p.pos = mark;
      p.skip(/[\s,]/);
      return;
    }
    p.advance();
    p.skip(/[ \t]/);
    const value = p.peek() === '"' ? p.quoted() : (p.token() ?? '');
    const key = name.toLowerCase();
    if (!(key in challenge.params)) challenge.params[key] = value;
    count++;
    p.skip(/[ \t]/);
    if (p.peek() === ',') p.advance();
  }
}

class Cursor {
  pos = 0;
  constructor(private readonly text: string) {}

  done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(): string | undefined {
    return this.text[this.pos];
  }
  advance(): void {
    this.pos++;
  }
  skip(re: RegExp): void {
    while (!this.done() && re.test(this.text[this.pos] as string)) this.pos++;
  }
  token(): string | undefined {
    const start = this.pos;
    while (!this.done() && TCHAR.test(this.text[this.pos] as string)) this.pos++;
    return this.pos > start ? this.text.slice(start, this.pos) : undefined;
  }
  /** A token68 is only one when it is not the name of a parameter (`x=` vs `abc==`). */
  token68(): string | undefined {
    const start = this.pos;
    while (!this.done() && TOKEN68_CHAR.test(this.text[this.pos] as string)) this.pos++;
    if (this.pos === start) return undefined;
    let end = this.pos;
    while (!this.done() && this.text[this.pos] === '=') this.pos++;
    const equals = this.pos - end;
    let after = this.pos;
    while (after < this.text.length && /[ \t]/.test(this.text[after] as string)) after++;
    const next = this.text[after];
    if (next === undefined || next === ',') {
      // `token68` (possibly with `=` padding) ends the challenge… unless it was `name=` with an empty value.
      if (equals === 1 && /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(this.text.slice(start, end))) {
        this.pos = start;
        return undefined;
      }
      end = this.pos;
      return this.text.slice(start, end);
    }
    this.pos = start;
    return undefined;
  }
  quoted(): string {
    this.pos++; // opening quote
    let value = '';
    while (!this.done()) {
      const c = this.text[this.pos] as string;
      if (c === '"') {
        this.pos++;
        return value;
      }
      if (c === '\\' && this.pos + 1 < this.text.length) {
        value += this.text[this.pos + 1];
        this.pos += 2;
        continue;
      }
      value += c;
      this.pos++;
    }
    return value; // unterminated: take what there is
  }
}

/** The first challenge of `scheme`, if any. */
export function findChallenge(challenges: Challenge[], scheme: string): Challenge | undefined {
  return challenges.find((c) => c.scheme === scheme);
}

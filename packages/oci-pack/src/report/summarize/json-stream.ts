/**
 * A push-based streaming JSON parser: feed it text chunks, it calls a
 * visitor with the path of every value. Memory stays bounded by the nesting
 * depth and the longest string kept (longer strings are truncated, still
 * fully validated), so summaries of large SBOMs never hold the document.
 */
import { EpackError } from '../../error.js';

export type JsonScalar = string | number | boolean | null;
/** Object keys and array indices from the root; shared and mutated: copy to keep. */
export type JsonPath = readonly (string | number)[];

export interface JsonVisitor {
  value?(path: JsonPath, value: JsonScalar): void;
  enter?(path: JsonPath, kind: 'object' | 'array'): void;
  leave?(path: JsonPath, kind: 'object' | 'array'): void;
}

export interface JsonStreamLimits {
  maxDepth: number;
  /** Characters kept of one string value; the rest is checked and dropped. */
  maxStringLength: number;
}

const DEFAULT_LIMITS: JsonStreamLimits = { maxDepth: 512, maxStringLength: 16_384 };

const enum State {
  Value,
  FirstValueOrEnd,
  FirstKeyOrEnd,
  Key,
  Colon,
  AfterValue,
  String,
  Escape,
  Unicode,
  Number,
  Literal,
  Done,
}

const NUMBER_CHARS = /[0-9+\-.eE]/;
const NUMBER_SYNTAX = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

export function jsonSyntaxError(message: string): EpackError {
  return new EpackError('input', 'artifact_parse_error', `invalid JSON: ${message}`);
}

export class JsonStreamParser {
  private state: State = State.Value;
  private readonly stack: ('object' | 'array')[] = [];
  private readonly path: (string | number)[] = [];
  private readonly limits: JsonStreamLimits;
  private stringParts: string[] = [];
  private stringLength = 0;
  private stringIsKey = false;
  private unicodeHex = '';
  private numberText = '';
  private literalText = '';
  private literalTarget = '';
  private offset = 0;

  constructor(private readonly visitor: JsonVisitor, limits: Partial<JsonStreamLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  write(chunk: string): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      const state = this.state;
      if (state === State.String) {
        // Copy runs of plain characters at once.
        let j = i;
        while (j < n) {
          const c = chunk.charCodeAt(j);
          if (c === 0x22 || c === 0x5c || c < 0x20) break;
          j++;
        }
        if (j > i) this.appendString(chunk.slice(i, j));
        if (j >= n) {
          i = j;
          break;
        }
        const c = chunk.charCodeAt(j);
        if (c === 0x22) this.finishString();
        else if (c === 0x5c) this.state = State.Escape;
        else throw this.error('control character in string');
        i = j + 1;
        continue;
      }
      const ch = chunk[i]!;
      switch (state) {
        case State.Escape:
          this.escape(ch);
          break;
        case State.Unicode:
          if (!/[0-9a-fA-F]/.test(ch)) throw this.error('bad \\u escape');
          this.unicodeHex += ch;
          if (this.unicodeHex.length === 4) {
            this.appendCodeUnit(String.fromCharCode(parseInt(this.unicodeHex, 16)));
            this.unicodeHex = '';
            this.state = State.String;
          }
          break;
        case State.Number:
          if (NUMBER_CHARS.test(ch)) {
            this.numberText += ch;
            if (this.numberText.length > 1024) throw this.error('number too long');
            break;
          }
          this.finishNumber();
          continue; // reprocess this character
        case State.Literal:
          this.literalText += ch;
          if (!this.literalTarget.startsWith(this.literalText)) throw this.error(`unexpected "${this.literalText}"`);
          if (this.literalText === this.literalTarget) {
            const v = this.literalTarget === 'true' ? true : this.literalTarget === 'false' ? false : null;
            this.emitScalar(v);
          }
          break;
        default:
          this.structural(ch);
      }
      i++;
    }
    this.offset += n;
  }

  end(): void {
    if (this.state === State.Number) this.finishNumber();
    if (this.state !== State.Done) throw this.error('unexpected end of input');
  }

  private structural(ch: string): void {
    if (ch === ' ' || ch === '\n' || ch === '\r' || ch === '\t') return;
    switch (this.state) {
      case State.FirstValueOrEnd:
        if (ch === ']') return this.close('array');
        this.state = State.Value;
        return this.startValue(ch);
      case State.Value:
        return this.startValue(ch);
      case State.FirstKeyOrEnd:
        if (ch === '}') return this.close('object');
        return this.startKey(ch);
      case State.Key:
        return this.startKey(ch);
      case State.Colon:
        if (ch !== ':') throw this.error(`expected ":", found "${ch}"`);
        this.state = State.Value;
        return;
      case State.AfterValue: {
        const top = this.stack[this.stack.length - 1];
        if (ch === ',') {
          if (top === 'array') {
            (this.path[this.path.length - 1] as number)++;
            this.state = State.Value;
          } else {
            this.state = State.Key;
          }
          return;
        }
        if (ch === ']' && top === 'array') return this.close('array');
        if (ch === '}' && top === 'object') return this.close('object');
        throw this.error(`unexpected "${ch}"`);
      }
      case State.Done:
        throw this.error('data after the end of the document');
      default:
        throw this.error('parser state');
    }
  }

  private startKey(ch: string): void {
    if (ch !== '"') throw this.error(`expected a key, found "${ch}"`);
    this.beginString(true);
  }

  private startValue(ch: string): void {
    if (ch === '{' || ch === '[') {
      const kind = ch === '{' ? 'object' : 'array';
      if (this.stack.length >= this.limits.maxDepth) throw this.error('nesting too deep');
      this.visitor.enter?.(this.path, kind);
      this.stack.push(kind);
      if (kind === 'array') {
        this.path.push(0);
        this.state = State.FirstValueOrEnd;
      } else {
        this.path.push('');
        this.state = State.FirstKeyOrEnd;
      }
      return;
    }
    if (ch === '"') return this.beginString(false);
    if (ch === '-' || (ch >= '0' && ch <= '9')) {
      this.numberText = ch;
      this.state = State.Number;
      return;
    }
    const target = ch === 't' ? 'true' : ch === 'f' ? 'false' : ch === 'n' ? 'null' : '';
    if (!target) throw this.error(`unexpected "${ch}"`);
    this.literalTarget = target;
    this.literalText = ch;
    this.state = State.Literal;
  }

  private close(kind: 'object' | 'array'): void {
    this.stack.pop();
    this.path.pop();
    this.visitor.leave?.(this.path, kind);
    this.afterValue();
  }

  private afterValue(): void {
    this.state = this.stack.length === 0 ? State.Done : State.AfterValue;
  }

  private beginString(isKey: boolean): void {
    this.stringIsKey = isKey;
    this.stringParts = [];
    this.stringLength = 0;
    this.state = State.String;
  }

  private appendString(text: string): void {
    const room = this.limits.maxStringLength - this.stringLength;
    if (room <= 0) return;
    const part = text.length > room ? text.slice(0, room) : text;
    this.stringParts.push(part);
    this.stringLength += part.length;
  }

  private appendCodeUnit(unit: string): void {
    this.appendString(unit);
  }

  private escape(ch: string): void {
    const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
    if (ch === 'u') {
      this.unicodeHex = '';
      this.state = State.Unicode;
      return;
    }
    const v = simple[ch];
    if (v === undefined) throw this.error(`bad escape "\\${ch}"`);
    this.appendString(v);
    this.state = State.String;
  }

  private finishString(): void {
    const text = this.stringParts.join('');
    this.stringParts = [];
    if (this.stringIsKey) {
      this.path[this.path.length - 1] = text;
      this.state = State.Colon;
    } else {
      this.emitScalar(text);
    }
  }

  private finishNumber(): void {
    if (!NUMBER_SYNTAX.test(this.numberText)) throw this.error(`bad number "${this.numberText}"`);
    this.emitScalar(Number(this.numberText));
  }

  private emitScalar(value: JsonScalar): void {
    this.visitor.value?.(this.path, value);
    this.afterValue();
  }

  private error(message: string): EpackError {
    return jsonSyntaxError(`${message} (near character ${this.offset})`);
  }
}

/** Feeds a byte stream (UTF-8) through a parser with the given visitor. */
export async function parseJsonStream(
  source: AsyncIterable<Uint8Array>,
  visitor: JsonVisitor,
  limits?: Partial<JsonStreamLimits>,
): Promise<void> {
  const parser = new JsonStreamParser(visitor, limits);
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of source) parser.write(decoder.decode(chunk, { stream: true }));
  parser.write(decoder.decode());
  parser.end();
}

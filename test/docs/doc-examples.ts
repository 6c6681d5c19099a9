/**
 * Finds the `epack …` command lines in the fenced shell blocks of README.md,
 * docs/*.md and examples/README.md, and splits them into argv arrays the
 * way a POSIX shell would for these simple cases (quotes, line continuations,
 * variables replaced by a placeholder, pipes and redirections cut off).
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import * as path from 'node:path';

export interface DocExample {
  file: string;
  line: number;
  text: string;
  argv: string[];
}

const SHELL_FENCES = new Set(['sh', 'bash', 'shell', 'console', 'zsh']);

export function docFiles(root: string): string[] {
  const files = [path.join(root, 'README.md')];
  const docs = path.join(root, 'docs');
  for (const name of readdirSync(docs).sort()) if (name.endsWith('.md')) files.push(path.join(docs, name));
  const examples = path.join(root, 'examples/README.md');
  if (existsSync(examples)) files.push(examples);
  return files;
}

export function extractExamples(file: string, root: string): DocExample[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: DocExample[] = [];
  let inShell = false;
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const fence = /^\s*```\s*([\w-]*)/.exec(raw);
    if (fence) {
      if (inFence) {
        inFence = false;
        inShell = false;
      } else {
        inFence = true;
        inShell = SHELL_FENCES.has(fence[1]!.toLowerCase());
      }
      continue;
    }
    if (!inShell) continue;
    let text = raw.trim().replace(/^\$\s+/, '');
    if (!/^(pnpm\s+)?epack\s/.test(text)) continue;
    const start = i;
    while (text.endsWith('\\') && i + 1 < lines.length) {
      i++;
      text = text.slice(0, -1) + ' ' + lines[i]!.trim();
    }
    text = text.replace(/^pnpm\s+/, '');
    out.push({ file: path.relative(root, file), line: start + 1, text, argv: splitShell(text).slice(1) });
  }
  return out;
}

/** Splits a command line; stops at a comment, pipe, `&&`, `;` or redirection. */
export function splitShell(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let has = false;
  let i = 0;
  const push = (): void => {
    if (has) words.push(word);
    word = '';
    has = false;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      word += text.slice(i + 1, end < 0 ? text.length : end);
      has = true;
      i = end < 0 ? text.length : end + 1;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        j++;
      }
      word += expandVariables(text.slice(i + 1, j).replace(/\\(.)/g, '$1'));
      has = true;
      i = j + 1;
    } else if (/\s/.test(c)) {
      push();
      i++;
    } else if (c === '#' && !has) {
      break;
    } else if (c === '|' || c === ';' || c === '>' || c === '<' || (c === '&' && text[i + 1] === '&')) {
      break;
    } else if (c === '$') {
      const m = /^\$(\{[^}]*\}|\([^)]*\)|\w+)/.exec(text.slice(i));
      word += 'VALUE';
      has = true;
      i += m ? m[0].length : 1;
    } else {
      word += c;
      has = true;
      i++;
    }
  }
  push();
  return words;
}

function expandVariables(s: string): string {
  return s.replace(/\$(\{[^}]*\}|\([^)]*\)|\w+)/g, 'VALUE');
}

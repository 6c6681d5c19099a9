/**
 * Content-type detection for artifacts. Sniffs a bounded prefix of the bytes
 * (never the whole file); the file name only breaks ties for formats that
 * have no signature (Markdown, CSV). The table is documented in
 * docs/pack-format.md, section "Content types".
 */
import { open } from 'node:fs/promises';

/** How many leading bytes detection looks at. */
export const SNIFF_BYTES = 64 * 1024;

export const CONTENT_TYPES = {
  spdxJson: 'application/spdx+json',
  cyclonedxJson: 'application/vnd.cyclonedx+json',
  cyclonedxXml: 'application/vnd.cyclonedx+xml',
  sarif: 'application/sarif+json',
  inToto: 'application/vnd.in-toto+json',
  sigstoreBundle: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  openvex: 'application/openvex+json',
  junitXml: 'application/junit+xml',
  csv: 'text/csv',
  png: 'image/png',
  jpeg: 'image/jpeg',
  pdf: 'application/pdf',
  html: 'text/html',
  markdown: 'text/markdown',
  json: 'application/json',
  jsonLines: 'application/jsonl',
  xml: 'application/xml',
  text: 'text/plain',
  octetStream: 'application/octet-stream',
} as const;

export interface DetectOptions {
  /** File name or pack path; used only for formats without a signature. */
  name?: string;
  /** Total size of the content; tells whether `head` is the whole content. */
  totalSize?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Detects the content type of `head`, the first bytes of an artifact. */
export function detectContentType(head: Uint8Array, opts: DetectOptions = {}): string {
  const complete = opts.totalSize === undefined ? head.length < SNIFF_BYTES : opts.totalSize <= head.length;
  const binary = detectBinary(head);
  if (binary) return binary;
  const text = decodeTextPrefix(head, complete);
  if (text === undefined) return CONTENT_TYPES.octetStream;
  const body = text.replace(/^\uFEFF/, '').trimStart();
  const first = body[0];
  if (first === '{' || first === '[') {
    const json = detectJson(body, complete);
    if (json) return json;
  }
  if (first === '<') {
    const markup = detectMarkup(body);
    if (markup) return markup;
  }
  const ext = extensionOf(opts.name);
  const plainTextName = ext === '.txt' || ext === '.log';
  if (ext === '.md' || ext === '.markdown') return CONTENT_TYPES.markdown;
  if (ext === '.csv') return CONTENT_TYPES.csv;
  if (!plainTextName && looksLikeMarkdown(body)) return CONTENT_TYPES.markdown;
  if (!plainTextName && looksLikeCsv(body, complete)) return CONTENT_TYPES.csv;
  if (ext === '.json' && (first === '{' || first === '[')) return CONTENT_TYPES.json;
  return CONTENT_TYPES.text;
}

/** Reads at most {@link SNIFF_BYTES} of a file and detects its content type. */
export async function detectFileContentType(filePath: string, name = filePath): Promise<string> {
  const handle = await open(filePath, 'r');
  try {
    const { size } = await handle.stat();
    const buf = Buffer.alloc(Math.min(SNIFF_BYTES, size));
    let filled = 0;
    while (filled < buf.length) {
      const { bytesRead } = await handle.read(buf, filled, buf.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return detectContentType(buf.subarray(0, filled), { name, totalSize: size });
  } finally {
    await handle.close();
  }
}

function detectBinary(head: Uint8Array): string | undefined {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return CONTENT_TYPES.png;
  if (startsWith(head, [0x25, 0x50, 0x44, 0x46, 0x2d])) return CONTENT_TYPES.pdf; // %PDF-
  if (startsWith(head, [0xff, 0xd8, 0xff])) return CONTENT_TYPES.jpeg;
  return undefined;
}

function startsWith(head: Uint8Array, magic: number[]): boolean {
  return head.length >= magic.length && magic.every((b, i) => head[i] === b);
}

/**
 * The prefix as text, or undefined when it is binary (NUL bytes or invalid
 * UTF-8). A multi-byte character cut at the end of an incomplete prefix is
 * tolerated.
 */
function decodeTextPrefix(head: Uint8Array, complete: boolean): string | undefined {
  if (head.includes(0)) return undefined;
  let bytes = head;
  if (!complete) {
    // drop a trailing partial UTF-8 sequence (at most 3 bytes)
    let cut = bytes.length;
    for (let i = 1; i <= 3 && i <= bytes.length; i++) {
      const b = bytes[bytes.length - i]!;
      if ((b & 0xc0) === 0x80) continue;
      if ((b & 0xc0) === 0xc0) cut = bytes.length - i;
      break;
    }
    bytes = bytes.subarray(0, cut);
  }
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

const JSON_SIGNATURES: Array<[RegExp, string]> = [
  // order matters: a Sigstore bundle contains a DSSE envelope with an in-toto payload type
  [/"mediaType"\s*:\s*"application\/vnd\.dev\.sigstore\.bundle/, CONTENT_TYPES.sigstoreBundle],
  [/"spdxVersion"\s*:\s*"SPDX-/, CONTENT_TYPES.spdxJson],
  [/"bomFormat"\s*:\s*"CycloneDX"/, CONTENT_TYPES.cyclonedxJson],
  [/"@context"\s*:\s*"https:\/\/openvex\.dev\/ns/, CONTENT_TYPES.openvex],
  [/"_type"\s*:\s*"https:\/\/in-toto\.io\/Statement\//, CONTENT_TYPES.inToto],
  [/"payloadType"\s*:\s*"application\/vnd\.in-toto\+json"/, CONTENT_TYPES.inToto],
];

function detectJson(body: string, complete: boolean): string | undefined {
  const lines = jsonLinesShape(body, complete);
  const scope = lines ? (lines[0] ?? body) : body;
  if (isSarif(scope)) return CONTENT_TYPES.sarif;
  for (const [pattern, type] of JSON_SIGNATURES) {
    if (pattern.test(scope)) {
      if (type === CONTENT_TYPES.sigstoreBundle) return sigstoreBundleType(scope);
      return type;
    }
  }
  if (lines) return CONTENT_TYPES.jsonLines;
  if (complete) {
    try {
      JSON.parse(body);
      return CONTENT_TYPES.json;
    } catch {
      return undefined;
    }
  }
  return CONTENT_TYPES.json;
}

function isSarif(text: string): boolean {
  if (!/"runs"\s*:/.test(text)) return false;
  return /"version"\s*:\s*"2\.1\.0"/.test(text) || /"\$schema"\s*:\s*"[^"]*sarif[^"]*"/i.test(text);
}

/** Keeps the bundle's own media type when it names an older bundle version. */
function sigstoreBundleType(text: string): string {
  const m = /"mediaType"\s*:\s*"(application\/vnd\.dev\.sigstore\.bundle[^"]*)"/.exec(text);
  const declared = m?.[1];
  if (declared && /^application\/vnd\.dev\.sigstore\.bundle(\.v0\.\d+\+json|\+json;version=0\.\d+)$/.test(declared)) return declared;
  return CONTENT_TYPES.sigstoreBundle;
}

/**
 * When the text is JSON Lines (two or more lines, each one JSON value),
 * returns its complete lines; otherwise undefined.
 */
function jsonLinesShape(body: string, complete: boolean): string[] | undefined {
  const raw = body.split('\n');
  if (!complete && raw.length > 1) raw.pop(); // the last line may be cut off
  const lines = raw.map((l) => l.trim()).filter((l) => l.length > 0);
  if (lines.length < 2) return undefined;
  for (const line of lines.slice(0, 8)) {
    if (line[0] !== '{' && line[0] !== '[') return undefined;
    try {
      JSON.parse(line);
    } catch {
      return undefined;
    }
  }
  return lines;
}

function detectMarkup(body: string): string | undefined {
  const lower = body.slice(0, 4096).toLowerCase();
  if (lower.startsWith('<!doctype html') || /^<html[\s>]/.test(lower)) return CONTENT_TYPES.html;
  const root = rootElement(body);
  if (!root) return lower.startsWith('<?xml') ? CONTENT_TYPES.xml : undefined;
  const local = root.name.includes(':') ? root.name.slice(root.name.indexOf(':') + 1) : root.name;
  if (local === 'bom' && /xmlns(:\w+)?\s*=\s*["']http:\/\/cyclonedx\.org\/schema\/bom/.test(root.tag)) return CONTENT_TYPES.cyclonedxXml;
  if (local === 'testsuites' || local === 'testsuite') return CONTENT_TYPES.junitXml;
  if (local.toLowerCase() === 'html') return CONTENT_TYPES.html;
  return CONTENT_TYPES.xml;
}

/** The first element's name and start tag, skipping the prolog and comments. */
function rootElement(body: string): { name: string; tag: string } | undefined {
  let rest = body;
  for (let guard = 0; guard < 64; guard++) {
    rest = rest.trimStart();
    if (rest.startsWith('<?')) {
      const end = rest.indexOf('?>');
      if (end < 0) return undefined;
      rest = rest.slice(end + 2);
    } else if (rest.startsWith('<!--')) {
      const end = rest.indexOf('-->');
      if (end < 0) return undefined;
      rest = rest.slice(end + 3);
    } else if (rest.startsWith('<!')) {
      const end = rest.indexOf('>');
      if (end < 0) return undefined;
      rest = rest.slice(end + 1);
    } else {
      const m = /^<([A-Za-z_][\w.:-]*)([^>]*)>?/.exec(rest);
      return m ? { name: m[1]!, tag: m[0] } : undefined;
    }
  }
  return undefined;
}

function looksLikeMarkdown(body: string): boolean {
  return /^#{1,6} \S/.test(body) && /\n(#{1,6} |[-*] |\d+\. |```|\|)/.test(body);
}

/** Two or more lines with the same number (>= 2) of comma-separated fields. */
function looksLikeCsv(body: string, complete: boolean): boolean {
  const raw = body.split(/\r?\n/);
  if (!complete && raw.length > 1) raw.pop();
  const lines = raw.filter((l) => l.length > 0).slice(0, 20);
  if (lines.length < 2) return false;
  const width = csvFieldCount(lines[0]!);
  if (width < 2) return false;
  return lines.every((l) => csvFieldCount(l) === width);
}

function csvFieldCount(line: string): number {
  let count = 1;
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) count++;
  }
  return quoted ? -1 : count;
}

function extensionOf(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : undefined;
}

/**
 * Which summarizer fits an artifact: its recorded content type when it is
 * specific, else a sniff of the first bytes, else the file name.
 */
import { detectImageFormat } from './image.js';

export type SummarizerKind = 'spdx' | 'cyclonedx' | 'sarif' | 'openvex' | 'junit' | 'provenance' | 'image' | 'csv' | 'other';

/** Bytes of the head that sniffing looks at. */
export const SNIFF_BYTES = 64 * 1024;

const BY_CONTENT_TYPE: [RegExp, SummarizerKind][] = [
  [/^application\/spdx\+json$/, 'spdx'],
  [/^application\/vnd\.cyclonedx\+json$/, 'cyclonedx'],
  [/^application\/(sarif\+json|sarif)$/, 'sarif'],
  [/^application\/(openvex\+json|vnd\.openvex\+json)$/, 'openvex'],
  [/^application\/(vnd\.in-toto\+json|vnd\.dev\.sigstore\.bundle(\.v[\d.]+)?\+json|vnd\.dsse\.envelope(\.v\d+)?\+json)$/, 'provenance'],
  [/^application\/(junit\+xml|vnd\.junit\+xml|x-junit\+xml)$/, 'junit'],
  [/^image\/(png|jpeg|gif|webp)$/, 'image'],
  [/^text\/csv$/, 'csv'],
];

const BY_NAME: [RegExp, SummarizerKind][] = [
  [/\.spdx\.json$/i, 'spdx'],
  [/\.(cdx|bom)\.json$/i, 'cyclonedx'],
  [/\.sarif(\.json)?$/i, 'sarif'],
  [/\.(openvex|vex)\.json$/i, 'openvex'],
  [/\.(intoto\.jsonl|intoto\.json|sigstore\.json|dsse\.json)$/i, 'provenance'],
  [/(junit|test-?results?|surefire|TEST-[^/]*)\.xml$/i, 'junit'],
  [/\.(png|jpe?g|gif|webp)$/i, 'image'],
  [/\.csv$/i, 'csv'],
];

function baseType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function sniff(head: Uint8Array): SummarizerKind | undefined {
  if (detectImageFormat(head)) return 'image';
  const text = Buffer.from(head.buffer, head.byteOffset, head.length).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('<')) {
    return /<testsuites?[\s>/]/.test(text) ? 'junit' : undefined;
  }
  if (!text.startsWith('{') && !text.startsWith('[')) return undefined;
  if (/"spdxVersion"\s*:/.test(text)) return 'spdx';
  if (/"bomFormat"\s*:\s*"CycloneDX"/.test(text)) return 'cyclonedx';
  if (/"@context"\s*:\s*"https:\/\/openvex\.dev\/ns/.test(text)) return 'openvex';
  if (/"mediaType"\s*:\s*"application\/vnd\.dev\.sigstore\.bundle/.test(text)) return 'provenance';
  if (/"payloadType"\s*:/.test(text) && /"payload"\s*:/.test(text)) return 'provenance';
  if (/"_type"\s*:\s*"https:\/\/in-toto\.io\/Statement/.test(text)) return 'provenance';
  if (/"\$schema"\s*:\s*"[^"]*sarif/i.test(text) || (/"runs"\s*:/.test(text) && /"version"\s*:\s*"2\.1\.0"/.test(text))) return 'sarif';
  return undefined;
}

export function detectKind(path: string, contentType: string | undefined, head: Uint8Array): SummarizerKind {
  const type = baseType(contentType);
  for (const [re, kind] of BY_CONTENT_TYPE) if (re.test(type)) return kind;
  const sniffed = sniff(head);
  if (sniffed) return sniffed;
  for (const [re, kind] of BY_NAME) if (re.test(path)) return kind;
  return 'other';
}

export function describeOther(contentType: string | undefined, head: Uint8Array): string {
  const type = baseType(contentType);
  if (type) return type;
  const text = Buffer.from(head.buffer, head.byteOffset, head.length).toString('utf8').trimStart();
  if (head.length >= 5 && Buffer.from(head.buffer, head.byteOffset, 5).toString('latin1') === '%PDF-') return 'PDF document';
  if (text.startsWith('{') || text.startsWith('[')) return 'JSON document';
  if (text.startsWith('<')) return 'XML or HTML document';
  return 'data';
}

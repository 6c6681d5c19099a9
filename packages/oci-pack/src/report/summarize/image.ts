/** PNG, JPEG, GIF and WebP: format and dimensions from the header; small images inlined as data: URIs. */
import { readBounded } from './read-bounded.js';
import type { ImageSummary } from './types.js';

export const DEFAULT_MAX_INLINE_IMAGE_BYTES = 1024 * 1024;
const MIME: Record<ImageSummary['format'], string> = { png: 'image/png', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };

export function detectImageFormat(head: Uint8Array): ImageSummary['format'] | undefined {
  const b = Buffer.from(head.buffer, head.byteOffset, head.length);
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 6 && (b.toString('latin1', 0, 6) === 'GIF87a' || b.toString('latin1', 0, 6) === 'GIF89a')) return 'gif';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return undefined;
}

function jpegSize(b: Buffer): { width: number; height: number } | undefined {
  let p = 2;
  while (p + 9 < b.length) {
    if (b[p] !== 0xff) return undefined;
    const marker = b[p + 1]!;
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01 || marker === 0xff) {
      p += marker === 0xff ? 1 : 2;
      continue;
    }
    const length = b.readUInt16BE(p + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: b.readUInt16BE(p + 5), width: b.readUInt16BE(p + 7) };
    }
    p += 2 + length;
  }
  return undefined;
}

function dimensions(format: ImageSummary['format'], b: Buffer): { width: number; height: number } | undefined {
  if (format === 'png' && b.length >= 24 && b.toString('latin1', 12, 16) === 'IHDR') {
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  }
  if (format === 'gif' && b.length >= 10) return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  if (format === 'jpeg') return jpegSize(b);
  return undefined;
}

/**
 * `size` is the artifact size from the manifest; images larger than
 * `maxInlineBytes` are described but not embedded (only their head is read).
 */
export async function summarizeImage(
  source: AsyncIterable<Uint8Array>,
  size: number,
  maxInlineBytes = DEFAULT_MAX_INLINE_IMAGE_BYTES,
): Promise<ImageSummary | undefined> {
  const inline = size <= maxInlineBytes;
  let bytes: Buffer;
  if (inline) bytes = await readBounded(source, maxInlineBytes);
  else {
    const parts: Buffer[] = [];
    let got = 0;
    // JPEG dimensions can sit after large EXIF segments: read up to 256 KiB.
    // Read on to the end (without keeping it) so the reader checks the digest.
    for await (const chunk of source) {
      if (got >= 256 * 1024) continue;
      parts.push(Buffer.from(chunk));
      got += chunk.length;
    }
    bytes = Buffer.concat(parts);
  }
  const format = detectImageFormat(bytes.subarray(0, 16));
  if (!format) return undefined;
  const summary: ImageSummary = { kind: 'image', format };
  const dims = dimensions(format, bytes);
  if (dims) {
    summary.width = dims.width;
    summary.height = dims.height;
  }
  if (inline) summary.dataUri = `data:${MIME[format]};base64,${bytes.toString('base64')}`;
  else summary.omitted = `larger than ${maxInlineBytes} bytes; not embedded in the report`;
  return summary;
}

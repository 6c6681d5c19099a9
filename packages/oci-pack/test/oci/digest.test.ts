import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { DigestVerifier, digestOf, isDigest, parseDigest, verifyBytes } from '../../src/oci/digest.js';

const bytes = Buffer.from('hello evidence');
const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function drain(stream: Readable, verifier: DigestVerifier): Promise<void> {
  await pipeline(stream, verifier, async function* (source) {
    for await (const _ of source) {
      /* consume */
    }
  });
}

describe('digests', () => {
  it('parses sha256 and sha512, rejects the rest', () => {
    expect(parseDigest(digest)).toEqual({ algorithm: 'sha256', hex: digest.slice(7) });
    expect(isDigest(`sha512:${'0'.repeat(128)}`)).toBe(true);
    for (const bad of ['sha256:abc', `SHA256:${'a'.repeat(64)}`, `sha256:${'A'.repeat(64)}`, `md5:${'a'.repeat(32)}`, '', `sha512:${'a'.repeat(64)}`]) {
      expect(isDigest(bad)).toBe(false);
      expect(() => parseDigest(bad)).toThrow(expect.objectContaining({ code: 'invalid_digest' }) as Error);
    }
    expect(digestOf(bytes)).toBe(digest);
  });

  it('verifies bytes', () => {
    expect(() => verifyBytes({ digest, size: bytes.length }, bytes, 'x')).not.toThrow();
    expect(() => verifyBytes({ digest, size: bytes.length + 1 }, bytes, 'x')).toThrow(expect.objectContaining({ code: 'size_mismatch' }) as Error);
    expect(() => verifyBytes({ digest: digestOf('other'), size: bytes.length }, bytes, 'x')).toThrow(expect.objectContaining({ code: 'digest_mismatch' }) as Error);
  });

  it('streams through the verifier when content matches', async () => {
    const seen: number[] = [];
    await drain(Readable.from([bytes.subarray(0, 5), bytes.subarray(5)]), new DigestVerifier({ digest, size: bytes.length }, 'x', (n) => seen.push(n)));
    expect(seen).toEqual([5, bytes.length]);
  });

  it('passes every byte of matching content, in order', async () => {
    const out: Buffer[] = [];
    await pipeline(Readable.from([bytes.subarray(0, 3), bytes.subarray(3, 9), bytes.subarray(9)]), new DigestVerifier({ digest, size: bytes.length }, 'x'), async function* (source) {
      for await (const chunk of source) out.push(chunk as Buffer);
    });
    expect(Buffer.concat(out).equals(bytes)).toBe(true);
  });

  it('never hands out the complete content of a blob that does not verify', async () => {
    const received: Buffer[] = [];
    const corrupt = Buffer.from('hello evidencf');
    await expect(
      pipeline(Readable.from([corrupt.subarray(0, 6), corrupt.subarray(6)]), new DigestVerifier({ digest, size: bytes.length }, 'x'), async function* (source) {
        for await (const chunk of source) received.push(chunk as Buffer);
      }),
    ).rejects.toMatchObject({ code: 'digest_mismatch' });
    // A registry reading this as a request body could not see the whole blob and answer DIGEST_INVALID first.
    expect(Buffer.concat(received).length).toBeLessThan(corrupt.length);
  });

  it('errors with digest_mismatch / size_mismatch', async () => {
    await expect(drain(Readable.from([Buffer.from('hello evidencf')]), new DigestVerifier({ digest, size: bytes.length }, 'x'))).rejects.toMatchObject({ code: 'digest_mismatch', kind: 'verification' });
    await expect(drain(Readable.from([bytes, Buffer.from('!')]), new DigestVerifier({ digest, size: bytes.length }, 'x'))).rejects.toMatchObject({ code: 'size_mismatch' });
    await expect(drain(Readable.from([bytes.subarray(1)]), new DigestVerifier({ digest, size: bytes.length }, 'x'))).rejects.toMatchObject({ code: 'size_mismatch' });
  });
});

/**
 * Differential test of the format core against the reference implementation
 * (epack-go v0.1.34): random manifests (Unicode strings, control characters,
 * emoji, byte-order-sensitive paths, shuffled keys and whitespace) written as
 * packs; epack-go must accept each one and compute the same manifest digest
 * (RFC 8785) and pack digest as we do.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { computePackDigest, sha256Hex } from '../../packages/oci-pack/src/pack/digest.js';
import { openPack } from '../../packages/oci-pack/src/pack/read.js';
import { writePack } from '../../packages/oci-pack/src/pack/write.js';
import { isReservedName } from '../../packages/oci-pack/src/pack/paths.js';
import { peerAvailable, runTool } from '../harness/cli.js';

const RUNS = Number(process.env['FC_DIFF_RUNS'] ?? 25);
const scratch = mkdtempSync(path.join(tmpdir(), 'epack-diff-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const tricky = fc.constantFrom('\u0000\u001f\b\f', '\u2028\u2029', '"\\/<>&', '\u007f\u0080\u009f', '😀\ufeff\uffff', 'e\u0301 Å Ω', '\ud834\udd1e');
const text = fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }), tricky);
const segChar = fc.constantFrom(...'aZ09-_~é日Ä😀ﬁＡ'.split(/(?:)/u));
const segment = fc
  .array(segChar, { minLength: 1, maxLength: 10 })
  .map((c) => c.join(''))
  .filter((s) => !isReservedName(s));
const artifactPath = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => 'artifacts/' + s.join('/'));
const timestamp = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z'));

const input = fc.record({
  stream: text,
  generatedAt: timestamp,
  sources: fc.array(fc.record({ name: text, version: text }), { maxLength: 3 }),
  files: fc.uniqueArray(fc.record({ path: artifactPath, content: fc.uint8Array({ maxLength: 64 }), description: fc.option(text, { nil: undefined }) }), {
    selector: (f) => f.path.toLowerCase(),
    maxLength: 5,
  }),
  reverseKeys: fc.boolean(),
  indent: fc.constantFrom(0, 1, 2, '\t'),
});

function shuffled(obj: Record<string, unknown>, reverse: boolean): Record<string, unknown> {
  const keys = Object.keys(obj);
  const out: Record<string, unknown> = {};
  for (const k of reverse ? keys.reverse() : keys) out[k] = obj[k];
  return out;
}

describe.skipIf(!peerAvailable('epack-go', 'differential epack-go'))('manifest and pack digests agree with epack-go', () => {
  it(
    'for random manifests',
    async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(input, async (c) => {
          // Paths that collide on Windows are rejected by both; keep the set collision-free.
          const artifacts = c.files.map((f) =>
            shuffled(
              {
                type: 'embedded',
                path: f.path,
                digest: 'sha256:' + sha256Hex(f.content),
                size: f.content.length,
                ...(f.description !== undefined ? { description: f.description } : {}),
              },
              c.reverseKeys,
            ),
          );
          const manifest = shuffled(
            {
              spec_version: '1.0',
              stream: c.stream,
              generated_at: c.generatedAt,
              pack_digest: computePackDigest(artifacts as { path: string; digest: string }[]),
              sources: c.sources,
              artifacts,
            },
            c.reverseKeys,
          );
          const out = path.join(scratch, `p${n++}.epack`);
          await writePack(out, {
            manifestBytes: new TextEncoder().encode(JSON.stringify(manifest, null, c.indent)),
            artifacts: c.files.map((f) => ({ path: f.path, size: f.content.length, open: async () => Readable.from([Buffer.from(f.content)]) })),
          });
          const ours = await openPack(out);
          await ours.close();
          const go = await runTool('epack-go', ['inspect', out, '--json']);
          expect(go.code, go.stderr).toBe(0);
          const theirs = JSON.parse(go.stdout) as { manifest_digest: string; pack_digest: string; artifact_count: number };
          expect(theirs.manifest_digest).toBe(ours.manifestDigest);
          expect(theirs.pack_digest).toBe(ours.manifest.pack_digest);
          expect(theirs.artifact_count).toBe(c.files.length);
        }),
        { numRuns: RUNS },
      );
    },
    120_000,
  );
});

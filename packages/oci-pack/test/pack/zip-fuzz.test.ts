/**
 * Mutation fuzzing of the ZIP layer: any corruption of a valid pack must end
 * in a typed EpackError (or a pack that still verifies), never a crash, an
 * untyped error or a hang.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { EpackError } from '../../src/error.js';
import { verifyPackIntegrity } from '../../src/pack/read.js';
import { craftZip, packEntries } from './zip-craft.js';

const dir = mkdtempSync(path.join(tmpdir(), 'epack-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = craftZip([
  ...packEntries({ 'artifacts/a.json': '{"a":1}', 'artifacts/b/c.txt': 'see '.repeat(50) }).map((e, i) => (i === 3 ? { ...e, method: 8 as const } : e)),
  { name: 'attestations/k.sigstore.json', data: '{}' },
]);

describe('ZIP reader under mutation', () => {
  it('fails closed with typed errors', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat({ max: base.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat({ max: base.length - 1 }), { nil: undefined }),
        async (flips, truncateAt) => {
          const bytes = Buffer.from(base);
          for (const f of flips) bytes[f.at] = f.value;
          const mutated = truncateAt === undefined ? bytes : bytes.subarray(0, truncateAt);
          const file = path.join(dir, `m${n++}.epack`);
          writeFileSync(file, mutated);
          try {
            await verifyPackIntegrity(file);
          } catch (err) {
            if (!(err instanceof EpackError)) throw err;
            expect(err.kind === 'input' || err.kind === 'verification').toBe(true);
          } finally {
            rmSync(file, { force: true });
          }
        },
      ),
      { numRuns: Number(process.env['EPACK_FUZZ_RUNS'] ?? 400), ...(process.env['EPACK_FUZZ_RUNS'] ? {} : { seed: 20261122 }) },
    );
  }, 60_000);
});

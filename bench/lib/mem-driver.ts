/**
 * Runs one library operation with raised pack budgets, for the memory
 * workload: the spec's default budgets (2 GiB per pack, 100 MiB per
 * artifact) stop the CLI below 4 GiB and the CLI has no flag to raise them,
 * so this drives the same library calls the CLI makes (buildPack,
 * verifyPackIntegrity, pushPack, pullPack) in a plain `node` process.
 *
 *   node bench/lib/mem-driver.ts build  <out.epack> <dir> <stream>
 *   node bench/lib/mem-driver.ts verify <pack.epack>
 *   node bench/lib/mem-driver.ts push   <pack.epack> <registry/repo:tag>
 *   node bench/lib/mem-driver.ts pull   <registry/repo:tag> <out.epack>
 *
 * Node runs this file directly (type stripping), so it only uses erasable
 * TypeScript and imports the compiled library from dist/.
 */
import { buildPack, openPack, verifyPackIntegrity } from '../../packages/oci-pack/dist/pack/index.js';
import { pullPack, pushPack } from '../../packages/oci-pack/dist/publish/index.js';
import { openTarget, resolveReference, TargetPool } from '../../packages/oci-pack/dist/store/open.js';

const GiB = 1024 ** 3;
const limits = { maxPackSize: 64 * GiB, maxArtifactSize: 4 * GiB };

async function withTarget<T>(ref: string, readOnly: boolean, use: (opened: Awaited<ReturnType<typeof openTarget>>) => Promise<T>): Promise<T> {
  const pool = new TargetPool();
  try {
    return await use(await openTarget(ref, { pool, readOnly }));
  } finally {
    await pool.close();
  }
}

const [op, a, b, c] = process.argv.slice(2);
switch (op) {
  case 'build':
    await buildPack({ out: a!, inputs: [b!], stream: c!, force: true, limits });
    break;
  case 'verify':
    await verifyPackIntegrity(a!, { limits });
    break;
  case 'push': {
    const pack = await openPack(a!, { limits });
    try {
      await withTarget(b!, false, async (opened) => pushPack(opened.target, pack, { tags: opened.reference.tag ? [opened.reference.tag] : [] }));
    } finally {
      await pack.close();
    }
    break;
  }
  case 'pull':
    await withTarget(a!, true, async (opened) => pullPack(opened.target, await resolveReference(opened), { out: b!, limits }));
    break;
  default:
    process.stderr.write('usage: mem-driver.ts build|verify|push|pull ...\n');
    process.exit(2);
}

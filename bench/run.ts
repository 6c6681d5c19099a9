/**
 * epack benchmark suite (docs/performance.md). Runs every workload against
 * real registries started on loopback (or the user's own with --registry)
 * and the real peers, in one run, and prints medians and ratios.
 *
 *   pnpm bench [-- --workloads w1,w2,w3,w4,w5,w6,mem4g] [--registries distribution2,olareg]
 *              [--registry host:port] [--runs 5] [--w1-count 8] [--w1-mib 128]
 *              [--w2-count 2000] [--w2-kib 4] [--out bench/results/latest.json]
 */
import { parseArgs } from 'node:util';
import { mkdirSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import path from 'node:path';
import { measure, median, type CommandSpec, type Measurement } from './lib/measure.js';
import { randomFolder, writeRandomFile } from './lib/data.js';
import { REPO_ROOT, findTool } from '../test/harness/tools.js';
import { startRegistry, type RegistryKind, type RunningRegistry } from '../test/harness/registries.js';

const { values: opts } = parseArgs({
  options: {
    workloads: { type: 'string', default: 'w1,w2,w3,w4,w5,w6' },
    registries: { type: 'string', default: 'distribution2,olareg' },
    registry: { type: 'string' },
    runs: { type: 'string', default: '5' },
    'w1-count': { type: 'string', default: '8' },
    'w1-mib': { type: 'string', default: '128' },
    'w2-count': { type: 'string', default: '2000' },
    'w2-kib': { type: 'string', default: '4' },
    'mem-gib': { type: 'string', default: '4' },
    out: { type: 'string', default: path.join(REPO_ROOT, 'bench/results/latest.json') },
    work: { type: 'string', default: path.join(REPO_ROOT, '.tmp/bench') },
  },
});

const RUNS = Number(opts.runs);
const WORK = path.resolve(opts.work);
const workloads = new Set(opts.workloads.split(','));
const NODE = process.execPath;
const EPACK = path.join(REPO_ROOT, 'packages/cli/bin/epack.js');
const ORAS = findTool('oras');
const EPACK_GO = findTool('epack-go');
const SOURCE_DATE_EPOCH = '1767225600';

interface Row {
  workload: string;
  registry: string;
  subject: string;
  epackMs: number;
  peer?: string;
  peerMs?: number;
  /** epack time / peer time (lower is better), or the stated target's ratio. */
  ratio?: number;
  target?: string;
  met?: boolean;
  peakRssMiB: number;
  runs: number;
}
const rows: Row[] = [];
let uniq = 0;
const nextRepo = (prefix: string): string => `bench/${prefix}-${process.pid}-${uniq++}`;

const epack = (args: string[], cwd = WORK): CommandSpec => ({ cmd: NODE, args: [EPACK, ...args], cwd, env: { SOURCE_DATE_EPOCH, NO_COLOR: '1' } });
const oras = (args: string[], cwd = WORK): CommandSpec => {
  if (!ORAS) throw new Error('oras is not installed (scripts/install-test-tools.sh)');
  return { cmd: ORAS, args, cwd };
};

/** Warm-up once, then RUNS measured runs; `prepare` runs before each (not timed). */
async function series(spec: (i: number) => CommandSpec, prepare?: (i: number) => Promise<void> | void): Promise<{ ms: number; rss: number }> {
  const results: Measurement[] = [];
  for (let i = -1; i < RUNS; i++) {
    await prepare?.(i);
    const m = await measure(spec(i));
    if (i >= 0) results.push(m);
  }
  return { ms: median(results.map((r) => r.ms)), rss: Math.max(...results.map((r) => r.rssMiB)) };
}

function record(row: Omit<Row, 'runs'>): void {
  rows.push({ ...row, runs: RUNS });
  const ratio = row.ratio === undefined ? '' : ` ratio ${row.ratio.toFixed(2)} (${row.target}) ${row.met ? 'met' : 'MISSED'}`;
  process.stderr.write(`  ${row.workload} ${row.registry} ${row.subject}: epack ${row.epackMs.toFixed(0)} ms${row.peerMs ? `, ${row.peer} ${row.peerMs.toFixed(0)} ms` : ''}${ratio}, peak ${row.peakRssMiB.toFixed(0)} MiB\n`);
}

async function pushPullWorkload(name: string, reg: string, dir: string, files: string[], pack: string, changedPack: string | undefined): Promise<void> {
  // push: a fresh repository per run so nothing is deduplicated
  let epackRepo = '';
  const ePush = await series(() => epack(['push', `${reg}/${epackRepo}:v1`, pack]), () => void (epackRepo = nextRepo(`${name}-epack`)));
  let orasRepo = '';
  const oPush = await series(
    () => oras(['push', '--plain-http', '--artifact-type', 'application/vnd.evidencepack.pack.v1', `${reg}/${orasRepo}:v1`, ...files], dir),
    () => void (orasRepo = nextRepo(`${name}-oras`)),
  );
  record({ workload: `${name} push`, registry: reg, subject: `${files.length} files`, epackMs: ePush.ms, peer: 'oras push', peerMs: oPush.ms, ratio: ePush.ms / oPush.ms, target: '<= 0.8', met: ePush.ms / oPush.ms <= 0.8, peakRssMiB: ePush.rss });

  // pull the same artifact (the one epack pushed) with both tools
  const outDir = path.join(WORK, 'pull-out');
  const clean = (): void => {
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
  };
  const ePull = await series(() => epack(['pull', `${reg}/${epackRepo}:v1`, '-o', path.join(outDir, 'p.epack')]), clean);
  const oPull = await series(() => oras(['pull', '--plain-http', '-o', outDir, `${reg}/${epackRepo}:v1`]), clean);
  record({ workload: `${name} pull`, registry: reg, subject: `${files.length} files`, epackMs: ePull.ms, peer: 'oras pull', peerMs: oPull.ms, ratio: ePull.ms / oPull.ms, target: '<= 0.8', met: ePull.ms / oPull.ms <= 0.8, peakRssMiB: ePull.rss });

  if (changedPack && workloads.has('w3')) {
    // W3: re-push after one artifact changed, into a repository that has the first release
    let repo = '';
    const rePush = await series(
      () => epack(['push', `${reg}/${repo}:v2`, changedPack]),
      async () => {
        repo = nextRepo(`${name}-w3`);
        await measure(epack(['push', `${reg}/${repo}:v1`, pack]));
      },
    );
    const r = rePush.ms / ePush.ms;
    record({ workload: `W3 re-push (${name})`, registry: reg, subject: '1 artifact changed', epackMs: rePush.ms, peer: 'first push', peerMs: ePush.ms, ratio: r, target: '<= 0.2', met: r <= 0.2, peakRssMiB: rePush.rss });
  }
}

async function buildPack(out: string, dir: string, stream: string): Promise<void> {
  await measure(epack(['build', out, dir, '--stream', stream]));
}

async function withChangedFile(dir: string, changedDir: string, size: number): Promise<void> {
  rmSync(changedDir, { recursive: true, force: true });
  cpSync(dir, changedDir, { recursive: true });
  rmSync(path.join(changedDir, 'f0000.bin'));
  await writeRandomFile(path.join(changedDir, 'f0000.bin'), size);
}

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  const started: RunningRegistry[] = [];
  const registries: string[] = [];
  try {
    if (opts.registry) registries.push(opts.registry);
    else if (workloads.has('w1') || workloads.has('w2') || workloads.has('w3') || workloads.has('mem4g')) {
      for (const kind of opts.registries.split(',') as RegistryKind[]) {
        const r = await startRegistry(kind, { auth: 'anonymous' });
        if (!r) throw new Error(`cannot start ${kind}`);
        started.push(r);
        registries.push(r.host);
        process.stderr.write(`registry ${kind} on ${r.host}\n`);
      }
    }

    const w1Dir = path.join(WORK, 'w1');
    const w1Size = Number(opts['w1-mib']) * 1024 * 1024;
    const needW1 = ['w1', 'w3', 'w4', 'w5'].some((w) => workloads.has(w));
    const w1Files = needW1 ? await randomFolder(w1Dir, Number(opts['w1-count']), w1Size) : [];
    const w1Pack = path.join(WORK, 'w1.epack');
    const w1bPack = path.join(WORK, 'w1b.epack');
    if (needW1) {
      await buildPack(w1Pack, w1Dir, 'bench/w1');
      await withChangedFile(w1Dir, path.join(WORK, 'w1b'), w1Size);
      await buildPack(w1bPack, path.join(WORK, 'w1b'), 'bench/w1');
    }

    if (workloads.has('w1') || workloads.has('w3')) {
      for (const reg of registries) await pushPullWorkload('W1', reg, w1Dir, w1Files, w1Pack, w1bPack);
    }

    if (workloads.has('w2')) {
      const dir = path.join(WORK, 'w2');
      const size = Number(opts['w2-kib']) * 1024;
      const files = await randomFolder(dir, Number(opts['w2-count']), size);
      const pack = path.join(WORK, 'w2.epack');
      await buildPack(pack, dir, 'bench/w2');
      await withChangedFile(dir, path.join(WORK, 'w2b'), size);
      const packB = path.join(WORK, 'w2b.epack');
      await buildPack(packB, path.join(WORK, 'w2b'), 'bench/w2');
      for (const reg of registries) await pushPullWorkload('W2', reg, dir, files, pack, packB);
    }

    if (workloads.has('w4')) {
      const e = await series(() => epack(['verify', w1Pack, '--integrity-only']));
      const s = await series(() => ({ cmd: 'sha256sum', args: [w1Pack] }));
      const throughput = s.ms / e.ms;
      record({ workload: 'W4 verify 1 GiB', registry: '-', subject: 'pack file', epackMs: e.ms, peer: 'sha256sum', peerMs: s.ms, ratio: throughput, target: 'throughput >= 0.8 of sha256sum', met: throughput >= 0.8, peakRssMiB: e.rss });
    }

    if (workloads.has('w5')) {
      const out = path.join(WORK, 'w5.epack');
      const e = await series(() => epack(['build', out, w1Dir, '--stream', 'bench/w5']), () => rmSync(out, { force: true }));
      if (!EPACK_GO) throw new Error('epack-go is not installed (scripts/install-test-tools.sh)');
      const g = await series(
        () => ({ cmd: EPACK_GO, args: ['build', out, ...w1Files.map((f) => path.join(w1Dir, f)), '--stream', 'bench/w5'], cwd: WORK }),
        () => rmSync(out, { force: true }),
      );
      record({ workload: 'W5 build 1 GiB', registry: '-', subject: `${w1Files.length} files`, epackMs: e.ms, peer: 'epack-go build', peerMs: g.ms, ratio: e.ms / g.ms, target: '<= 1.0', met: e.ms / g.ms <= 1.0, peakRssMiB: e.rss });
    }

    if (workloads.has('w6')) {
      for (const args of [['--version'], ['--help']]) {
        const e = await series(() => epack(args));
        record({ workload: `W6 epack ${args[0]}`, registry: '-', subject: 'CLI start', epackMs: e.ms, ratio: e.ms / 150, target: '<= 150 ms', met: e.ms <= 150, peakRssMiB: e.rss });
      }
    }

    if (workloads.has('mem4g')) {
      // Memory must not grow with pack size: push and pull a pack of mem-gib GiB once.
      const gib = Number(opts['mem-gib']);
      const dir = path.join(WORK, 'mem');
      await randomFolder(dir, gib * 8, 128 * 1024 * 1024);
      const pack = path.join(WORK, 'mem.epack');
      const b = await measure({ ...epack(['build', pack, dir, '--stream', 'bench/mem', '--max-pack-size', String(gib + 1) + 'GiB']) });
      record({ workload: `MEM build ${gib} GiB`, registry: '-', subject: 'peak RSS', epackMs: b.ms, peakRssMiB: b.rssMiB, ratio: b.rssMiB / 200, target: '<= 200 MiB', met: b.rssMiB <= 200 });
      const v = await measure(epack(['verify', pack, '--integrity-only', '--max-pack-size', String(gib + 1) + 'GiB']));
      record({ workload: `MEM verify ${gib} GiB`, registry: '-', subject: 'peak RSS', epackMs: v.ms, peakRssMiB: v.rssMiB, ratio: v.rssMiB / 200, target: '<= 200 MiB', met: v.rssMiB <= 200 });
      for (const reg of registries.slice(0, 1)) {
        const repo = nextRepo('mem');
        const p = await measure(epack(['push', `${reg}/${repo}:v1`, pack]));
        record({ workload: `MEM push ${gib} GiB`, registry: reg, subject: 'peak RSS', epackMs: p.ms, peakRssMiB: p.rssMiB, ratio: p.rssMiB / 200, target: '<= 200 MiB', met: p.rssMiB <= 200 });
        const out = path.join(WORK, 'mem-pull.epack');
        const q = await measure(epack(['pull', `${reg}/${repo}:v1`, '-o', out, '--max-pack-size', String(gib + 1) + 'GiB']));
        rmSync(out, { force: true });
        record({ workload: `MEM pull ${gib} GiB`, registry: reg, subject: 'peak RSS', epackMs: q.ms, peakRssMiB: q.rssMiB, ratio: q.rssMiB / 200, target: '<= 200 MiB', met: q.rssMiB <= 200 });
      }
    }
  } finally {
    for (const r of started) await r.stop();
  }
  printTable();
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.version };
  mkdirSync(path.dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, JSON.stringify({ date: new Date().toISOString(), machine, runs: RUNS, rows }, null, 2) + '\n');
  process.stderr.write(`results written to ${opts.out}\n`);
}

function printTable(): void {
  const header = ['workload', 'registry', 'epack (median)', 'peer', 'peer (median)', 'ratio', 'target', 'met', 'peak RSS'];
  const lines = rows.map((r) => [
    r.workload,
    r.registry,
    `${r.epackMs.toFixed(0)} ms`,
    r.peer ?? '',
    r.peerMs === undefined ? '' : `${r.peerMs.toFixed(0)} ms`,
    r.ratio === undefined ? '' : r.ratio.toFixed(2),
    r.target ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
    `${r.peakRssMiB.toFixed(0)} MiB`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]): string => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  console.log(fmt(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const l of lines) console.log(fmt(l));
}

await main();

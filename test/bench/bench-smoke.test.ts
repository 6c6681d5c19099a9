/**
 * Keeps the benchmark harness (bench/run.ts, docs/performance.md) working:
 * runs it with tiny sizes (one run, W2 with 20 files against olareg, W6)
 * and checks the JSON results have the rows and fields the docs rely on.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, requireTool } from '../harness/tools.js';
import { registryTool } from '../harness/registries.js';

const SUITE = 'bench smoke';
const haveTools = Boolean(requireTool('oras', SUITE)) && Boolean(registryTool('olareg', SUITE));

interface Row {
  workload: string;
  registry: string;
  epackMs: number;
  peer?: string;
  peerMs?: number;
  ratio?: number;
  target?: string;
  met?: boolean;
  peakRssMiB: number;
  runs: number;
}
interface Results {
  machine: { cpus: number; cpuModel: string; node: string };
  runs: number;
  rows: Row[];
}

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'bench/run.ts'), ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe.skipIf(!haveTools)('benchmark harness', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'epack-bench-smoke-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs W2 and W6 with tiny sizes and writes the expected rows', async () => {
    const out = path.join(dir, 'results.json');
    const { code, stdout, stderr } = await run([
      '--workloads', 'w2,w6',
      '--registries', 'olareg',
      '--runs', '1',
      '--w2-count', '20',
      '--work', path.join(dir, 'work'),
      '--out', out,
    ]);
    expect(code, stderr).toBe(0);

    const results = JSON.parse(readFileSync(out, 'utf8')) as Results;
    expect(results.runs).toBe(1);
    expect(results.machine.cpus).toBeGreaterThan(0);
    expect(results.machine.node).toBe(process.version);
    expect(results.rows.map((r) => `${r.workload} [${r.registry}]`)).toEqual([
      'W2 push [olareg]',
      'W2 pull [olareg]',
      'W6 epack --version [-]',
      'W6 epack --help [-]',
    ]);
    for (const row of results.rows) {
      expect(row.runs).toBe(1);
      expect(row.epackMs).toBeGreaterThan(0);
      expect(row.peakRssMiB).toBeGreaterThan(10);
      expect(row.target).toBeTruthy();
      expect(typeof row.met).toBe('boolean');
    }
    const push = results.rows[0]!;
    expect(push.peer).toBe('oras push');
    expect(push.peerMs).toBeGreaterThan(0);
    expect(push.ratio).toBeCloseTo(push.epackMs / push.peerMs!, 5);

    // the printed Markdown table has a header and one line per row
    const table = stdout.trim().split('\n');
    expect(table[0]).toMatch(/^\| workload\s+\| registry/);
    expect(table).toHaveLength(2 + results.rows.length);
  }, 60_000);
});

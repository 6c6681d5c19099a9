/** Benchmark results: rows, the printed Markdown table and the JSON file. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import * as path from 'node:path';

export interface Row {
  /** e.g. `W1 push`, `W4 verify`, `MEM pull 4 GiB`. */
  workload: string;
  /** Registry kind and host, or `-` for local workloads. */
  registry: string;
  subject: string;
  epackMs: number;
  peer?: string;
  peerMs?: number;
  /** epack time / peer time (lower is better), or the target's own measure (W4: throughput ratio). */
  ratio?: number;
  target?: string;
  met?: boolean;
  /** Peak RSS of the epack command (max over the runs). */
  peakRssMiB: number;
  runs: number;
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memGiB: number;
  kernel: string;
  node: string;
}

export function machine(): Machine {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
  };
}

/** One progress line on stderr per row, as it is measured. */
export function logRow(row: Row): void {
  const peer = row.peerMs === undefined ? '' : `, ${row.peer} ${row.peerMs.toFixed(0)} ms`;
  const ratio = row.ratio === undefined ? '' : `, ratio ${row.ratio.toFixed(2)} (${row.target}) ${row.met ? 'met' : 'MISSED'}`;
  process.stderr.write(`  ${row.workload} [${row.registry}] ${row.subject}: epack ${row.epackMs.toFixed(0)} ms${peer}${ratio}, peak ${row.peakRssMiB.toFixed(0)} MiB\n`);
}

/** The results as a Markdown table (what docs/performance.md shows). */
export function formatTable(rows: readonly Row[]): string {
  const header = ['workload', 'registry', 'subject', 'epack (median)', 'peer', 'peer (median)', 'ratio', 'target', 'met', 'peak RSS'];
  const lines = rows.map((r) => [
    r.workload,
    r.registry,
    r.subject,
    `${r.epackMs.toFixed(0)} ms`,
    r.peer ?? '',
    r.peerMs === undefined ? '' : `${r.peerMs.toFixed(0)} ms`,
    r.ratio === undefined ? '' : r.ratio.toFixed(2),
    r.target ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
    Number.isNaN(r.peakRssMiB) ? 'n/a' : `${r.peakRssMiB.toFixed(0)} MiB`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]): string => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  return [fmt(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...lines.map(fmt)].join('\n');
}

export function writeResults(file: string, content: { runs: number; options: Record<string, unknown>; rows: readonly Row[] }): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), machine: machine(), ...content }, null, 2) + '\n');
}

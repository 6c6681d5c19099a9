/** SARIF 2.1.0: results by level, security severity and rule; tool names and versions. */
import { BoundedCounter } from './counter.js';
import { parseJsonStream, type JsonPath, type JsonScalar } from './json-stream.js';
import type { SarifSummary } from './types.js';

const MAX_RUNS_LISTED = 50;
const MAX_RULES_PER_RUN = 100_000;
const LEVELS = ['error', 'warning', 'note', 'none'] as const;
type Level = (typeof LEVELS)[number];

interface RuleInfo {
  id?: string;
  level?: string;
  securitySeverity?: number;
}

interface ResultInfo {
  ruleId?: string;
  ruleIndex?: number;
  component?: number;
  level?: string;
}

/** Where a rule is defined: the driver (-1) or `extensions[i]`. */
function rulesKey(component: number, idOrIndex: string | number): string {
  return `${component}\u0000${typeof idOrIndex}\u0000${idOrIndex}`;
}

function severityBucket(score: number): 'critical' | 'high' | 'medium' | 'low' | undefined {
  if (!(score > 0)) return undefined;
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  return 'low';
}

export async function summarizeSarif(source: AsyncIterable<Uint8Array>): Promise<SarifSummary> {
  const summary: SarifSummary = {
    kind: 'sarif',
    runs: [],
    results: 0,
    byLevel: { error: 0, warning: 0, note: 0, none: 0 },
    bySeverity: { critical: 0, high: 0, medium: 0, low: 0 },
    byRule: { top: [], distinct: 0, capped: false },
  };
  const byRule = new BoundedCounter();
  let run = { tool: '', version: undefined as string | undefined, semanticVersion: undefined as string | undefined, results: 0 };
  let rules = new Map<string, RuleInfo>();
  // (component, rule, explicit level) -> count; resolved when the run ends,
  // because a run may list its results before its rules.
  let pending = new Map<string, { result: ResultInfo; count: number }>();
  let rule: RuleInfo | undefined;
  let ruleAt: { component: number; index: number } | undefined;
  let result: ResultInfo | undefined;

  /** ['runs', r, 'tool', 'driver', 'rules', k] or ['runs', r, 'tool', 'extensions', e, 'rules', k] */
  function rulePosition(path: JsonPath): { component: number; index: number; depth: number } | undefined {
    if (path[0] !== 'runs' || path[2] !== 'tool') return undefined;
    if (path[3] === 'driver' && path[4] === 'rules' && typeof path[5] === 'number') return { component: -1, index: path[5], depth: 6 };
    if (path[3] === 'extensions' && typeof path[4] === 'number' && path[5] === 'rules' && typeof path[6] === 'number') {
      return { component: path[4], index: path[6], depth: 7 };
    }
    return undefined;
  }

  function finishRun(): void {
    for (const { result: r, count } of pending.values()) {
      const component = r.component ?? -1;
      const info =
        (r.ruleId !== undefined ? rules.get(rulesKey(component, r.ruleId)) : undefined) ??
        (r.ruleIndex !== undefined ? rules.get(rulesKey(component, r.ruleIndex)) : undefined);
      const candidate = r.level ?? info?.level ?? 'warning';
      const level: Level = (LEVELS as readonly string[]).includes(candidate) ? (candidate as Level) : 'warning';
      summary.byLevel[level] += count;
      const bucket = info?.securitySeverity !== undefined ? severityBucket(info.securitySeverity) : undefined;
      if (bucket) summary.bySeverity[bucket] += count;
      byRule.add(r.ruleId ?? info?.id ?? (r.ruleIndex !== undefined ? `rule #${r.ruleIndex}` : '(no rule)'), count);
    }
    if (summary.runs.length < MAX_RUNS_LISTED) {
      summary.runs.push({ tool: run.tool || '(unnamed tool)', version: run.semanticVersion ?? run.version, results: run.results });
    }
  }

  await parseJsonStream(source, {
    enter(path, kind) {
      if (kind !== 'object' || path[0] !== 'runs') return;
      if (path.length === 2) {
        run = { tool: '', version: undefined, semanticVersion: undefined, results: 0 };
        rules = new Map();
        pending = new Map();
        return;
      }
      if (path.length === 4 && path[2] === 'results' && typeof path[3] === 'number') {
        result = {};
        return;
      }
      const pos = rulePosition(path);
      if (pos && pos.depth === path.length) {
        rule = {};
        ruleAt = pos;
      }
    },
    leave(path, kind) {
      if (kind !== 'object' || path[0] !== 'runs') return;
      if (path.length === 2) return finishRun();
      if (path.length === 4 && path[2] === 'results' && result) {
        summary.results++;
        run.results++;
        const key = JSON.stringify([result.component ?? -1, result.ruleId ?? null, result.ruleIndex ?? null, result.level ?? null]);
        const entry = pending.get(key);
        if (entry) entry.count++;
        else pending.set(key, { result, count: 1 });
        result = undefined;
        return;
      }
      const pos = rulePosition(path);
      if (pos && pos.depth === path.length && rule && ruleAt) {
        if (rules.size < MAX_RULES_PER_RUN) {
          rules.set(rulesKey(ruleAt.component, ruleAt.index), rule);
          if (rule.id !== undefined) rules.set(rulesKey(ruleAt.component, rule.id), rule);
        }
        rule = undefined;
        ruleAt = undefined;
      }
    },
    value(path: JsonPath, value: JsonScalar) {
      if (path.length === 1 && path[0] === 'version' && typeof value === 'string') summary.version = value;
      if (path[0] !== 'runs') return;
      if (path.length === 5 && path[2] === 'tool' && path[3] === 'driver' && typeof value === 'string') {
        if (path[4] === 'name') run.tool = value;
        else if (path[4] === 'version') run.version = value;
        else if (path[4] === 'semanticVersion') run.semanticVersion = value;
        return;
      }
      if (result && path[2] === 'results' && path.length >= 5) {
        const key = path.slice(4).join('.');
        if (key === 'ruleId' && typeof value === 'string') result.ruleId = value;
        else if (key === 'rule.id' && typeof value === 'string') result.ruleId ??= value;
        else if ((key === 'ruleIndex' || key === 'rule.index') && typeof value === 'number') result.ruleIndex = value;
        else if (key === 'rule.toolComponent.index' && typeof value === 'number') result.component = value;
        else if (key === 'level' && typeof value === 'string') result.level = value;
        return;
      }
      if (rule && ruleAt) {
        const pos = rulePosition(path);
        if (!pos) return;
        const key = path.slice(pos.depth).join('.');
        if (key === 'id' && typeof value === 'string') rule.id = value;
        else if (key === 'defaultConfiguration.level' && typeof value === 'string') rule.level = value;
        else if (key === 'properties.security-severity') {
          const score = typeof value === 'number' ? value : typeof value === 'string' ? Number.parseFloat(value) : NaN;
          if (Number.isFinite(score)) rule.securitySeverity = score;
        }
      }
    },
  });
  summary.byRule = byRule.top();
  return summary;
}

/** OpenVEX (v0.0.x and v0.2.x): statements by status, distinct vulnerabilities, author. */
import { BoundedCounter } from './counter.js';
import { parseJsonStream, type JsonPath, type JsonScalar } from './json-stream.js';
import type { OpenVexSummary } from './types.js';

const STATUSES = ['not_affected', 'affected', 'fixed', 'under_investigation'] as const;

export async function summarizeOpenVex(source: AsyncIterable<Uint8Array>): Promise<OpenVexSummary> {
  const summary: OpenVexSummary = {
    kind: 'openvex',
    statements: 0,
    byStatus: { not_affected: 0, affected: 0, fixed: 0, under_investigation: 0, other: 0 },
    vulnerabilities: 0,
  };
  const vulnerabilities = new BoundedCounter(100_000);
  let status: string | undefined;

  await parseJsonStream(source, {
    enter(path, kind) {
      if (kind === 'object' && path.length === 2 && path[0] === 'statements') {
        summary.statements++;
        status = undefined;
      }
    },
    leave(path, kind) {
      if (kind !== 'object' || path.length !== 2 || path[0] !== 'statements') return;
      const known = (STATUSES as readonly string[]).includes(status ?? '');
      summary.byStatus[known ? (status as (typeof STATUSES)[number]) : 'other']++;
    },
    value(path: JsonPath, value: JsonScalar) {
      if (typeof value !== 'string') return;
      if (path.length === 1) {
        if (path[0] === '@context') summary.context = value;
        else if (path[0] === 'author') summary.author = value;
        else if (path[0] === 'timestamp') summary.timestamp = value;
        return;
      }
      if (path[0] !== 'statements' || typeof path[1] !== 'number') return;
      if (path.length === 3 && path[2] === 'status') status = value;
      // v0.2: vulnerability.name; v0.0.x: vulnerability as a string
      else if ((path.length === 3 && path[2] === 'vulnerability') || (path.length === 4 && path[2] === 'vulnerability' && path[3] === 'name')) {
        vulnerabilities.add(value);
      }
    },
  });
  const top = vulnerabilities.top(0);
  summary.vulnerabilities = top.distinct;
  if (top.capped) summary.vulnerabilitiesCapped = true;
  return summary;
}

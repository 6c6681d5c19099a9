/** CycloneDX JSON (1.2 to 1.7): components, licenses, tools, dependencies, vulnerabilities. */
import { BoundedCounter } from './counter.js';
import { parseJsonStream, type JsonPath, type JsonScalar } from './json-stream.js';
import type { CycloneDxSummary } from './types.js';

const MAX_TOOLS = 20;

/** `components[i]` at the root or nested under another component. */
function componentDepth(path: JsonPath): number {
  if (path.length === 0 || path.length % 2 !== 0) return -1;
  for (let i = 0; i < path.length; i += 2) {
    if (path[i] !== 'components' || typeof path[i + 1] !== 'number') return -1;
  }
  return path.length / 2;
}

/** Tool entries: `metadata.tools[i]` (legacy) or `metadata.tools.components|services[i]` (1.5+). */
function isToolPath(path: JsonPath): boolean {
  if (path[0] !== 'metadata' || path[1] !== 'tools') return false;
  if (path.length === 3) return typeof path[2] === 'number';
  return path.length === 4 && (path[2] === 'components' || path[2] === 'services') && typeof path[3] === 'number';
}

export async function summarizeCycloneDx(source: AsyncIterable<Uint8Array>): Promise<CycloneDxSummary> {
  const summary: CycloneDxSummary = {
    kind: 'cyclonedx',
    tools: [],
    components: 0,
    dependencies: 0,
    vulnerabilities: 0,
    licenses: { top: [], distinct: 0, capped: false },
    componentsWithoutLicense: 0,
  };
  const licenses = new BoundedCounter();
  // One license tally per open component (components nest).
  const licenseCounts: number[] = [];
  let tool: { name?: string; version?: string; vendor?: string; group?: string } | undefined;
  let subjectName: string | undefined;
  let subjectVersion: string | undefined;

  await parseJsonStream(source, {
    enter(path, kind) {
      if (kind !== 'object') return;
      if (componentDepth(path) > 0) {
        summary.components++;
        licenseCounts.push(0);
      } else if (path.length === 2 && typeof path[1] === 'number') {
        if (path[0] === 'dependencies') summary.dependencies++;
        else if (path[0] === 'vulnerabilities') summary.vulnerabilities++;
      } else if (isToolPath(path)) tool = {};
    },
    leave(path, kind) {
      if (kind !== 'object') return;
      if (componentDepth(path) > 0) {
        if (licenseCounts.pop() === 0) summary.componentsWithoutLicense++;
      } else if (isToolPath(path) && tool) {
        const name = [tool.vendor ?? tool.group, tool.name].filter(Boolean).join('/');
        if (name && summary.tools.length < MAX_TOOLS) summary.tools.push(tool.version ? `${name} ${tool.version}` : name);
        tool = undefined;
      }
    },
    value(path: JsonPath, value: JsonScalar) {
      if (path.length === 1 && path[0] === 'specVersion' && typeof value === 'string') summary.specVersion = value;
      if (typeof value !== 'string') return;
      if (path[0] === 'metadata') {
        if (path.length === 2 && path[1] === 'timestamp') summary.timestamp = value;
        if (path.length === 3 && path[1] === 'component') {
          if (path[2] === 'name') subjectName = value;
          else if (path[2] === 'version') subjectVersion = value;
        }
        if (tool && path.length >= 4 && isToolPath(path.slice(0, -1))) {
          const key = path[path.length - 1];
          if (key === 'name' || key === 'version' || key === 'vendor' || key === 'group') tool[key] = value;
        }
        return;
      }
      // components[...]licenses[j].license.id|name  or  components[...]licenses[j].expression
      const n = path.length;
      if (n >= 5 && path[n - 2] === 'license' && (path[n - 1] === 'id' || path[n - 1] === 'name')) {
        if (path[n - 4] === 'licenses' && componentDepth(path.slice(0, n - 4)) > 0) countLicense(value);
      } else if (n >= 4 && path[n - 1] === 'expression' && path[n - 3] === 'licenses' && componentDepth(path.slice(0, n - 3)) > 0) {
        countLicense(value);
      }
    },
  });

  function countLicense(value: string): void {
    licenses.add(value.trim());
    const last = licenseCounts.length - 1;
    if (last >= 0) licenseCounts[last]!++;
  }

  if (subjectName) summary.subject = subjectVersion ? `${subjectName} ${subjectVersion}` : subjectName;
  summary.licenses = licenses.top();
  return summary;
}

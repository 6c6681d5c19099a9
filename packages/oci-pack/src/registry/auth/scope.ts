/**
 * Token scopes (`repository:acme/x:pull,push`). Scopes needed by one request
 * and those a challenge asks for are merged per resource, so one token covers
 * them all, and the merged set is the token cache key.
 */

export function repositoryScope(repository: string, ...actions: Array<'pull' | 'push' | 'delete' | '*'>): string {
  return `repository:${repository}:${actions.join(',')}`;
}

interface ParsedScope {
  resource: string;
  actions: Set<string>;
}

function parseScope(scope: string): ParsedScope | undefined {
  const last = scope.lastIndexOf(':');
  if (last <= 0) return undefined;
  const resource = scope.slice(0, last);
  if (!resource.includes(':')) return undefined;
  const actions = scope
    .slice(last + 1)
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a.length > 0);
  return { resource, actions: new Set(actions) };
}

/** Merges scope strings (each possibly space-separated) into a sorted, deduplicated list. */
export function mergeScopes(...groups: Array<readonly string[] | string | undefined>): string[] {
  const byResource = new Map<string, Set<string>>();
  const opaque = new Set<string>();
  for (const group of groups) {
    if (group === undefined) continue;
    const items = typeof group === 'string' ? group.split(/\s+/) : group.flatMap((g) => g.split(/\s+/));
    for (const item of items) {
      if (item.length === 0) continue;
      const parsed = parseScope(item);
      if (!parsed) {
        opaque.add(item);
        continue;
      }
      const actions = byResource.get(parsed.resource) ?? new Set<string>();
      for (const a of parsed.actions) actions.add(a);
      byResource.set(parsed.resource, actions);
    }
  }
  const merged = [...byResource].map(([resource, actions]) => `${resource}:${[...actions].sort().join(',')}`);
  return [...merged, ...opaque].sort();
}

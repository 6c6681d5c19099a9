import type { TopCounts } from './types.js';

/**
 * Counts names with bounded memory: at most `maxNames` distinct names are
 * tracked; later new names are counted in aggregate only.
 */
export class BoundedCounter {
  private readonly counts = new Map<string, number>();
  private untracked = 0;

  constructor(private readonly maxNames = 10_000) {}

  add(name: string, by = 1): void {
    const current = this.counts.get(name);
    if (current !== undefined) this.counts.set(name, current + by);
    else if (this.counts.size < this.maxNames) this.counts.set(name, by);
    else this.untracked += by;
  }

  get total(): number {
    let sum = this.untracked;
    for (const v of this.counts.values()) sum += v;
    return sum;
  }

  top(limit = 10): TopCounts {
    const top = [...this.counts.entries()]
      .map(([name, count]) => ({ name, count }))
      .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .slice(0, limit);
    return { top, distinct: this.counts.size, capped: this.untracked > 0 };
  }
}

/** Wraps a store and records which operations it was asked to do. */
import type { Descriptor } from '../../src/oci/descriptor.js';

export interface Call {
  op: string;
  digest?: string;
  tag?: string;
}

export function counting<T extends object>(store: T): { store: T; calls: Call[]; pushed: () => string[]; fetched: () => string[] } {
  const calls: Call[] = [];
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        const first = args[0];
        const call: Call = { op: prop };
        if (typeof first === 'object' && first !== null && 'digest' in first) call.digest = (first as Descriptor).digest;
        if (typeof first === 'string') call.tag = first;
        if (prop === 'tag' || prop === 'pushReference') call.tag = String(args[prop === 'tag' ? 1 : 2]);
        calls.push(call);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return {
    store: proxy,
    calls,
    pushed: () => calls.filter((c) => c.op === 'push' || c.op === 'mount').map((c) => c.digest!),
    fetched: () => calls.filter((c) => c.op === 'fetch').map((c) => c.digest!),
  };
}

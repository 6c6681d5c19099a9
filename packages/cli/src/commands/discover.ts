import type { ReferrerNode } from '@epack/oci-pack/store';
import { defineCommand } from '../command.js';
import { targetOptions, withRegistryFlags, type RegistryFlags } from '../registry-flags.js';

interface Args extends RegistryFlags {
  ref: string;
  artifactType?: string;
  depth?: number;
}

export default defineCommand<Args>({
  command: 'discover <ref>',
  describe: 'List the referrers (signatures, attestations, SBOMs) of a manifest, as a tree',
  builder: (y) =>
    withRegistryFlags(
      y
        .positional('ref', { type: 'string', describe: 'registry reference or oci:<dir>:<tag>' })
        .option('artifact-type', { type: 'string', describe: "Only the root's referrers of this artifact type" })
        .option('depth', { type: 'number', describe: 'Levels of referrers to list (default: all)' }),
    ).example('epack discover ghcr.io/acme/evidence:2026-11', 'print the referrers tree'),
  run: async (args, { out }) => {
    const { openTarget, resolveReference, referrerTree, TargetPool } = await import('@epack/oci-pack/store');
    const { UsageError } = await import('@epack/oci-pack/error');
    if (args.depth !== undefined && !(Number.isInteger(args.depth) && args.depth >= 1)) {
      throw new UsageError('invalid_depth', `--depth must be a whole number of 1 or more, not ${args.depth}`);
    }
    const pool = new TargetPool();
    try {
      const opened = await openTarget(args.ref, { ...targetOptions(args, out), readOnly: true, pool });
      const root = await resolveReference(opened);
      const tree = await referrerTree(opened.target, root, {
        ...(args.artifactType !== undefined ? { artifactType: args.artifactType } : {}),
        ...(args.depth !== undefined ? { depth: args.depth } : {}),
      });
      const base = opened.base;
      const withReference = (node: ReferrerNode): Record<string, unknown> => {
        const { referrers, ...desc } = node;
        return { reference: `${base}@${node.digest}`, ...desc, referrers: referrers.map(withReference) };
      };
      out.result(withReference(tree));
      if (!out.json) {
        out.line(`${base}@${tree.digest}`);
        for (const line of treeLines(tree.referrers)) out.line(line);
        if (tree.referrers.length === 0) out.info('no referrers');
      }
    } finally {
      await pool.close();
    }
  },
});

/** oras-style tree: referrers grouped by artifact type, each digest under its type. */
function treeLines(referrers: ReferrerNode[], prefix = ''): string[] {
  const groups = new Map<string, ReferrerNode[]>();
  for (const r of referrers) {
    const type = r.artifactType ?? r.mediaType;
    groups.set(type, [...(groups.get(type) ?? []), r]);
  }
  const lines: string[] = [];
  const types = [...groups.keys()];
  types.forEach((type, i) => {
    const lastType = i === types.length - 1;
    lines.push(`${prefix}${lastType ? '└── ' : '├── '}${type}`);
    const typePrefix = prefix + (lastType ? '    ' : '│   ');
    const nodes = groups.get(type)!;
    nodes.forEach((node, j) => {
      const lastNode = j === nodes.length - 1;
      lines.push(`${typePrefix}${lastNode ? '└── ' : '├── '}${node.digest}`);
      lines.push(...treeLines(node.referrers, typePrefix + (lastNode ? '    ' : '│   ')));
    });
  });
  return lines;
}

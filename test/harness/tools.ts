/**
 * Locates the real registries and peer clients the tests use. They are
 * installed by scripts/install-test-tools.sh into $EPACK_TOOLS_DIR/bin (Go
 * builds) or come from Debian packages (docker-registry, htpasswd, skopeo).
 *
 * A missing tool fails loudly under CI=true. Locally the suite that needs it
 * is skipped, and the reason is printed.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TOOLS_BIN = path.join(process.env['EPACK_TOOLS_DIR'] ?? path.join(homedir(), '.cache/epack-test-tools'), 'bin');
export const SHARED_DIR = process.env['EPACK_SHARED_DIR'] ?? path.resolve(REPO_ROOT, '../shared');
export const IN_CI = process.env['CI'] === 'true' || process.env['CI'] === '1';

export type ToolName =
  | 'docker-registry'
  | 'htpasswd'
  | 'skopeo'
  | 'olareg'
  | 'distribution'
  | 'oras'
  | 'regctl'
  | 'crane'
  | 'cosign'
  | 'cosign2'
  | 'epack-go'
  | 'chromium';

const SYSTEM_PATHS: Partial<Record<ToolName, string[]>> = {
  'docker-registry': ['/usr/bin/docker-registry'],
  htpasswd: ['/usr/bin/htpasswd'],
  skopeo: ['/usr/bin/skopeo'],
  chromium: ['/usr/bin/chromium'],
};

/** The path of a tool, or undefined when it is not installed. */
export function findTool(name: ToolName): string | undefined {
  const candidates = [path.join(TOOLS_BIN, name), ...(SYSTEM_PATHS[name] ?? [])];
  return candidates.find((p) => existsSync(p));
}

/**
 * The path of a tool the calling suite needs. Under CI a missing tool throws
 * (the suite fails); locally it returns undefined after printing why the
 * suite will be skipped.
 */
export function requireTool(name: ToolName, suite: string): string | undefined {
  const found = findTool(name);
  if (found) return found;
  const why = `${name} is not installed (run scripts/install-test-tools.sh)`;
  if (IN_CI) throw new Error(`${suite}: ${why}; CI must have every tool`);
  process.stderr.write(`SKIP ${suite}: ${why}\n`);
  return undefined;
}

/** The spec's conformance vectors; required under CI. */
export function sharedPath(...parts: string[]): string | undefined {
  const p = path.join(SHARED_DIR, ...parts);
  if (existsSync(p)) return p;
  if (IN_CI) throw new Error(`${p} is missing; CI always has ../shared`);
  process.stderr.write(`SKIP: ${p} is missing\n`);
  return undefined;
}

/** Packs built from examples/demo-evidence for the publish end-to-end tests. */
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildPack } from '../../packages/oci-pack/src/pack/build.js';
import { REPO_ROOT } from '../harness/tools.js';

export const DEMO_EVIDENCE = path.join(REPO_ROOT, 'examples/demo-evidence');

export interface DemoPacks {
  dir: string;
  /** The demo evidence as a pack. */
  v1: string;
  /** The same with scan.sarif changed. */
  v2: string;
}

export async function buildDemoPacks(): Promise<DemoPacks> {
  const dir = await mkdtemp(path.join(tmpdir(), 'epack-publish-'));
  const v1 = path.join(dir, 'v1.epack');
  await buildPack({ out: v1, inputs: [DEMO_EVIDENCE], stream: 'acme/demo', sources: ['ci@1.0.0'], generatedAt: '2026-11-01T12:00:00Z', cwd: dir });
  const changed = path.join(dir, 'changed', 'demo-evidence');
  await mkdir(changed, { recursive: true });
  for (const f of ['junit.xml', 'posture.json', 'sbom.cdx.json']) await copyFile(path.join(DEMO_EVIDENCE, f), path.join(changed, f));
  await writeFile(path.join(changed, 'scan.sarif'), '{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"semgrep"}},"results":[]}]}\n');
  const v2 = path.join(dir, 'v2.epack');
  await buildPack({ out: v2, inputs: [changed], stream: 'acme/demo', sources: ['ci@1.0.0'], generatedAt: '2026-12-01T12:00:00Z', cwd: dir });
  return { dir, v1, v2 };
}

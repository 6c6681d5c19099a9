/**
 * Keeps scripts/demo.sh (the README's first command) true: it runs the main
 * job end to end on a local OCI layout and every step must succeed. The
 * install/build step is skipped here (the suite runs after `pnpm build`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/tools.js';

describe('scripts/demo.sh', () => {
  it('builds, signs, pushes, discovers, pulls and verifies a pack on an OCI layout', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'epack-demo-')), 'demo-out');
    const run = spawnSync('bash', [path.join(REPO_ROOT, 'scripts/demo.sh')], {
      cwd: REPO_ROOT,
      env: { ...process.env, EPACK_DEMO_SKIP_INSTALL: '1', EPACK_DEMO_OUT: out, NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 110_000,
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    for (const step of ['build a pack', 'sign the pack', 'push it', 'sign the pushed artifact', 'discover', 'pull it', 'verify the pulled pack', 'report', 'done']) {
      expect(run.stdout).toContain(`==> ${step}`);
    }
    expect(run.stdout).toContain('pulled pack is byte-identical to the pushed one');
    // key signing works end to end: the pack's embedded attestation and the artifact's referrer both verify
    expect(run.stdout).toContain('==> verify the signature on the pushed artifact');
    expect(run.stdout).toMatch(/\$ epack verify \S+pulled\.epack --key/);
    expect(run.stdout).toMatch(/\$ epack pull \S+ -o \S+pulled\.epack --verify --key/);
    expect(run.stdout).toContain("signatures (the pack's attestations; 1 of 1 required)");
    expect(run.stdout).toMatch(/verified oci:\S+store@sha256:[0-9a-f]{64}: 1 of 1 required signer/);
    expect(run.stdout).toMatch(/signatures \(1 of 1 required\):\n {2}key sha256:[0-9a-f]{64}/);
    expect(run.stdout).toMatch(/report\/index\.html/);
    // discover shows the signature referrer of the pushed pack
    expect(run.stdout).toMatch(/└── application\/vnd\.dev\.sigstore\.bundle\.v0\.3\+json/);
    const index = JSON.parse(readFileSync(path.join(out, 'store/index.json'), 'utf8')) as { manifests: { artifactType?: string; annotations?: Record<string, string> }[] };
    const tags = index.manifests.filter((m) => m.artifactType === 'application/vnd.evidencepack.pack.v1').map((m) => m.annotations?.['org.opencontainers.image.ref.name']);
    expect(tags).toEqual(expect.arrayContaining(['demo', 'latest']));
    expect(readFileSync(path.join(out, 'pulled.epack')).equals(readFileSync(path.join(out, 'evidence.epack')))).toBe(true);
  });
});

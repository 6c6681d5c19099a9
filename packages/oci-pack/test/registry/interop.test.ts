/**
 * Referrers interop with oras in both modes: what this client records
 * (API on olareg, tag schema on distribution 2.8) oras discovers, and what
 * oras attaches this client lists.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registry/client.js';
import { createSandbox, peerAvailable, runTool, type Sandbox } from '../../../../test/harness/cli.js';
import { startRegistry, stopAllRegistries, type RunningRegistry } from '../../../../test/harness/registries.js';
import { clientFor, collect, EMPTY_JSON, emptyConfig, manifest } from './helpers.js';

const haveOras = peerAvailable('oras', 'registry interop');

afterAll(async () => {
  await stopAllRegistries();
});

function referrerDigests(json: string): string[] {
  const parsed = JSON.parse(json) as { referrers?: Array<{ digest: string }>; manifests?: Array<{ digest: string }> };
  return (parsed.referrers ?? parsed.manifests ?? []).map((r) => r.digest);
}

describe.skipIf(!haveOras).each([
  { kind: 'distribution2' as const, spec: 'v1.1-referrers-tag' },
  { kind: 'olareg' as const, spec: 'v1.1-referrers-api' },
])('$kind with oras ($spec)', ({ kind, spec }) => {
  let reg: RunningRegistry | undefined;
  let client: RegistryClient;
  let sandbox: Sandbox;
  beforeAll(async () => {
    reg = await startRegistry(kind);
    if (reg) client = clientFor(reg);
    sandbox = createSandbox();
  });
  afterAll(async () => {
    await client?.close();
    await reg?.stop();
    sandbox?.dispose();
  });

  it('oras discovers what we attach, and we list what oras attaches', async (ctx) => {
    if (!reg) return ctx.skip();
    const repo = client.repository('acme/interop');
    await repo.push(emptyConfig, EMPTY_JSON);
    const subject = manifest([], { artifactType: 'application/vnd.example.subject' });
    await repo.pushReference(subject.desc, subject.bytes, 'v1');
    const ours = manifest([], { artifactType: 'application/vnd.example.ours', subject: subject.desc });
    await repo.push(ours.desc, ours.bytes);

    const ref = `${reg.host}/acme/interop@${subject.desc.digest}`;
    const discovered = await runTool('oras', ['discover', '--plain-http', '--distribution-spec', spec, '--format', 'json', ref], { sandbox });
    expect(discovered.code, discovered.stderr).toBe(0);
    expect(referrerDigests(discovered.stdout)).toContain(ours.desc.digest);

    const file = path.join(sandbox.home, 'note.txt');
    writeFileSync(file, 'attached by oras');
    const attached = await runTool('oras', ['attach', '--plain-http', '--distribution-spec', spec, '--artifact-type', 'application/vnd.example.oras', ref, 'note.txt:text/plain'], { sandbox, cwd: sandbox.home });
    expect(attached.code, attached.stderr).toBe(0);
    const listed = await collect(repo.referrers(subject.desc));
    expect(listed.map((d) => d.artifactType).sort()).toEqual(['application/vnd.example.oras', 'application/vnd.example.ours']);
    expect(listed.find((d) => d.artifactType === 'application/vnd.example.ours')?.digest).toBe(ours.desc.digest);
  });
});

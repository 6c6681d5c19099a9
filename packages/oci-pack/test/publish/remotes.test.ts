import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRemotesConfig, loadRemotesConfig, looksLikeRemoteName, parseRemotesConfig, resolveRemote } from '../../src/publish/remotes.js';

const FILE = '/proj/epack.yaml';
const yaml = `
remotes:
  prod:
    registry: ghcr.io/acme/evidence
    labels: [soc2, latest]
    annotations: { team: platform }
    sign: { key: keys/cosign.key, tlog_upload: false }
  local:
    registry: oci:./store
environments:
  staging:
    remotes:
      prod:
        registry: localhost:5000/evidence-staging
        labels: [staging]
`;

describe('epack.yaml remotes', () => {
  const config = parseRemotesConfig(yaml, FILE);

  it('resolves a remote with its labels, annotations and sign settings', () => {
    expect(resolveRemote(config, 'prod')).toEqual({
      name: 'prod',
      registry: 'ghcr.io/acme/evidence',
      labels: ['soc2', 'latest'],
      annotations: { team: 'platform' },
      sign: { key: '/proj/keys/cosign.key', tlogUpload: false },
    });
    // layouts are relative to the file, like keys
    expect(resolveRemote(config, 'local')).toEqual({ name: 'local', registry: 'oci:/proj/store', labels: [], annotations: {} });
  });

  it('applies environment overrides key by key', () => {
    expect(resolveRemote(config, 'prod', 'staging')).toEqual({
      name: 'prod',
      environment: 'staging',
      registry: 'localhost:5000/evidence-staging',
      labels: ['staging'],
      annotations: { team: 'platform' },
      sign: { key: '/proj/keys/cosign.key', tlogUpload: false },
    });
    // an environment that does not mention a remote leaves it as it is
    expect(resolveRemote(config, 'local', 'staging').registry).toBe('oci:/proj/store');
  });

  it('names the known remotes and environments when one is missing', () => {
    expect(() => resolveRemote(config, 'qa')).toThrow(expect.objectContaining({ code: 'remote_not_found', kind: 'not_found', hint: 'known remotes: prod, local' }));
    expect(() => resolveRemote(config, 'prod', 'dev')).toThrow(expect.objectContaining({ code: 'environment_not_found', hint: 'known environments: staging' }));
  });

  it.each([
    ['remotes:\n  prod:\n    registry: r/x\n    lables: [a]\n', /unknown key "remotes\.prod\.lables"/],
    ['remote:\n  prod: {registry: r/x}\n', /unknown key "remote"/],
    ['remotes:\n  prod: {labels: [a]}\n', /remotes\.prod\.registry is required/],
    ['remotes:\n  prod: {registry: r/x, labels: soc2}\n', /labels must be a list/],
    ['remotes:\n  prod: {registry: r/x, sign: {keyless: yes-please}}\n', /keyless must be true or false/],
    ['remotes:\n  prod: {registry: r/x, sign: {}}\n', /needs key/],
    ['remotes:\n  prod: {registry: r/x, sign: {keyless: true, referrer: false}}\n', /unknown key "remotes\.prod\.sign\.referrer"/],
    ['remotes:\n  prod: {registry: r/x, sign: {keyless: true, rekor_url: ftp://x}}\n', /rekor_url must be an http\(s\) URL/],
    ['remotes:\n  prod: {registry: r/x}\n  prod: {registry: r/y}\n', /epack\.yaml:3:3: Map keys must be unique/],
    ['environments:\n  staging:\n    remotes:\n      nope: {registry: r/y}\n', /not defined under remotes/],
    ['remotes: [a, b]\n', /remotes must be a mapping/],
    ['remotes:\n  prod: {registry: r/x, mount_from: "Acme/Staging"}\n', /mount_from must be a repository path/],
    ['remotes:\n  "pr od": {registry: r/x}\n', /names are/],
    ['remotes: {\n', /epack\.yaml/],
  ])('rejects %j with a clear message', (text, message) => {
    expect(() => parseRemotesConfig(text, FILE)).toThrow(expect.objectContaining({ code: 'invalid_config', message: expect.stringMatching(message) }));
  });

  it('passes mount_from through, overridable per environment', () => {
    const c = parseRemotesConfig('remotes:\n  prod: {registry: r/x, mount_from: acme/staging}\nenvironments:\n  dr:\n    remotes:\n      prod: {mount_from: acme/dr-seed}\n', FILE);
    expect(resolveRemote(c, 'prod').mountFrom).toBe('acme/staging');
    expect(resolveRemote(c, 'prod', 'dr').mountFrom).toBe('acme/dr-seed');
  });

  it('accepts `sign: true` as keyless and an empty file', () => {
    expect(resolveRemote(parseRemotesConfig('remotes:\n  p: {registry: r/x, sign: true}\n', FILE), 'p').sign).toEqual({ keyless: true });
    expect(parseRemotesConfig('', FILE).remotes).toEqual({});
  });

  it('finds epack.yaml in a folder and loads it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'remotes-'));
    expect(findRemotesConfig(dir)).toBeUndefined();
    await writeFile(path.join(dir, 'epack.yaml'), yaml);
    expect(findRemotesConfig(dir)).toBe(path.join(dir, 'epack.yaml'));
    const loaded = await loadRemotesConfig(path.join(dir, 'epack.yaml'));
    expect(resolveRemote(loaded, 'prod').sign).toEqual({ key: path.join(dir, 'keys/cosign.key'), tlogUpload: false });
    await expect(loadRemotesConfig(path.join(dir, 'missing.yaml'))).rejects.toMatchObject({ code: 'config_not_found' });
  });

  it('tells remote names from references', () => {
    expect(looksLikeRemoteName('prod')).toBe(true);
    expect(looksLikeRemoteName('prod-eu_2')).toBe(true);
    for (const ref of ['oci:./store:v1', 'localhost:5000/x', 'ghcr.io/a/b:t', 'a/b', 'x@sha256:00']) expect(looksLikeRemoteName(ref)).toBe(false);
  });
});

describe('push destination', () => {
  const generatedAt = '2026-11-01T12:00:00Z';
  let dir: string;
  const setup = async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dest-'));
    await writeFile(path.join(dir, 'epack.yaml'), yaml);
  };

  it('uses the reference tag, else --tag, else generated_at; labels follow', async () => {
    const { resolveDestination } = await import('../../src/publish/destination.js');
    expect(await resolveDestination({ target: 'localhost:5000/acme/ev:v1', generatedAt, labels: ['soc2', 'v1', 'soc2'] })).toEqual({
      repository: 'localhost:5000/acme/ev',
      reference: 'localhost:5000/acme/ev:v1',
      tags: ['v1', 'soc2'],
      labels: ['soc2'],
      annotations: {},
    });
    expect((await resolveDestination({ target: 'oci:./store', generatedAt, tag: 'rel' })).tags).toEqual(['rel']);
    expect((await resolveDestination({ target: 'oci:./store', generatedAt })).reference).toBe('oci:./store:2026-11-01T12-00-00Z');
    await expect(resolveDestination({ target: 'oci:./store@sha256:' + '0'.repeat(64), generatedAt })).rejects.toMatchObject({ code: 'invalid_reference' });
    await expect(resolveDestination({ target: 'oci:./store', generatedAt, environment: 'staging' })).rejects.toMatchObject({ code: 'usage' });
    await expect(resolveDestination({ target: 'oci:./store:a', generatedAt, tag: 'b' })).rejects.toMatchObject({ code: 'usage' });
    expect((await resolveDestination({ target: 'oci:./store:a', generatedAt, tag: 'a' })).tags).toEqual(['a']);
  });

  it('resolves a remote of epack.yaml with --env, merging labels and annotations', async () => {
    await setup();
    const { resolveDestination } = await import('../../src/publish/destination.js');
    const d = await resolveDestination({ target: 'prod', generatedAt, cwd: dir, labels: ['q4'], annotations: { extra: '1' }, environment: 'staging' });
    expect(d).toEqual({
      repository: 'localhost:5000/evidence-staging',
      reference: 'localhost:5000/evidence-staging:2026-11-01T12-00-00Z',
      tags: ['2026-11-01T12-00-00Z', 'q4', 'staging'],
      labels: ['q4', 'staging'],
      annotations: { team: 'platform', extra: '1' },
      sign: { key: path.join(dir, 'keys/cosign.key'), tlogUpload: false },
      remote: { name: 'prod', environment: 'staging', file: path.join(dir, 'epack.yaml') },
    });
    const prod = await resolveDestination({ target: 'prod', generatedAt, configFile: path.join(dir, 'epack.yaml') });
    expect(prod.tags).toEqual(['2026-11-01T12-00-00Z', 'soc2', 'latest']);
    await writeFile(path.join(dir, 'tagged.yaml'), 'remotes:\n  t: {registry: "localhost:5000/x:nightly"}\n');
    expect((await resolveDestination({ target: 't', generatedAt, configFile: path.join(dir, 'tagged.yaml') })).tags).toEqual(['nightly']);
    expect((await resolveDestination({ target: 't', generatedAt, configFile: path.join(dir, 'tagged.yaml'), tag: 'v1' })).tags).toEqual(['v1']);
  });

  it('reports a missing remote with the known ones, or the missing epack.yaml', async () => {
    await setup();
    const { resolveDestination } = await import('../../src/publish/destination.js');
    await expect(resolveDestination({ target: 'qa', generatedAt, cwd: dir })).rejects.toMatchObject({ code: 'remote_not_found', hint: 'known remotes: prod, local' });
    const empty = await mkdtemp(path.join(tmpdir(), 'dest-empty-'));
    await expect(resolveDestination({ target: 'qa', generatedAt, cwd: empty })).rejects.toMatchObject({ code: 'remote_not_found', kind: 'not_found' });
  });
});

describe('pull source', () => {
  it('turns <remote>:<tag> and <remote>@<digest> into references; passes references through', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'src-'));
    await writeFile(path.join(dir, 'epack.yaml'), yaml);
    const { resolveSource } = await import('../../src/publish/destination.js');
    const digest = 'sha256:' + 'a'.repeat(64);
    expect(await resolveSource({ reference: 'prod:2026-11', cwd: dir })).toEqual({
      reference: 'ghcr.io/acme/evidence:2026-11',
      remote: { name: 'prod', file: path.join(dir, 'epack.yaml') },
    });
    expect((await resolveSource({ reference: `prod@${digest}`, cwd: dir, environment: 'staging' })).reference).toBe(`localhost:5000/evidence-staging@${digest}`);
    expect((await resolveSource({ reference: 'local:v1', cwd: dir })).reference).toBe(`oci:${path.join(dir, 'store')}:v1`);
    expect(await resolveSource({ reference: 'localhost:5000/a/b:v1', cwd: dir })).toEqual({ reference: 'localhost:5000/a/b:v1' });
    expect(await resolveSource({ reference: 'oci:./x:v1', cwd: dir })).toEqual({ reference: 'oci:./x:v1' });
    await expect(resolveSource({ reference: 'prod', cwd: dir })).rejects.toMatchObject({ code: 'reference_needs_tag', hint: 'write prod:<tag> or prod@sha256:<hex>' });
    await expect(resolveSource({ reference: 'qa:v1', cwd: dir })).rejects.toMatchObject({ code: 'remote_not_found' });
    await expect(resolveSource({ reference: 'localhost:5000/a/b:v1', cwd: dir, environment: 'staging' })).rejects.toMatchObject({ code: 'usage' });
  });
});

import { describe, expect, it } from 'vitest';
import { diffManifests } from '../../src/pack/diff.js';
import type { PackManifest } from '../../src/pack/types.js';

const art = (path: string, digestChar: string, size = 10, content_type?: string) => ({
  type: 'embedded' as const,
  path,
  digest: 'sha256:' + digestChar.repeat(64),
  size,
  ...(content_type ? { content_type } : {}),
});
const manifest = (over: Partial<PackManifest>): PackManifest => ({
  spec_version: '1.0',
  stream: 'acme/prod',
  generated_at: '2026-01-01T00:00:00Z',
  pack_digest: 'sha256:' + '0'.repeat(64),
  sources: [],
  artifacts: [],
  ...over,
});

describe('diffManifests', () => {
  it('finds added, removed and changed artifacts, sources and stream changes', () => {
    const a = manifest({ artifacts: [art('artifacts/keep.json', 'a'), art('artifacts/gone.json', 'b'), art('artifacts/edit.json', 'c'), art('artifacts/type.json', 'd', 10, 'application/json')], sources: [{ name: 'trivy', version: '1' }, { name: 'old' }] });
    const b = manifest({ stream: 'acme/next', artifacts: [art('artifacts/keep.json', 'a'), art('artifacts/new.json', 'e'), art('artifacts/edit.json', 'f', 11), art('artifacts/type.json', 'd', 10, 'text/plain')], sources: [{ name: 'trivy', version: '2' }, { name: 'fresh' }] });
    const d = diffManifests(a, b);
    expect(d.identical).toBe(false);
    expect(d.streamChanged).toBe(true);
    expect(d.added.map((x) => x.path)).toEqual(['artifacts/new.json']);
    expect(d.removed.map((x) => x.path)).toEqual(['artifacts/gone.json']);
    expect(d.changed.map((x) => [x.path, x.fields])).toEqual([
      ['artifacts/edit.json', ['digest', 'size']],
      ['artifacts/type.json', ['content_type']],
    ]);
    expect(d.unchanged).toBe(1);
    expect(d.sources.added).toEqual([{ name: 'fresh' }]);
    expect(d.sources.removed).toEqual([{ name: 'old' }]);
    expect(d.sources.changed.map((c) => c.name)).toEqual(['trivy']);
  });

  it('treats packs differing only in generated_at as identical', () => {
    const a = manifest({ artifacts: [art('artifacts/x', 'a')] });
    const b = manifest({ artifacts: [art('artifacts/x', 'a')], generated_at: '2027-01-01T00:00:00Z' });
    const d = diffManifests(a, b);
    expect(d.identical).toBe(true);
    expect(d.a.generated_at).not.toBe(d.b.generated_at);
  });
});

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EpackError, VerificationError } from '../../src/error.js';
import { computePackDigest } from '../../src/pack/digest.js';
import { DEFAULT_LIMITS, limitsFromConfig, MINIMUM_LIMITS, resolveLimits } from '../../src/pack/limits.js';
import { embeddedArtifacts, parseManifest, serializeManifest, validateArtifact, validateProvenance } from '../../src/pack/manifest.js';
import { formatTimestamp, isValidDate, isValidTimestamp } from '../../src/pack/timestamp.js';
import type { JsonValue } from '../../src/pack/json.js';
import type { PackManifest } from '../../src/pack/types.js';
import { sharedPath } from '../../../../test/harness/tools.js';

const enc = new TextEncoder();
const d = (c: string): string => 'sha256:' + c.repeat(64);

function manifest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const artifacts = (overrides['artifacts'] as { type: string; path: string; digest: string }[] | undefined) ?? [
    { type: 'embedded', path: 'artifacts/a.json', digest: d('1'), size: 10 },
  ];
  const embedded = artifacts.filter((a) => a.type === 'embedded');
  return {
    spec_version: '1.0',
    stream: 'acme/prod',
    generated_at: '2026-01-20T12:00:00Z',
    pack_digest: computePackDigest(embedded),
    sources: [],
    ...overrides,
    artifacts,
  };
}

const bytes = (v: unknown): Uint8Array => enc.encode(typeof v === 'string' ? v : JSON.stringify(v));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof EpackError) return err.code;
    throw err;
  }
}

describe('parseManifest accepts', () => {
  it('the minimal manifest', () => {
    const m = parseManifest(bytes(manifest({ artifacts: [] })));
    expect(m.artifacts).toEqual([]);
  });

  it('every optional field the spec defines', () => {
    const m = manifest({
      sources: [{ name: 'github', version: '1.0.0', source: 'github.com/x/y', commit: 'abc', binary_digest: d('a'), artifacts: 1, extra: { anything: true } }],
      artifacts: [
        {
          type: 'embedded',
          path: 'artifacts/github/branch-protection.json',
          digest: d('1'),
          size: 2048,
          content_type: 'application/json',
          display_name: 'Branch protection',
          description: 'd',
          collected_at: '2026-01-20T14:00:00Z',
          schema: 'github/branch-protection/v1',
          controls: ['AC-6', 'CM-3'],
        },
        {
          type: 'reference',
          name: 'soc2',
          uri: 'https://trust.vendor.com/portal/soc2',
          digest: d('9'),
          access: { policy: 'nda_required' },
          metadata: { document_type: 'SOC2', issuer: 'Big4 LLP', period_start: '2025-01-01', period_end: '2025-12-31', expires_at: '2026-12-31' },
          controls: ['CC1'],
        },
      ],
      provenance: {
        type: 'merged',
        merged_at: '2026-01-22T14:00:00Z',
        merged_by: 'security@acme.com',
        source_packs: [{ stream: 'acme/platform', pack_digest: d('2'), manifest_digest: 'a'.repeat(64), artifacts: 2, embedded_attestations: [] }],
      },
      profile: 'evidencepack/soc2-basic@v1',
      overlays: ['evidencepack/hipaa-overlay@v1'],
      profile_lock: [{ id: 'evidencepack/soc2-basic@v1', digest: d('b') }],
    });
    const parsed = parseManifest(bytes(m));
    expect(embeddedArtifacts(parsed).map((a) => a.path)).toEqual(['artifacts/github/branch-protection.json']);
    expect(parsed.artifacts).toHaveLength(2);
  });

  it('integers in any spelling that is a whole number (1.5e3, 100.0)', () => {
    const text = JSON.stringify(manifest()).replace('"size":10', '"size":1.5e3');
    expect(embeddedArtifacts(parseManifest(bytes(text)))[0]?.size).toBe(1500);
    expect(embeddedArtifacts(parseManifest(bytes(JSON.stringify(manifest()).replace('"size":10', '"size":10.0'))))[0]?.size).toBe(10);
  });

  it('the reference implementation\'s sources[].artifacts as a list of paths', () => {
    expect(() => parseManifest(bytes(manifest({ sources: [{ name: 'x', version: '1', artifacts: ['artifacts/a.json'] }] })))).not.toThrow();
  });

  it('the spec sample manifests, pack_digest verified', (ctx) => {
    const samples = sharedPath('evidence-pack', 'samples');
    if (!samples) return ctx.skip();
    for (const version of ['v1.0.0', 'v1.1.0', 'v1.2.0']) {
      const m = parseManifest(readFileSync(path.join(samples, version, 'manifest.json')));
      for (const a of embeddedArtifacts(m)) {
        const content = readFileSync(path.join(samples, version, a.path));
        expect(content.length).toBe(a.size);
      }
    }
  });
});

describe('parseManifest rejects', () => {
  const drop = (key: string): Record<string, unknown> => {
    const m = manifest();
    delete m[key];
    return m;
  };

  it.each([
    ['invalid JSON', '{ invalid json }', 'json_parse_error'],
    ['duplicate keys deep inside', JSON.stringify(manifest()).replace('"size":10', '"size":10,"size":10'), 'duplicate_keys'],
    ['a BOM', '\ufeff' + JSON.stringify(manifest()), 'json_parse_error'],
    ['an array', '[]', 'invalid_manifest'],
    ['null', 'null', 'invalid_manifest'],
    ['missing spec_version', drop('spec_version'), 'missing_spec_version'],
    ['missing stream', drop('stream'), 'missing_stream'],
    ['missing generated_at', drop('generated_at'), 'missing_generated_at'],
    ['missing pack_digest', drop('pack_digest'), 'missing_pack_digest'],
    ['missing sources', drop('sources'), 'missing_sources'],
    ['missing artifacts', drop('artifacts'), 'missing_artifacts'],
    ['spec_version 2.0', manifest({ spec_version: '2.0' }), 'unsupported_spec_version'],
    ['spec_version as a number', manifest({ spec_version: 1.0 }), 'invalid_manifest'],
    ['an empty stream', manifest({ stream: '' }), 'invalid_manifest'],
    ['an unknown top-level field', manifest({ format_version: '1.0' }), 'unknown_field'],
    ['the non-spec "profiles" field', manifest({ profiles: [] }), 'unknown_field'],
    ['an unknown artifact field', manifest({ artifacts: [{ type: 'embedded', path: 'artifacts/a.json', digest: d('1'), size: 1, sha: 'x' }] }), 'unknown_field'],
    ['generated_at with an offset', manifest({ generated_at: '2026-01-20T12:00:00+00:00' }), 'invalid_timestamp'],
    ['generated_at with fractions', manifest({ generated_at: '2026-01-20T12:00:00.000Z' }), 'invalid_timestamp'],
    ['generated_at on February 30', manifest({ generated_at: '2026-02-30T12:00:00Z' }), 'invalid_timestamp'],
    ['an uppercase pack_digest', manifest({ pack_digest: d('A') }), 'invalid_digest_format'],
    ['a wrong pack_digest', manifest({ pack_digest: d('0') }), 'pack_digest_mismatch'],
    ['sources not an array', manifest({ sources: {} }), 'invalid_manifest'],
    ['a source without name', manifest({ sources: [{ version: '1' }] }), 'missing_name'],
    ['a fractional source count', manifest({ sources: [{ name: 'x', artifacts: 1.5 }] }), 'invalid_number'],
    ['a bad binary_digest', manifest({ sources: [{ name: 'x', binary_digest: 'abc' }] }), 'invalid_digest_format'],
    ['an artifact without type', manifest({ artifacts: [{ path: 'artifacts/a.json', digest: d('1'), size: 1 }] }), 'missing_type'],
    ['an artifact of type "external"', manifest({ artifacts: [{ type: 'external', path: 'artifacts/a.json' }] }), 'invalid_type'],
    ['an embedded artifact without path', manifest({ artifacts: [{ type: 'embedded', digest: d('1'), size: 1 }] }), 'missing_path'],
    ['an embedded artifact without digest', manifest({ artifacts: [{ type: 'embedded', path: 'artifacts/a.json', size: 1 }] }), 'missing_digest'],
    ['an embedded artifact without size', manifest({ artifacts: [{ type: 'embedded', path: 'artifacts/a.json', digest: d('1') }] }), 'missing_size'],
    ['a negative size', manifest({ artifacts: [{ type: 'embedded', path: 'artifacts/a.json', digest: d('1'), size: -1 }] }), 'invalid_number'],
    ['a string size', manifest({ artifacts: [{ type: 'embedded', path: 'artifacts/a.json', digest: d('1'), size: '1' }] }), 'invalid_manifest'],
    ['a path outside artifacts/', manifest({ artifacts: [{ type: 'embedded', path: 'data.json', digest: d('1'), size: 1 }] }), 'artifact_outside_directory'],
    ['a traversal path', manifest({ artifacts: [{ type: 'embedded', path: 'artifacts/../x', digest: d('1'), size: 1 }] }), 'invalid_path'],
    ['an NFD path', manifest({ artifacts: [{ type: 'embedded', path: 'artifacts/cafe\u0301', digest: d('1'), size: 1 }] }), 'path_not_nfc'],
    ['a reserved name', manifest({ artifacts: [{ type: 'embedded', path: 'artifacts/aux.json', digest: d('1'), size: 1 }] }), 'reserved_name'],
    [
      'paths colliding on Windows',
      manifest({
        artifacts: [
          { type: 'embedded', path: 'artifacts/Report.json', digest: d('1'), size: 1 },
          { type: 'embedded', path: 'artifacts/report.json', digest: d('2'), size: 1 },
        ],
      }),
      'duplicate_path',
    ],
    ['a bad collected_at', manifest({ artifacts: [{ type: 'embedded', path: 'artifacts/a', digest: d('1'), size: 1, collected_at: 'now' }] }), 'invalid_timestamp'],
    ['controls not strings', manifest({ artifacts: [{ type: 'embedded', path: 'artifacts/a', digest: d('1'), size: 1, controls: [1] }] }), 'invalid_manifest'],
    ['a reference with an unknown policy', manifest({ artifacts: [{ type: 'reference', name: 'r', uri: 'https://x', access: { policy: 'private' } }] }), 'invalid_policy'],
    ['a reference without access', manifest({ artifacts: [{ type: 'reference', name: 'r', uri: 'https://x' }] }), 'missing_access'],
    ['provenance of an unknown type', manifest({ provenance: { type: 'forked' } }), 'invalid_type'],
    ['a bad profile id', manifest({ profile: 'soc2' }), 'invalid_profile_id'],
    ['an overlay id with a leading zero version', manifest({ overlays: ['a/b@v01'] }), 'invalid_profile_id'],
    ['a profile_lock entry with extra fields', manifest({ profile_lock: [{ id: 'a/b@v1', digest: d('1'), note: 'x' }] }), 'unknown_field'],
  ])('%s', (_what, input, code) => {
    expect(codeOf(() => parseManifest(bytes(input)))).toBe(code);
  });

  it('pack_digest_mismatch is a verification failure with both digests', () => {
    try {
      parseManifest(bytes(manifest({ pack_digest: d('0') })));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(VerificationError);
      expect((err as VerificationError).details).toEqual({ expected: d('0'), computed: computePackDigest([{ path: 'artifacts/a.json', digest: d('1') }]) });
    }
  });

  it('can skip the pack_digest comparison for tools looking at a manifest alone', () => {
    expect(() => parseManifest(bytes(manifest({ pack_digest: d('0') })), { verifyPackDigest: false })).not.toThrow();
  });

  it('says where the problem is', () => {
    try {
      parseManifest(bytes(manifest({ artifacts: [{ type: 'embedded', path: 'artifacts/a', digest: d('1'), size: 1.5 }] })));
      expect.unreachable();
    } catch (err) {
      expect((err as EpackError).details?.['location']).toBe('manifest.artifacts[0].size');
      expect((err as EpackError).message).toContain('1.5');
    }
  });

  it('integers beyond 2^53-1 even where doubles round them into range', () => {
    const text = JSON.stringify(manifest()).replace('"size":10', '"size":9007199254740991.4');
    expect(codeOf(() => parseManifest(bytes(text), { maxArtifactSize: Number.MAX_SAFE_INTEGER }))).toBe('invalid_number');
    const big = JSON.stringify(manifest()).replace('"size":10', '"size":9007199254740993');
    expect(codeOf(() => parseManifest(bytes(big), { maxArtifactSize: Number.MAX_SAFE_INTEGER }))).toBe('invalid_number');
  });

  it('enforces the size and count budgets', () => {
    const big = manifest({ artifacts: [{ type: 'embedded', path: 'artifacts/a', digest: d('1'), size: DEFAULT_LIMITS.maxArtifactSize + 1 }] });
    expect(codeOf(() => parseManifest(bytes(big)))).toBe('artifact_too_large');
    expect(() => parseManifest(bytes(big), { maxArtifactSize: DEFAULT_LIMITS.maxArtifactSize * 2 })).not.toThrow();
    const many = manifest({ artifacts: Array.from({ length: 101 }, (_v, i) => ({ type: 'embedded', path: `artifacts/${i}`, digest: d('1'), size: 1 })) });
    expect(codeOf(() => parseManifest(bytes(many), { maxArtifactCount: 100 }))).toBe('too_many_artifacts');
    const heavy = manifest({ artifacts: Array.from({ length: 3 }, (_v, i) => ({ type: 'embedded', path: `artifacts/${i}`, digest: d('1'), size: 5 * 1024 * 1024 })) });
    expect(codeOf(() => parseManifest(bytes(heavy), { maxPackSize: 10 * 1024 * 1024 }))).toBe('pack_too_large');
    expect(codeOf(() => parseManifest(bytes(manifest()), { maxManifestSize: 10 }))).toBe('manifest_too_large');
  });
});

describe('validateArtifact and validateProvenance', () => {
  it('references: digest optional, access.policy from the spec list only', () => {
    for (const policy of ['public', 'nda_required', 'customer_only', 'request_access']) {
      expect(() => validateArtifact({ type: 'reference', name: 'n', uri: 'https://x', access: { policy } })).not.toThrow();
    }
    for (const [ref, code] of [
      [{ type: 'reference', uri: 'https://x', access: { policy: 'public' } }, 'missing_name'],
      [{ type: 'reference', name: 'n', access: { policy: 'public' } }, 'missing_uri'],
      [{ type: 'reference', name: 'n', uri: 'https://x', access: {} }, 'missing_policy'],
      [{ type: 'reference', name: 'n', uri: 'https://x', access: { policy: 'PUBLIC' } }, 'invalid_policy'],
      [{ type: 'reference', name: 'n', uri: 'https://x', access: { policy: 'public' }, digest: 'md5:x' }, 'invalid_digest_format'],
      [{ type: 'reference', name: 'n', uri: 'https://x', access: { policy: 'public' }, metadata: { color: 'red' } }, 'unknown_field'],
    ] as const) {
      expect(codeOf(() => validateArtifact(ref as never))).toBe(code);
    }
  });

  it('merged provenance needs merged_at and a non-empty source_packs with complete entries', () => {
    const sp = { stream: 's', pack_digest: d('1'), artifacts: 1 };
    expect(() => validateProvenance({ type: 'single' })).not.toThrow();
    expect(() => validateProvenance({ type: 'merged', merged_at: '2026-01-22T14:00:00Z', source_packs: [sp] })).not.toThrow();
    expect(codeOf(() => validateProvenance({ type: 'merged', source_packs: [sp] }))).toBe('missing_merged_at');
    expect(codeOf(() => validateProvenance({ type: 'merged', merged_at: '2026-01-22T14:00:00Z' }))).toBe('missing_source_packs');
    expect(codeOf(() => validateProvenance({ type: 'merged', merged_at: '2026-01-22T14:00:00Z', source_packs: [] }))).toBe('missing_source_packs');
    expect(codeOf(() => validateProvenance({ type: 'merged', merged_at: '2026-01-22T14:00:00Z', source_packs: [{ ...sp, manifest_digest: d('1') }] }))).toBe(
      'invalid_digest_format',
    );
    const att = (a: Record<string, JsonValue>): JsonValue => ({ type: 'merged', merged_at: '2026-01-22T14:00:00Z', source_packs: [{ ...sp, embedded_attestations: [a] }] });
    expect(codeOf(() => validateProvenance(att({ verificationMaterial: {}, dsseEnvelope: {} })))).toBe('missing_media_type');
    expect(codeOf(() => validateProvenance(att({ mediaType: 'x', verificationMaterial: {}, dsseEnvelope: {} })))).toBe('invalid_media_type');
    expect(codeOf(() => validateProvenance(att({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', dsseEnvelope: {} })))).toBe(
      'missing_verification_material',
    );
  });
});

describe('serializeManifest', () => {
  const m = manifest({
    sources: [{ version: '1', name: 'github' }],
    artifacts: [{ size: 10, digest: d('1'), path: 'artifacts/a.json', type: 'embedded', controls: ['X'] }],
  }) as unknown as PackManifest;

  it('writes the spec field order, two-space indent and a final newline', () => {
    const text = new TextDecoder().decode(serializeManifest(m));
    expect(text.endsWith('}\n')).toBe(true);
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['spec_version', 'stream', 'generated_at', 'pack_digest', 'sources', 'artifacts']);
    expect(text).toContain('  "artifacts": [\n    {\n      "type": "embedded",\n      "path": "artifacts/a.json",\n      "digest"');
    expect(text).toContain('"name": "github",\n      "version": "1"');
  });

  it('is deterministic and round-trips through parseManifest', () => {
    expect(Buffer.from(serializeManifest(m)).equals(Buffer.from(serializeManifest(structuredClone(m))))).toBe(true);
    const again = serializeManifest(parseManifest(serializeManifest(m)));
    expect(Buffer.from(again).toString()).toBe(Buffer.from(serializeManifest(m)).toString());
  });

  it('does not depend on the key order of the input', () => {
    const reordered = { artifacts: m.artifacts, sources: m.sources, pack_digest: m.pack_digest, generated_at: m.generated_at, stream: m.stream, spec_version: m.spec_version };
    expect(Buffer.from(serializeManifest(reordered as PackManifest)).toString()).toBe(Buffer.from(serializeManifest(m)).toString());
  });
});

describe('timestamps', () => {
  it.each(['2026-01-20T12:00:00Z', '2000-02-29T23:59:59Z', '1970-01-01T00:00:00Z'])('valid %s', (t) => expect(isValidTimestamp(t)).toBe(true));
  it.each(['2026-01-20T12:00:00z', '2026-01-20 12:00:00Z', '2026-13-01T00:00:00Z', '2026-01-20T24:00:00Z', '2026-01-20T12:60:00Z', '2026-01-20T12:00:60Z', '1900-02-29T00:00:00Z', '2026-04-31T00:00:00Z', ' 2026-01-20T12:00:00Z', 1640000000])(
    'invalid %s',
    (t) => expect(isValidTimestamp(t)).toBe(false),
  );
  it('dates and formatting', () => {
    expect(isValidDate('2024-02-29')).toBe(true);
    expect(isValidDate('2023-02-29')).toBe(false);
    expect(formatTimestamp(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)))).toBe('2026-01-02T03:04:05Z');
  });
});

describe('limits', () => {
  it('defaults are the spec values', () => {
    expect(resolveLimits()).toEqual({
      maxArtifactSize: 100 * 1024 * 1024,
      maxPackSize: 2 * 1024 ** 3,
      maxArtifactCount: 10_000,
      maxEntryCount: 15_000,
      maxManifestSize: 10 * 1024 * 1024,
      maxAttestationSize: 1024 * 1024,
      maxCompressionRatio: 100,
    });
  });

  it('may be raised far beyond the defaults, but not disabled or set below the minimums', () => {
    expect(resolveLimits({ maxArtifactSize: 50 * 1024 ** 3 }).maxArtifactSize).toBe(50 * 1024 ** 3);
    for (const [limits, reason] of [
      [{ maxArtifactSize: 0 }, 'limits_disabled'],
      [{ maxPackSize: -1 }, 'limits_disabled'],
      [{ maxArtifactSize: 100 }, 'below_minimum'],
      [{ maxArtifactCount: 99 }, 'below_minimum'],
      [{ maxPackSize: MINIMUM_LIMITS.maxPackSize - 1 }, 'below_minimum'],
    ] as const) {
      try {
        resolveLimits(limits);
        expect.unreachable();
      } catch (err) {
        expect((err as EpackError).code).toBe('invalid_limit');
        expect((err as EpackError).details?.['reason']).toBe(reason);
      }
    }
    expect(codeOf(() => resolveLimits({ maxArtifactCount: 1.5 }))).toBe('invalid_limit');
    expect(codeOf(() => resolveLimits({ bogus: 1 } as never))).toBe('invalid_limit');
  });

  it('reads the spec configuration names', () => {
    expect(limitsFromConfig({ max_artifact_size: 1048576, max_pack_size: 10485760, max_artifact_count: 100 })).toMatchObject({
      maxArtifactSize: 1048576,
      maxPackSize: 10485760,
      maxArtifactCount: 100,
    });
    expect(codeOf(() => limitsFromConfig({ max_widgets: 1 }))).toBe('invalid_limit');
  });
});

describe('robustness', () => {
  const RUNS = Number(process.env['FC_RUNS'] ?? 1000);

  /** Replaces the node at a random path of `value` with `replacement`. */
  function mutate(value: unknown, pick: number[], replacement: unknown): unknown {
    if (pick.length === 0 || value === null || typeof value !== 'object') return replacement;
    const [first, ...rest] = pick as [number, ...number[]];
    if (Array.isArray(value)) {
      if (value.length === 0) return replacement;
      const i = first % value.length;
      return value.map((v, j) => (j === i ? mutate(v, rest, replacement) : v));
    }
    const keys = Object.keys(value);
    if (keys.length === 0) return replacement;
    const key = keys[first % keys.length] as string;
    return { ...(value as Record<string, unknown>), [key]: mutate((value as Record<string, unknown>)[key], rest, replacement) };
  }

  it('any structural mutation of a valid manifest is accepted or rejected with a PackError, never a crash', async () => {
    const fc = (await import('fast-check')).default;
    const seed = manifest({
      sources: [{ name: 'github', version: '1', artifacts: 1 }],
      artifacts: [
        { type: 'embedded', path: 'artifacts/a.json', digest: d('1'), size: 10, controls: ['X'] },
        { type: 'reference', name: 'r', uri: 'https://x', access: { policy: 'public' }, metadata: { issuer: 'i' } },
      ],
      provenance: { type: 'merged', merged_at: '2026-01-22T14:00:00Z', source_packs: [{ stream: 's', pack_digest: d('2'), artifacts: 1, embedded_attestations: [] }] },
      profile_lock: [{ id: 'a/b@v1', digest: d('3') }],
    });
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), (pick, replacement) => {
        const mutated = mutate(seed, pick, replacement);
        try {
          parseManifest(bytes(mutated), { verifyPackDigest: false });
        } catch (err) {
          expect(err).toBeInstanceOf(EpackError);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

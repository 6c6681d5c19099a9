/**
 * manifest.json of an Evidence Pack (spec v1, pack.md §3-§5, §10): strict
 * parsing and validation, and the deterministic serialization build writes.
 *
 * Strictness: duplicate keys at any depth, unknown fields (except inside
 * `sources[]`, which the spec declares informational), wrong JSON types,
 * non-integers where the spec says integer, malformed digests and timestamps
 * are all rejected with a stable PackError code (see docs/pack-format.md).
 */
import { PackError, VerificationError } from '../error.js';
import { computePackDigest, isHexSha256, isValidDigest } from './digest.js';
import { isJsonIntegerLexeme, isJsonObject, parseStrictJson, type JsonObject, type JsonValue } from './json.js';
import { DEFAULT_LIMITS } from './limits.js';
import { validateArtifactPath, windowsCanonicalPath } from './paths.js';
import { isValidTimestamp } from './timestamp.js';
import type { EmbeddedArtifact, PackLimits, PackManifest } from './types.js';

export const SPEC_VERSION = '1.0';
export const SIGSTORE_BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const ACCESS_POLICIES = ['public', 'nda_required', 'customer_only', 'request_access'] as const;
export const ARTIFACTS_DIR = 'artifacts/';

const MANIFEST_FIELDS = ['spec_version', 'stream', 'generated_at', 'pack_digest', 'sources', 'artifacts', 'provenance', 'profile', 'overlays', 'profile_lock'];
const EMBEDDED_FIELDS = ['type', 'path', 'digest', 'size', 'content_type', 'display_name', 'description', 'collected_at', 'schema', 'controls'];
const REFERENCE_FIELDS = ['type', 'name', 'uri', 'access', 'metadata', 'digest', 'controls'];
const REFERENCE_METADATA_FIELDS = ['document_type', 'issuer', 'period_start', 'period_end', 'expires_at'];
const PROVENANCE_FIELDS = ['type', 'merged_at', 'merged_by', 'source_packs'];
const SOURCE_PACK_FIELDS = ['stream', 'pack_digest', 'manifest_digest', 'artifacts', 'embedded_attestations'];
const EMBEDDED_ATTESTATION_FIELDS = ['mediaType', 'verificationMaterial', 'dsseEnvelope'];
const PROFILE_ID_RE = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?\/[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?@v[1-9][0-9]*$/;

export interface ManifestCheckOptions {
  /**
   * Recompute pack_digest from the embedded artifacts and compare
   * (`pack_digest_mismatch`). Default true; false only for tools that
   * inspect a manifest on its own (the spec's manifest vectors).
   */
  verifyPackDigest?: boolean;
}

export type ParseManifestOptions = Partial<PackLimits> & ManifestCheckOptions;

/** Parses and validates manifest.json bytes; throws PackError with the spec's codes. */
export function parseManifest(bytes: Uint8Array, options: ParseManifestOptions = {}): PackManifest {
  const maxSize = options.maxManifestSize ?? DEFAULT_LIMITS.maxManifestSize;
  if (bytes.byteLength > maxSize) {
    throw new PackError('manifest_too_large', `manifest.json is ${bytes.byteLength} bytes; the limit is ${maxSize}`);
  }
  const lexemes = new WeakMap<object, Map<string | number, string>>();
  const value = parseStrictJson(bytes, { numberLexemes: lexemes });
  return validateManifest(value, { ...options, lexemes });
}

/**
 * Validates an already parsed manifest. `lexemes` (from parseStrictJson)
 * makes integer checks exact; without it they use the parsed doubles.
 */
export function validateManifest(
  value: JsonValue,
  options: ParseManifestOptions & { lexemes?: WeakMap<object, Map<string | number, string>> } = {},
): PackManifest {
  const v = new Validator(options.lexemes);
  v.manifest(value, options);
  return value as unknown as PackManifest;
}

/** Validates one manifest artifact object (embedded or reference). */
export function validateArtifact(value: JsonValue, options: Partial<PackLimits> = {}, lexemes?: WeakMap<object, Map<string | number, string>>): void {
  new Validator(lexemes).artifact(value, 'artifact', options);
}

/** Validates a `provenance` object (pack.md §3.4.7-§3.4.10, §3.7.1). */
export function validateProvenance(value: JsonValue, lexemes?: WeakMap<object, Map<string | number, string>>): void {
  new Validator(lexemes).provenance(value, 'provenance');
}

/** The embedded artifacts of a manifest, in manifest order. */
export function embeddedArtifacts(m: PackManifest): EmbeddedArtifact[] {
  return m.artifacts.filter((a): a is EmbeddedArtifact => a.type === 'embedded');
}

class Validator {
  constructor(private readonly lexemes: WeakMap<object, Map<string | number, string>> | undefined) {}

  fail(code: string, location: string, message: string): never {
    throw new PackError(code, `manifest.json: ${location}: ${message}`, { details: { location } });
  }

  object(value: JsonValue | undefined, location: string, code = 'invalid_manifest'): JsonObject {
    if (!isJsonObject(value)) this.fail(code, location, 'must be a JSON object');
    return value;
  }

  onlyFields(obj: JsonObject, allowed: readonly string[], location: string): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) this.fail('unknown_field', `${location}.${key}`, 'unknown field (the spec allows no extra fields here)');
    }
  }

  required(obj: JsonObject, key: string, location: string, code = `missing_${key}`): JsonValue {
    const value = obj[key];
    if (value === undefined) this.fail(code, `${location}.${key}`, 'required field is missing');
    return value;
  }

  string(value: JsonValue | undefined, location: string, { nonEmpty = false } = {}): string {
    if (typeof value !== 'string') this.fail('invalid_manifest', location, 'must be a string');
    if (nonEmpty && value === '') this.fail('invalid_manifest', location, 'must not be empty');
    return value;
  }

  optionalString(obj: JsonObject, key: string, location: string): void {
    if (obj[key] !== undefined) this.string(obj[key], `${location}.${key}`);
  }

  array(value: JsonValue | undefined, location: string): JsonValue[] {
    if (!Array.isArray(value)) this.fail('invalid_manifest', location, 'must be an array');
    return value;
  }

  stringArray(value: JsonValue | undefined, location: string): string[] {
    const arr = this.array(value, location);
    arr.forEach((item, i) => this.string(item, `${location}[${i}]`));
    return arr as string[];
  }

  integer(parent: JsonObject, key: string, location: string): number {
    const value = parent[key];
    if (typeof value !== 'number') this.fail('invalid_manifest', location, 'must be an integer');
    const lexeme = this.lexemes?.get(parent)?.get(key);
    const whole = lexeme !== undefined ? isJsonIntegerLexeme(lexeme) : Number.isInteger(value) && value >= 0 && value <= Number.MAX_SAFE_INTEGER;
    if (!whole) this.fail('invalid_number', location, `${lexeme ?? value} is not a whole number in 0..2^53-1`);
    return value;
  }

  digest(value: JsonValue | undefined, location: string): string {
    if (!isValidDigest(value)) this.fail('invalid_digest_format', location, `${JSON.stringify(value)} is not sha256:<64 lowercase hex>`);
    return value;
  }

  timestamp(value: JsonValue | undefined, location: string): string {
    if (!isValidTimestamp(value)) this.fail('invalid_timestamp', location, `${JSON.stringify(value)} is not YYYY-MM-DDTHH:MM:SSZ`);
    return value;
  }

  manifest(value: JsonValue, options: ParseManifestOptions): void {
    if (!isJsonObject(value)) {
      throw new PackError('invalid_manifest', 'manifest.json must be a JSON object', { details: { location: 'manifest', related: ['invalid_type'] } });
    }
    const m = value;
    // Presence first, in the spec's order, so a missing field wins over later type errors.
    for (const key of ['spec_version', 'stream', 'generated_at', 'pack_digest', 'sources', 'artifacts']) this.required(m, key, 'manifest');
    this.onlyFields(m, MANIFEST_FIELDS, 'manifest');
    const version = this.string(m['spec_version'], 'manifest.spec_version');
    if (version !== SPEC_VERSION) this.fail('unsupported_spec_version', 'manifest.spec_version', `"${version}" is not supported (only "${SPEC_VERSION}")`);
    this.string(m['stream'], 'manifest.stream', { nonEmpty: true });
    this.timestamp(m['generated_at'], 'manifest.generated_at');
    this.digest(m['pack_digest'], 'manifest.pack_digest');
    this.sources(m['sources']);
    const artifacts = this.array(m['artifacts'], 'manifest.artifacts');
    const maxCount = options.maxArtifactCount ?? DEFAULT_LIMITS.maxArtifactCount;
    if (artifacts.length > maxCount) this.fail('too_many_artifacts', 'manifest.artifacts', `${artifacts.length} artifacts; the limit is ${maxCount}`);
    artifacts.forEach((a, i) => this.artifact(a, `manifest.artifacts[${i}]`, options));
    const embedded = artifacts.filter((a) => (a as JsonObject)['type'] === 'embedded') as unknown as EmbeddedArtifact[];
    this.uniquePaths(embedded);
    this.packSize(embedded, options);
    if (m['provenance'] !== undefined) this.provenance(m['provenance'], 'manifest.provenance');
    this.reserved(m);
    if (options.verifyPackDigest !== false) {
      const computed = computePackDigest(embedded);
      if (computed !== m['pack_digest']) {
        throw new VerificationError('pack_digest_mismatch', `manifest.json: pack_digest is ${String(m['pack_digest'])} but the embedded artifacts give ${computed}`, {
          details: { expected: m['pack_digest'], computed },
        });
      }
    }
  }

  sources(value: JsonValue | undefined): void {
    const sources = this.array(value, 'manifest.sources');
    sources.forEach((s, i) => {
      const loc = `manifest.sources[${i}]`;
      const source = this.object(s, loc);
      this.string(this.required(source, 'name', loc, 'missing_name'), `${loc}.name`);
      for (const key of ['version', 'source', 'commit']) this.optionalString(source, key, loc);
      if (source['binary_digest'] !== undefined) this.digest(source['binary_digest'], `${loc}.binary_digest`);
      const count = source['artifacts'];
      if (count !== undefined) {
        if (Array.isArray(count)) this.stringArray(count, `${loc}.artifacts`);
        else this.integer(source, 'artifacts', `${loc}.artifacts`);
      }
      // Other fields are informational and accepted (pack.md §3.4.5).
    });
  }

  artifact(value: JsonValue | undefined, loc: string, limits: Partial<PackLimits>): void {
    const a = this.object(value, loc);
    const type = this.required(a, 'type', loc, 'missing_type');
    if (type === 'embedded') this.embedded(a, loc, limits);
    else if (type === 'reference') this.reference(a, loc);
    else this.fail('invalid_type', `${loc}.type`, `${JSON.stringify(type)} is not "embedded" or "reference"`);
  }

  embedded(a: JsonObject, loc: string, limits: Partial<PackLimits>): void {
    const path = this.string(this.required(a, 'path', loc), `${loc}.path`);
    this.digest(this.required(a, 'digest', loc), `${loc}.digest`);
    this.required(a, 'size', loc);
    this.onlyFields(a, EMBEDDED_FIELDS, loc);
    validateArtifactPath(path);
    if (!path.startsWith(ARTIFACTS_DIR)) this.fail('artifact_outside_directory', `${loc}.path`, `"${path}" is not under ${ARTIFACTS_DIR}`);
    const size = this.integer(a, 'size', `${loc}.size`);
    const max = limits.maxArtifactSize ?? DEFAULT_LIMITS.maxArtifactSize;
    if (size > max) this.fail('artifact_too_large', `${loc}.size`, `${size} bytes; the limit is ${max}`);
    for (const key of ['content_type', 'display_name', 'description', 'schema']) this.optionalString(a, key, loc);
    if (a['collected_at'] !== undefined) this.timestamp(a['collected_at'], `${loc}.collected_at`);
    if (a['controls'] !== undefined) this.stringArray(a['controls'], `${loc}.controls`);
  }

  reference(a: JsonObject, loc: string): void {
    this.string(this.required(a, 'name', loc), `${loc}.name`, { nonEmpty: true });
    this.string(this.required(a, 'uri', loc), `${loc}.uri`, { nonEmpty: true });
    const access = this.object(this.required(a, 'access', loc), `${loc}.access`);
    const policy = this.required(access, 'policy', `${loc}.access`);
    this.onlyFields(access, ['policy'], `${loc}.access`);
    if (!(ACCESS_POLICIES as readonly JsonValue[]).includes(policy)) {
      this.fail('invalid_policy', `${loc}.access.policy`, `${JSON.stringify(policy)} is not one of ${ACCESS_POLICIES.join(', ')}`);
    }
    this.onlyFields(a, REFERENCE_FIELDS, loc);
    if (a['digest'] !== undefined) this.digest(a['digest'], `${loc}.digest`);
    if (a['controls'] !== undefined) this.stringArray(a['controls'], `${loc}.controls`);
    if (a['metadata'] !== undefined) {
      const meta = this.object(a['metadata'], `${loc}.metadata`);
      this.onlyFields(meta, REFERENCE_METADATA_FIELDS, `${loc}.metadata`);
      // Advisory values: type-checked, never judged (pack.md §4.3.3).
      for (const key of REFERENCE_METADATA_FIELDS) this.optionalString(meta, key, `${loc}.metadata`);
    }
  }

  uniquePaths(embedded: readonly EmbeddedArtifact[]): void {
    const seen = new Map<string, string>();
    for (const a of embedded) {
      const key = windowsCanonicalPath(a.path);
      const other = seen.get(key);
      if (other !== undefined) {
        const how = other === a.path ? 'twice' : `and "${other}" (same file on Windows)`;
        throw new PackError('duplicate_path', `manifest.json: artifact path "${a.path}" is listed ${how}`, { details: { paths: [other, a.path] } });
      }
      seen.set(key, a.path);
    }
  }

  packSize(embedded: readonly EmbeddedArtifact[], limits: Partial<PackLimits>): void {
    const max = limits.maxPackSize ?? DEFAULT_LIMITS.maxPackSize;
    let total = 0;
    for (const a of embedded) total += a.size;
    if (total > max) this.fail('pack_too_large', 'manifest.artifacts', `embedded artifacts total ${total} bytes; the limit is ${max}`);
  }

  provenance(value: JsonValue, loc: string): void {
    const p = this.object(value, loc);
    const type = this.required(p, 'type', loc, 'missing_type');
    this.onlyFields(p, PROVENANCE_FIELDS, loc);
    if (type !== 'merged' && type !== 'single') this.fail('invalid_type', `${loc}.type`, `${JSON.stringify(type)} is not "merged" or "single"`);
    if (p['merged_by'] !== undefined) this.string(p['merged_by'], `${loc}.merged_by`);
    if (p['merged_at'] !== undefined) this.timestamp(p['merged_at'], `${loc}.merged_at`);
    if (type === 'merged') {
      this.required(p, 'merged_at', loc);
      const packs = this.array(this.required(p, 'source_packs', loc), `${loc}.source_packs`);
      if (packs.length === 0) this.fail('missing_source_packs', `${loc}.source_packs`, 'a merged pack needs at least one source pack');
      packs.forEach((sp, i) => this.sourcePack(sp, `${loc}.source_packs[${i}]`));
    } else if (p['source_packs'] !== undefined) {
      this.array(p['source_packs'], `${loc}.source_packs`).forEach((sp, i) => this.sourcePack(sp, `${loc}.source_packs[${i}]`));
    }
  }

  sourcePack(value: JsonValue, loc: string): void {
    const sp = this.object(value, loc);
    this.string(this.required(sp, 'stream', loc), `${loc}.stream`, { nonEmpty: true });
    this.digest(this.required(sp, 'pack_digest', loc), `${loc}.pack_digest`);
    this.required(sp, 'artifacts', loc);
    this.onlyFields(sp, SOURCE_PACK_FIELDS, loc);
    this.integer(sp, 'artifacts', `${loc}.artifacts`);
    if (sp['manifest_digest'] !== undefined && !isHexSha256(sp['manifest_digest'])) {
      this.fail('invalid_digest_format', `${loc}.manifest_digest`, 'must be 64 lowercase hex digits (no prefix)');
    }
    if (sp['embedded_attestations'] !== undefined) {
      this.array(sp['embedded_attestations'], `${loc}.embedded_attestations`).forEach((att, i) =>
        this.embeddedAttestation(att, `${loc}.embedded_attestations[${i}]`),
      );
    }
  }

  embeddedAttestation(value: JsonValue, loc: string): void {
    const att = this.object(value, loc);
    const mediaType = this.required(att, 'mediaType', loc, 'missing_media_type');
    if (mediaType !== SIGSTORE_BUNDLE_MEDIA_TYPE) this.fail('invalid_media_type', `${loc}.mediaType`, `${JSON.stringify(mediaType)} is not ${SIGSTORE_BUNDLE_MEDIA_TYPE}`);
    this.object(this.required(att, 'verificationMaterial', loc, 'missing_verification_material'), `${loc}.verificationMaterial`);
    this.object(this.required(att, 'dsseEnvelope', loc, 'missing_dsse_envelope'), `${loc}.dsseEnvelope`);
    this.onlyFields(att, EMBEDDED_ATTESTATION_FIELDS, loc);
  }

  reserved(m: JsonObject): void {
    if (m['profile'] !== undefined) this.profileId(m['profile'], 'manifest.profile');
    if (m['overlays'] !== undefined) this.array(m['overlays'], 'manifest.overlays').forEach((o, i) => this.profileId(o, `manifest.overlays[${i}]`));
    if (m['profile_lock'] !== undefined) {
      this.array(m['profile_lock'], 'manifest.profile_lock').forEach((e, i) => {
        const loc = `manifest.profile_lock[${i}]`;
        const entry = this.object(e, loc);
        this.profileId(this.required(entry, 'id', loc), `${loc}.id`);
        this.digest(this.required(entry, 'digest', loc), `${loc}.digest`);
        this.onlyFields(entry, ['id', 'digest'], loc);
      });
    }
  }

  profileId(value: JsonValue | undefined, loc: string): void {
    if (typeof value !== 'string' || !PROFILE_ID_RE.test(value)) {
      this.fail('invalid_profile_id', loc, `${JSON.stringify(value)} is not a namespace/name@vN identifier`);
    }
  }
}

const TOP_ORDER = MANIFEST_FIELDS;
const KEY_ORDERS: Record<string, readonly string[]> = {
  embedded: EMBEDDED_FIELDS,
  reference: REFERENCE_FIELDS,
};

/** Keys in the spec's order first, then any others sorted (so output never depends on insertion order). */
function ordered(obj: Record<string, unknown>, order: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of order) if (obj[key] !== undefined) out[key] = obj[key];
  for (const key of Object.keys(obj).sort()) if (!(key in out) && obj[key] !== undefined) out[key] = obj[key];
  return out;
}

/**
 * Deterministic manifest.json bytes: spec field order, two-space indent,
 * final newline, integers without exponents. Same manifest, same bytes.
 */
export function serializeManifest(m: PackManifest): Uint8Array {
  const top = ordered(m as unknown as Record<string, unknown>, TOP_ORDER);
  top['sources'] = m.sources.map((s) => ordered(s, ['name', 'version', 'source', 'commit', 'binary_digest', 'artifacts']));
  top['artifacts'] = m.artifacts.map((a) => ordered(a as Record<string, unknown>, KEY_ORDERS[a.type] ?? []));
  if (m.provenance) {
    const p = ordered(m.provenance, PROVENANCE_FIELDS);
    if (Array.isArray(p['source_packs'])) {
      p['source_packs'] = (p['source_packs'] as Record<string, unknown>[]).map((sp) => ordered(sp, SOURCE_PACK_FIELDS));
    }
    top['provenance'] = p;
  }
  return new TextEncoder().encode(JSON.stringify(top, null, 2) + '\n');
}

/**
 * manifest.json of an Evidence Pack (spec v1, pack.md §3): strict parsing and
 * validation, and the deterministic serialization build writes.
 */
import { PackError } from '../error.js';
import { computePackDigest, isValidDigest } from './digest.js';
import { isJsonObject, parseStrictJson, type JsonValue } from './json.js';
import { DEFAULT_LIMITS } from './limits.js';
import { validateArtifactPath } from './paths.js';
import type { EmbeddedArtifact, PackLimits, PackManifest } from './types.js';

export const SPEC_VERSION = '1.0';

/** Parses and validates manifest.json bytes; throws PackError with the spec's codes. */
export function parseManifest(bytes: Uint8Array, limits: Partial<PackLimits> = {}): PackManifest {
  const max = limits.maxManifestSize ?? DEFAULT_LIMITS.maxManifestSize;
  if (bytes.byteLength > max) throw new PackError('manifest_too_large', `manifest.json is ${bytes.byteLength} bytes, the limit is ${max}`);
  const value = parseStrictJson(bytes);
  if (!isJsonObject(value)) throw new PackError('invalid_manifest', 'manifest.json must be a JSON object');
  const m = value as unknown as PackManifest;
  for (const a of embeddedArtifacts(m)) validateArtifactPath(a.path);
  const expected = computePackDigest(embeddedArtifacts(m));
  if (m.pack_digest !== expected) throw new PackError('pack_digest_mismatch', `pack_digest is ${m.pack_digest}, the artifacts give ${expected}`);
  return m;
}

/** The embedded artifacts of a manifest, in manifest order. */
export function embeddedArtifacts(m: PackManifest): EmbeddedArtifact[] {
  return m.artifacts.filter((a): a is EmbeddedArtifact => a.type === 'embedded');
}

/** Deterministic manifest.json bytes: fixed key order, two-space indent, final newline. */
export function serializeManifest(m: PackManifest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(m as unknown as JsonValue, null, 2) + '\n');
}

export { isValidDigest };

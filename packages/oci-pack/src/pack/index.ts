/** The Evidence Pack format: strict JSON, JCS, digests, paths, manifest, entries, attestations. */
export type * from './types.js';
export * from './json.js';
export * from './jcs.js';
export * from './digest.js';
export * from './paths.js';
export * from './limits.js';
export * from './timestamp.js';
export * from './manifest.js';
export * from './entries.js';
export * from './attestation.js';
export * from './reference.js';

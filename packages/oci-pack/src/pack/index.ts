/** The Evidence Pack format: strict JSON, JCS, digests, paths, manifest, attestations. */
export type * from './types.js';
export * from './json.js';
export * from './jcs.js';
export * from './digest.js';
export * from './paths.js';
export * from './limits.js';
export * from './manifest.js';
export * from './attestation.js';

/**
 * The Evidence Pack format (spec v1): strict JSON, JCS, digests, paths,
 * manifest, ZIP entry rules, attestations, referenced artifacts, limits;
 * reading, writing and building pack files; the conformance runner.
 */
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
export * from './conformance.js';
export { checkPackFileName, KNOWN_CONFLICTS, type VectorCase } from './conformance-vectors.js';
export * from './read.js';
export * from './write.js';
export * from './detect.js';
export * from './zip-read.js';
export * from './zip-write.js';
export * from './artifact-check.js';
export * from './build.js';
export * from './extract.js';
export * from './diff.js';
export * from './merge.js';
export * from './source.js';

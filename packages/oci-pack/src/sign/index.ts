/**
 * Sigstore signing and verification for Evidence Packs and OCI artifacts.
 * Layout follows sigstore-js: signer/, witness/, bundler/, identity/, verify/.
 */
export * from './errors.js';
export * from './statement.js';
export * from './signer/index.js';
export * from './witness/index.js';
export * from './bundler/index.js';
export * from './identity/index.js';
export * from './verify/index.js';
export { prepareSigner, signStatement, signStatementWith } from './sign.js';
export type { PreparedSigner, SignerOptions } from './sign.js';
export { attachAttestation, signArtifact, verifyArtifact } from './referrers.js';
export type { ArtifactVerification, AttachResult, SignArtifactOptions, VerifyArtifactOptions } from './referrers.js';
export { listReferrers, verifyReference } from './by-reference.js';
export type { ReferenceOptions, ReferrerEntry, ReferrerListing } from './by-reference.js';
export { decide } from './decision.js';
export type { SignatureFailure, SignaturesVerdict, SourcedSignature } from './decision.js';
export { signPack, verifyPack } from './pack.js';
export type { PackVerification, SignPackOptions, SignPackResult, VerifyPackOptions } from './pack.js';

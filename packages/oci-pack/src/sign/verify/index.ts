export { isKeylessBundle, parseBundle, verifyBundle } from './bundle.js';
export type { VerifiedSignature, VerifyBundleOptions } from './bundle.js';
export {
  anchoredRegExpMatcher,
  compilePolicy,
  evaluatePolicy,
  hasPolicy,
  pairIdentityFlags,
  publicKeyFrom,
} from './policy.js';
export type { CompiledRule, IdentityRule, PolicyResult, SignatureIdentity, VerifyPolicy } from './policy.js';
export { emptyTrustedRoot, loadTrustedRootFile, mergeTrustedRoots, parseTrustedRoot, resolveTrustedRoot } from './trusted-root.js';
export type { TrustRootOptions, TrustedRoot } from './trusted-root.js';
export { CLAIM_NAMES, certificateClaims } from './claims.js';

export { RegistryClient } from './client.js';
export { Repository, type TagsOptions } from './repository.js';
export { openRepository, type OpenRepositoryOptions } from './open.js';
export type { RegistryClientOptions, ReferrersMode } from './options.js';
export type { RetryOptions } from './retry.js';
export { parseRetryAfter } from './retry.js';
export { parseWwwAuthenticate, type Challenge } from './auth/challenge.js';
export { mergeScopes, repositoryScope } from './auth/scope.js';
export type { Credential, CredentialSource } from './auth/types.js';
export {
  resolveCredential,
  defaultCredentialSource,
  storeCredential,
  eraseCredential,
  dockerConfigPath,
  containersAuthPath,
  type CredentialEnv,
  type CredentialLocation,
} from './auth/credentials.js';
export { login, logout, type LoginOptions, type LoginResult, type LogoutResult } from './auth/login.js';
export { fallbackTag, referrerDescriptor, subjectOf } from './referrers.js';
export { isManifestMediaType, ACCEPT_MANIFESTS } from './manifests.js';
export { errorForResponse, parseErrorBody } from './errors.js';
export { redactUrl, redactHeader, redactQuery } from './debug.js';

export { StaticTokenProvider } from './static.js';
export { GitHubActionsProvider, hasGitHubActionsCredentials } from './github.js';
export type { GitHubActionsEnv } from './github.js';
export { BrowserLoginProvider, DEFAULT_OIDC_CLIENT_ID, DEFAULT_OIDC_ISSUER } from './browser.js';
export type { BrowserLoginOptions } from './browser.js';
export { resolveIdentityProvider } from './resolve.js';
export type { IdentityOptions, IdentitySource, ResolvedIdentity } from './resolve.js';

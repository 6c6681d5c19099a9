/**
 * Picks where the OIDC identity token comes from, in order: an explicit
 * token, SIGSTORE_ID_TOKEN, GitHub Actions ambient credentials, and — only
 * when a person is at a terminal — an interactive browser login.
 */
import type { IdentityProvider } from '@sigstore/sign';
import { IdentityError } from '../errors.js';
import { StaticTokenProvider } from './static.js';
import { GitHubActionsProvider, hasGitHubActionsCredentials } from './github.js';
import { BrowserLoginProvider } from './browser.js';
import type { BrowserLoginOptions } from './browser.js';

export type IdentitySource = 'token' | 'env' | 'github-actions' | 'browser';

export interface IdentityOptions {
  /** An identity token (JWT) given on the command line or by the caller. */
  identityToken?: string;
  /** Environment to read (defaults to process.env). */
  env?: Record<string, string | undefined>;
  /** A person is present (TTY): allow the browser login. */
  interactive?: boolean;
  browser?: Omit<BrowserLoginOptions, 'openURL'> & { openURL?: BrowserLoginOptions['openURL'] };
}

export interface ResolvedIdentity {
  source: IdentitySource;
  provider: IdentityProvider;
}

export function resolveIdentityProvider(options: IdentityOptions = {}): ResolvedIdentity {
  const env = options.env ?? process.env;
  if (options.identityToken) return { source: 'token', provider: new StaticTokenProvider(options.identityToken) };
  const fromEnv = env['SIGSTORE_ID_TOKEN'];
  if (fromEnv) return { source: 'env', provider: new StaticTokenProvider(fromEnv) };
  if (hasGitHubActionsCredentials(env)) return { source: 'github-actions', provider: new GitHubActionsProvider(env) };
  if (options.interactive && options.browser?.openURL) {
    return { source: 'browser', provider: new BrowserLoginProvider({ ...options.browser, openURL: options.browser.openURL }) };
  }
  throw new IdentityError('identity_token_missing', 'no identity token for keyless signing', {
    hint: 'pass --identity-token or set SIGSTORE_ID_TOKEN, run in GitHub Actions with id-token: write, sign with --key, or run in a terminal to log in with a browser',
  });
}

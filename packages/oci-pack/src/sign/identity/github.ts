/**
 * GitHub Actions ambient credentials: with `permissions: id-token: write` the
 * runner exposes ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN;
 * a GET with audience=sigstore returns `{ "value": <JWT> }`.
 */
import type { IdentityProvider } from '@sigstore/sign';
import { IdentityError, SigstoreServiceError } from '../errors.js';

export interface GitHubActionsEnv {
  ACTIONS_ID_TOKEN_REQUEST_URL?: string | undefined;
  ACTIONS_ID_TOKEN_REQUEST_TOKEN?: string | undefined;
}

export function hasGitHubActionsCredentials(env: GitHubActionsEnv): boolean {
  return Boolean(env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN);
}

export class GitHubActionsProvider implements IdentityProvider {
  constructor(
    private readonly env: GitHubActionsEnv,
    private readonly audience = 'sigstore',
  ) {}

  async getToken(): Promise<string> {
    const base = this.env.ACTIONS_ID_TOKEN_REQUEST_URL;
    const bearer = this.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
    if (!base || !bearer) {
      throw new IdentityError('identity_token_missing', 'GitHub Actions OIDC credentials are not available', {
        hint: 'grant the job `permissions: id-token: write`',
      });
    }
    const url = new URL(base);
    url.searchParams.set('audience', this.audience);
    let response: Response;
    try {
      response = await fetch(url, { headers: { Authorization: `Bearer ${bearer}`, Accept: 'application/json' } });
    } catch (err) {
      throw new SigstoreServiceError('identity_provider_unreachable', `cannot reach the GitHub Actions token service: ${(err as Error).message}`, { cause: err });
    }
    if (!response.ok) {
      throw new IdentityError('identity_token_rejected', `the GitHub Actions token service answered ${response.status}`);
    }
    const body = (await response.json().catch(() => undefined)) as { value?: unknown } | undefined;
    if (typeof body?.value !== 'string' || body.value === '') {
      throw new IdentityError('identity_token_rejected', 'the GitHub Actions token service returned no token');
    }
    return body.value;
  }
}

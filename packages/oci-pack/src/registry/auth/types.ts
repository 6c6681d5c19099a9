/** Credentials for one registry, in the shapes Docker's config can hold. */
export interface Credential {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (`identitytoken`): exchanged at the token realm. */
  identityToken?: string;
  /** A bearer token sent as is (`registrytoken`). */
  registryToken?: string;
}

/** Looks up credentials for a registry (canonical name, e.g. `docker.io`, `localhost:5000`). */
export type CredentialSource = (registry: string) => Promise<Credential | undefined>;

export function isEmptyCredential(c: Credential | undefined): boolean {
  return !c || (!c.password && !c.identityToken && !c.registryToken);
}

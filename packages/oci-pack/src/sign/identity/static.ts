/** An identity token given directly (`--identity-token`) or via SIGSTORE_ID_TOKEN. */
import type { IdentityProvider } from '@sigstore/sign';

export class StaticTokenProvider implements IdentityProvider {
  constructor(private readonly token: string) {}
  async getToken(): Promise<string> {
    return this.token.trim();
  }
}

import { parseRegistryReference, type RegistryReference } from '../oci/reference.js';
import { RegistryClient } from './client.js';
import type { RegistryClientOptions } from './options.js';
import type { Repository } from './repository.js';

export type OpenRepositoryOptions = RegistryClientOptions;

/** A new client for the reference's registry and its repository (close `client` when done). */
export function openRepository(reference: string | RegistryReference, options: OpenRepositoryOptions = {}): { client: RegistryClient; repository: Repository; reference: RegistryReference } {
  const ref = typeof reference === 'string' ? parseRegistryReference(reference) : reference;
  const client = new RegistryClient(ref.registry, options);
  return { client, repository: client.repository(ref.repository), reference: ref };
}

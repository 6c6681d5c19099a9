/**
 * DSSE bundles (Sigstore bundle v0.3): the in-toto statement is wrapped in a
 * DSSE envelope, signed, witnessed and serialized. sigstore.sign() is not used
 * on purpose: it makes v0.2 message-signature bundles that cosign ignores.
 */
import { DSSEBundleBuilder } from '@sigstore/sign';
import type { Signer, Witness } from '@sigstore/sign';
import { bundleToJSON } from '@sigstore/bundle';
import { IN_TOTO_PAYLOAD_TYPE } from '../statement.js';
import type { InTotoStatement } from '../statement.js';
import { signingFailure } from '../errors.js';

export interface DsseBundleOptions {
  signer: Signer;
  witnesses: Witness[];
}

/** Signs `payload` (bytes of `payloadType`) and returns the bundle JSON bytes. */
export async function createDsseBundle(payload: Uint8Array, payloadType: string, options: DsseBundleOptions): Promise<Uint8Array> {
  const builder = new DSSEBundleBuilder({ signer: options.signer, witnesses: options.witnesses, certificateChain: false });
  let bundle;
  try {
    bundle = await builder.create({ data: Buffer.from(payload), type: payloadType });
  } catch (err) {
    throw signingFailure(err, 'signing failed');
  }
  const json = bundleToJSON(bundle);
  // sigstore-js copies the key hint into the DSSE keyid; DSSE verifiers
  // (cosign, sigstore-go) then skip the signature unless the keyid equals
  // their own key id. The hint stays in verificationMaterial; the keyid,
  // which the signature does not cover, is left empty as cosign writes it.
  for (const sig of json.dsseEnvelope?.signatures ?? []) sig.keyid = '';
  return new TextEncoder().encode(JSON.stringify(json));
}

/** The exact bytes of a statement as signed (compact JSON). */
export function statementBytes(statement: InTotoStatement): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(statement));
}

export async function createStatementBundle(statement: InTotoStatement, options: DsseBundleOptions): Promise<Uint8Array> {
  return createDsseBundle(statementBytes(statement), IN_TOTO_PAYLOAD_TYPE, options);
}

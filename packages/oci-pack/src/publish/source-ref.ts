/**
 * Pack arguments that name a pack artifact in a store instead of a file:
 * `oci:<dir>[:<tag>|@<digest>]` or a registry reference with a registry host
 * (`localhost:5000/acme/evidence:v1`, `ghcr.io/acme/evidence@sha256:…`).
 * An existing file always wins, and names ending in .epack/.zip/.pack are
 * files, so a typo in a file name never turns into a registry request.
 */
import { existsSync } from 'node:fs';
import { parseRegistryReference } from '../oci/reference.js';
import type { OpenTargetOptions } from '../store/open.js';
import type { RemotePack } from './remote-pack.js';

export function isPackReference(arg: string): boolean {
  if (existsSync(arg)) return false;
  if (arg.startsWith('oci:')) return true;
  if (/\.(?:epack|zip|pack)$/i.test(arg)) return false;
  const slash = arg.indexOf('/');
  if (slash <= 0) return false;
  const host = arg.slice(0, slash);
  if (!(host.includes('.') || host.includes(':') || host === 'localhost')) return false;
  try {
    parseRegistryReference(arg);
    return true;
  } catch {
    return false;
  }
}

/** Opens a pack artifact by reference: reads its manifest and config only. */
export async function openPackReference(arg: string, targetOptions: OpenTargetOptions = {}): Promise<RemotePack> {
  const { openRemotePackRef } = await import('./transfer.js');
  return openRemotePackRef(arg, targetOptions);
}

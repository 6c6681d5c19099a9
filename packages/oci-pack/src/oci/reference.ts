/**
 * References to content: registry references (`ghcr.io/acme/evidence:2026-11`,
 * `…@sha256:<hex>`, `localhost:5000/x:y`, Docker Hub short names) and local
 * OCI image layout references in skopeo's syntax (`oci:<dir>[:<tag>|@<digest>]`).
 *
 * The grammar is distribution's reference grammar: lowercase path components
 * separated by `/`, an optional registry host (a name with a dot or a port,
 * `localhost`, or a bracketed IPv6 literal), a tag of up to 128 characters
 * and/or a digest.
 */
import { UsageError } from '../error.js';
import { isDigest } from './digest.js';

export interface RegistryReference {
  kind: 'registry';
  /** Canonical registry name: `docker.io`, `ghcr.io`, `localhost:5000`, `[::1]:5000`. */
  registry: string;
  /** Repository path, e.g. `acme/evidence` or `library/alpine`. */
  repository: string;
  tag?: string;
  digest?: string;
}

export interface LayoutReference {
  kind: 'layout';
  /** The layout directory as written (relative paths stay relative). */
  path: string;
  tag?: string;
  digest?: string;
}

export type Reference = RegistryReference | LayoutReference;

export const DOCKER_HUB = 'docker.io';
/** Where Docker Hub's registry API lives. */
export const DOCKER_HUB_HOST = 'registry-1.docker.io';
/** The key Docker uses for Docker Hub in config.json and credential helpers. */
export const DOCKER_HUB_CREDENTIAL_KEY = 'https://index.docker.io/v1/';

const MAX_NAME_LENGTH = 255;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_NAME_RE = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*$/;
const IPV6_RE = /^\[[a-fA-F0-9:]+(?:%[\w.-]+)?\]$/;
const PORT_RE = /^[0-9]{1,5}$/;

const REFERENCE_HINT = 'write <registry>/<repository>[:<tag>][@sha256:<hex>], e.g. ghcr.io/acme/evidence:v1, or oci:<dir>[:<tag>] for a local layout';

function invalid(input: string, why: string, hint = REFERENCE_HINT): UsageError {
  const shown = input.length > 300 ? `${input.slice(0, 300)}…` : input;
  return new UsageError('invalid_reference', `invalid reference "${shown}": ${why}`, { hint });
}

export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

/** Parses a registry reference or an `oci:` layout reference. */
export function parseReference(input: string): Reference {
  if (input.startsWith('oci:')) return parseLayoutReference(input);
  return parseRegistryReference(input);
}

/** Parses a registry reference; `oci:` layout references are rejected. */
export function parseRegistryReference(input: string): RegistryReference {
  if (input.length === 0) throw invalid(input, 'it is empty');
  if (/\s/.test(input)) throw invalid(input, 'it contains whitespace');
  if (input.includes('://')) throw invalid(input, 'a reference has no URL scheme', 'drop the https:// prefix');

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw invalid(input, `"${digest}" is not a digest`, 'a digest is sha256:<64 lowercase hex> or sha512:<128 lowercase hex>');
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > lastSlash && !(lastSlash < 0 && rest.startsWith('[') && lastColon < rest.indexOf(']'))) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG_RE.test(tag)) throw invalid(input, `"${tag}" is not a valid tag`, 'a tag is 1-128 characters of [A-Za-z0-9_.-] and does not start with . or -');
  }

  const { registry, repository } = splitName(rest, input);
  if (repository.length + registry.length + 1 > MAX_NAME_LENGTH) throw invalid(input, `the name is longer than ${MAX_NAME_LENGTH} characters`);
  const ref: RegistryReference = { kind: 'registry', registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

function splitName(name: string, input: string): { registry: string; repository: string } {
  if (name.length === 0) throw invalid(input, 'the repository name is empty');
  const slash = name.indexOf('/');
  const first = slash < 0 ? name : name.slice(0, slash);
  const isDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('[') || first.toLowerCase() !== first);
  let registry = DOCKER_HUB;
  let path = name;
  if (isDomain) {
    registry = normalizeRegistry(first, input);
    path = name.slice(slash + 1);
  }
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  for (const component of path.split('/')) {
    if (component.length === 0) throw invalid(input, 'the repository has an empty path component');
    if (!PATH_COMPONENT_RE.test(component)) {
      if (component.toLowerCase() !== component && PATH_COMPONENT_RE.test(component.toLowerCase())) {
        throw invalid(input, `repository names must be lowercase ("${component}")`, `use "${component.toLowerCase()}"`);
      }
      throw invalid(input, `"${component}" is not a valid repository path component`, 'path components are lowercase letters and digits, separated by ".", "_", "__" or dashes');
    }
  }
  return { registry, repository: path };
}

/** Validates a registry host[:port] and returns its canonical (lowercase) form. */
export function normalizeRegistry(registry: string, input = registry): string {
  let host = registry;
  let port: string | undefined;
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0) throw invalid(input, 'unterminated IPv6 literal');
    const after = host.slice(close + 1);
    host = host.slice(0, close + 1);
    if (after.length > 0) {
      if (!after.startsWith(':')) throw invalid(input, `"${registry}" is not a valid registry host`);
      port = after.slice(1);
    }
    if (!IPV6_RE.test(host)) throw invalid(input, `"${host}" is not a valid IPv6 literal`);
  } else {
    const colon = host.indexOf(':');
    if (colon >= 0) {
      port = host.slice(colon + 1);
      host = host.slice(0, colon);
    }
    if (!DOMAIN_NAME_RE.test(host)) throw invalid(input, `"${host}" is not a valid registry host`);
  }
  if (port !== undefined && (!PORT_RE.test(port) || Number(port) > 65535 || Number(port) === 0)) {
    throw invalid(input, `"${port}" is not a valid port`);
  }
  let canonical = host.toLowerCase() + (port === undefined ? '' : `:${port}`);
  if (canonical === 'index.docker.io' || canonical === DOCKER_HUB_HOST) canonical = DOCKER_HUB;
  return canonical;
}

/**
 * Parses `oci:<dir>[:<tag>|@<digest>]` as skopeo does: the directory ends at
 * its first `:` (so it cannot contain one, except a leading Windows drive
 * letter such as `C:\`), and a digest is written after `@`.
 */
export function parseLayoutReference(input: string): LayoutReference {
  if (!input.startsWith('oci:')) throw invalid(input, 'a layout reference starts with "oci:"');
  let rest = input.slice(4);
  let digest: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0 && /^sha(?:256|512):/.test(rest.slice(at + 1))) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw invalid(input, `"${digest}" is not a digest`, 'a digest is sha256:<64 lowercase hex> or sha512:<128 lowercase hex>');
  }
  const driveLetter = /^[A-Za-z]:[\\/]/.test(rest) ? 2 : 0;
  const colon = rest.indexOf(':', driveLetter);
  let tag: string | undefined;
  let dir = rest;
  if (colon >= 0) {
    dir = rest.slice(0, colon);
    tag = rest.slice(colon + 1);
    if (!TAG_RE.test(tag)) {
      throw invalid(input, `"${tag}" is not a valid tag`, 'the layout directory cannot contain ":"; a tag is 1-128 characters of [A-Za-z0-9_.-]');
    }
  }
  if (dir.length === 0) throw invalid(input, 'the layout directory is empty', 'write oci:<dir>[:<tag>|@<digest>], e.g. oci:./store:v1');
  const ref: LayoutReference = { kind: 'layout', path: dir };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** The canonical string form of a reference. */
export function formatReference(ref: Reference): string {
  const suffix = (ref.tag === undefined ? '' : `:${ref.tag}`) + (ref.digest === undefined ? '' : `@${ref.digest}`);
  if (ref.kind === 'layout') return `oci:${ref.path}${suffix}`;
  return `${ref.registry}/${ref.repository}${suffix}`;
}

/** The tag or digest to resolve: the digest wins when both are given. */
export function referenceTarget(ref: Reference): string | undefined {
  return ref.digest ?? ref.tag;
}

/** The `host[:port]` that serves the registry API (`registry-1.docker.io` for Docker Hub). */
export function registryHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_HOST : registry;
}

/** The key of this registry in Docker's config.json and credential helpers. */
export function credentialKey(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_CREDENTIAL_KEY : registry;
}

/** Hosts that talk plain HTTP without an explicit flag: localhost, 127.0.0.0/8, [::1]. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(0, registry.indexOf(']') + 1) : registry.split(':')[0] ?? '';
  if (host === 'localhost' || host === '[::1]') return true;
  const octets = host.split('.');
  return octets.length === 4 && octets[0] === '127' && octets.every((o) => /^[0-9]{1,3}$/.test(o) && Number(o) <= 255);
}

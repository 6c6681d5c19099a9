/**
 * Identity policy: who must have signed. Rules are matched by our code, not
 * by sigstore-js, because sigstore-js matches the SAN as an unanchored regexp
 * (`alice@example.com` would match `malice@example.com.evil`). Here every
 * regexp is anchored at both ends and every literal is compared exactly.
 */
import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { keyFingerprint } from '../signer/key.js';
import { SignUsageError } from '../errors.js';

export interface IdentityRule {
  /** Certificate SAN (email, URI), exact. */
  subject?: string;
  /** Certificate SAN, regexp anchored at both ends. */
  subjectRegExp?: string;
  /** OIDC issuer, exact. */
  issuer?: string;
  /** OIDC issuer, regexp anchored at both ends. */
  issuerRegExp?: string;
  /** Fulcio certificate claims that must all be present with exactly these values (e.g. sourceRepositoryURI). */
  claims?: Record<string, string>;
}

export interface VerifyPolicy {
  /** Keyless identities; a signature meets a rule when subject and issuer both match. */
  identities?: IdentityRule[];
  /** A trusted public key (PEM): a signature made with it meets the key rule. */
  key?: string | Uint8Array | KeyObject;
  /** How many distinct rules must each be met by a distinct valid signature (default 1: any of). */
  threshold?: number;
  /** Require a verified transparency log entry, also for key signatures. */
  requireTlog?: boolean;
}

/** What a verified signature tells a policy. */
export interface SignatureIdentity {
  mode: 'keyless' | 'key';
  /** SAN for keyless, `sha256:<fingerprint>` of the SPKI for key signatures. */
  identity: string;
  issuer?: string | undefined;
  /** Fulcio certificate claims (keyless). */
  claims?: Record<string, string>;
}

export interface CompiledRule {
  index: number;
  description: string;
  matches(sig: SignatureIdentity): boolean;
}

export interface PolicyResult {
  satisfied: boolean;
  threshold: number;
  /** Rules met, each by a distinct signature (a maximum matching). */
  met: Array<{ rule: string; signature: number }>;
  /** Rules no signature met. */
  unmet: string[];
  /** For each signature, the description of the first rule it meets, or null. */
  ruleMetBySignature: Array<string | null>;
}

export function publicKeyFrom(key: string | Uint8Array | KeyObject): KeyObject {
  if (typeof key === 'object' && 'asymmetricKeyType' in key) return key;
  try {
    return createPublicKey({ key: Buffer.from(key as string | Uint8Array), format: 'pem' });
  } catch (err) {
    throw new SignUsageError('key_invalid', `cannot read the public key: ${(err as Error).message}`, { cause: err });
  }
}

export function compilePolicy(policy: VerifyPolicy | undefined): CompiledRule[] {
  const rules: CompiledRule[] = [];
  for (const rule of policy?.identities ?? []) rules.push(compileIdentityRule(rule, rules.length));
  if (policy?.key !== undefined) {
    const fingerprint = `sha256:${keyFingerprint(publicKeyFrom(policy.key))}`;
    rules.push({
      index: rules.length,
      description: `key ${fingerprint}`,
      matches: (sig) => sig.mode === 'key' && sig.identity === fingerprint,
    });
  }
  const threshold = policy?.threshold ?? 1;
  if (!Number.isInteger(threshold) || threshold < 1) {
    throw new SignUsageError('policy_invalid', `the threshold must be a whole number >= 1, got ${threshold}`);
  }
  if (rules.length > 0 && threshold > rules.length) {
    throw new SignUsageError('policy_invalid', `a threshold of ${threshold} can never be met by ${rules.length} rule(s)`, {
      hint: 'give at least as many identities (or keys) as the threshold',
    });
  }
  return rules;
}

function compileIdentityRule(rule: IdentityRule, index: number): CompiledRule {
  if (rule.subject === undefined && rule.subjectRegExp === undefined) {
    throw new SignUsageError('policy_invalid', 'an identity rule needs --subject or --subject-regexp');
  }
  if (rule.issuer === undefined && rule.issuerRegExp === undefined) {
    throw new SignUsageError('policy_invalid', 'an identity rule needs --issuer or --issuer-regexp', {
      hint: 'without an issuer any identity provider could vouch for the subject',
    });
  }
  const subject = matcher(rule.subject, rule.subjectRegExp, 'subject');
  const issuer = matcher(rule.issuer, rule.issuerRegExp, 'issuer');
  const claims = Object.entries(rule.claims ?? {});
  const description = [
    rule.subject !== undefined ? `subject=${rule.subject}` : `subject~/${rule.subjectRegExp}/`,
    rule.issuer !== undefined ? `issuer=${rule.issuer}` : `issuer~/${rule.issuerRegExp}/`,
    ...claims.map(([k, v]) => `${k}=${v}`),
  ].join(' ');
  return {
    index,
    description,
    matches: (sig) =>
      sig.mode === 'keyless' &&
      subject(sig.identity) &&
      sig.issuer !== undefined &&
      issuer(sig.issuer) &&
      claims.every(([k, v]) => sig.claims?.[k] === v),
  };
}

function matcher(exact: string | undefined, pattern: string | undefined, what: string): (value: string) => boolean {
  if (exact !== undefined && pattern !== undefined) {
    throw new SignUsageError('policy_invalid', `give either --${what} or --${what}-regexp in one rule, not both`);
  }
  if (exact !== undefined) return (value) => value === exact;
  return anchoredRegExpMatcher(pattern as string, what);
}

/** A full-string match: the pattern is wrapped as ^(?:pattern)$. */
export function anchoredRegExpMatcher(pattern: string, what = 'identity'): (value: string) => boolean {
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern})$`);
  } catch (err) {
    throw new SignUsageError('policy_invalid', `the ${what} regexp ${JSON.stringify(pattern)} is invalid: ${(err as Error).message}`, { cause: err });
  }
  return (value) => re.test(value);
}

/**
 * Builds rules from paired flag lists: one issuer applies to every subject;
 * otherwise subjects and issuers pair by position. Exact values come before
 * regexps on each side.
 */
export function pairIdentityFlags(flags: {
  subject?: readonly string[];
  subjectRegExp?: readonly string[];
  issuer?: readonly string[];
  issuerRegExp?: readonly string[];
}): IdentityRule[] {
  const subjects: IdentityRule[] = [
    ...(flags.subject ?? []).map((s) => ({ subject: s })),
    ...(flags.subjectRegExp ?? []).map((s) => ({ subjectRegExp: s })),
  ];
  const issuers: IdentityRule[] = [
    ...(flags.issuer ?? []).map((s) => ({ issuer: s })),
    ...(flags.issuerRegExp ?? []).map((s) => ({ issuerRegExp: s })),
  ];
  if (subjects.length === 0 && issuers.length === 0) return [];
  if (subjects.length === 0) {
    throw new SignUsageError('policy_invalid', 'an issuer alone does not identify a signer', { hint: 'add --subject or --subject-regexp' });
  }
  if (issuers.length === 0) {
    throw new SignUsageError('policy_invalid', 'a subject needs an issuer', { hint: 'add --issuer or --issuer-regexp' });
  }
  if (issuers.length === 1) return subjects.map((s) => ({ ...s, ...issuers[0] }));
  if (issuers.length !== subjects.length) {
    throw new SignUsageError('policy_invalid', `${subjects.length} subject(s) and ${issuers.length} issuer(s) cannot be paired`, {
      hint: 'give one issuer for all subjects, or one issuer per subject in the same order',
    });
  }
  return subjects.map((s, i) => ({ ...s, ...issuers[i] }));
}

/**
 * Applies a policy to verified signatures. Each rule may be met by at most
 * one signature and each signature meets at most one rule, so one signer
 * cannot count twice toward a threshold.
 */
export function evaluatePolicy(signatures: readonly SignatureIdentity[], policy: VerifyPolicy | undefined): PolicyResult {
  const rules = compilePolicy(policy);
  const threshold = policy?.threshold ?? 1;
  const ruleMetBySignature = signatures.map((sig) => rules.find((r) => r.matches(sig))?.description ?? null);
  // Maximum bipartite matching (Kuhn): rules on the left, signatures on the right.
  const owner = new Array<number>(signatures.length).fill(-1);
  const tryRule = (r: number, seen: boolean[]): boolean => {
    for (let s = 0; s < signatures.length; s++) {
      if (seen[s] || !rules[r]!.matches(signatures[s]!)) continue;
      seen[s] = true;
      if (owner[s] === -1 || tryRule(owner[s]!, seen)) {
        owner[s] = r;
        return true;
      }
    }
    return false;
  };
  for (let r = 0; r < rules.length; r++) tryRule(r, new Array<boolean>(signatures.length).fill(false));
  const met: PolicyResult['met'] = [];
  owner.forEach((r, s) => {
    if (r !== -1) met.push({ rule: rules[r]!.description, signature: s });
  });
  met.sort((a, b) => a.signature - b.signature);
  const metRules = new Set(met.map((m) => m.rule));
  return {
    satisfied: rules.length > 0 && met.length >= threshold,
    threshold,
    met,
    unmet: rules.filter((r) => !metRules.has(r.description)).map((r) => r.description),
    ruleMetBySignature,
  };
}

export function hasPolicy(policy: VerifyPolicy | undefined): boolean {
  return (policy?.identities?.length ?? 0) > 0 || policy?.key !== undefined;
}

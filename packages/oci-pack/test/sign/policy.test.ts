import { describe, expect, it } from 'vitest';
import { anchoredRegExpMatcher, evaluatePolicy, pairIdentityFlags, type SignatureIdentity } from '../../src/sign/index.js';

const sig = (identity: string, issuer = 'https://issuer.example'): SignatureIdentity => ({ mode: 'keyless', identity, issuer });

describe('identity policy', () => {
  it('anchors regexps at both ends', () => {
    const m = anchoredRegExpMatcher('alice@example.com');
    expect(m('alice@example.com')).toBe(true);
    expect(m('malice@example.com.evil')).toBe(false);
    expect(anchoredRegExpMatcher('a|b')('xb')).toBe(false);
    expect(() => anchoredRegExpMatcher('(')).toThrow(expect.objectContaining({ code: 'policy_invalid' }));
  });

  it('pairs one issuer with every subject, or by position', () => {
    expect(pairIdentityFlags({ subject: ['a', 'b'], issuer: ['i'] })).toEqual([
      { subject: 'a', issuer: 'i' },
      { subject: 'b', issuer: 'i' },
    ]);
    expect(pairIdentityFlags({ subject: ['a'], subjectRegExp: ['r'], issuer: ['i'], issuerRegExp: ['j'] })).toEqual([
      { subject: 'a', issuer: 'i' },
      { subjectRegExp: 'r', issuerRegExp: 'j' },
    ]);
    expect(() => pairIdentityFlags({ subject: ['a', 'b', 'c'], issuer: ['i', 'j'] })).toThrow(expect.objectContaining({ code: 'policy_invalid' }));
    expect(() => pairIdentityFlags({ issuer: ['i'] })).toThrow(expect.objectContaining({ code: 'policy_invalid' }));
  });

  it('one signature cannot meet two rules toward a threshold', () => {
    const policy = { identities: [{ subjectRegExp: '.*@example\\.com', issuer: 'https://issuer.example' }, { subject: 'a@example.com', issuer: 'https://issuer.example' }], threshold: 2 };
    expect(evaluatePolicy([sig('a@example.com')], policy).satisfied).toBe(false);
    // b meets only the regexp rule, a both: the matching gives a -> exact, b -> regexp.
    const two = evaluatePolicy([sig('b@example.com'), sig('a@example.com')], policy);
    expect(two.satisfied).toBe(true);
    expect(two.met).toHaveLength(2);
  });

  it('the issuer must match too, exactly', () => {
    const policy = { identities: [{ subject: 'a@example.com', issuer: 'https://issuer.example' }] };
    expect(evaluatePolicy([sig('a@example.com', 'https://issuer.example.evil')], policy).satisfied).toBe(false);
    expect(evaluatePolicy([{ mode: 'keyless', identity: 'a@example.com' }], policy).satisfied).toBe(false);
  });

  it('refuses thresholds that can never be met', () => {
    expect(() => evaluatePolicy([], { identities: [{ subject: 'a', issuer: 'i' }], threshold: 2 })).toThrow(expect.objectContaining({ code: 'policy_invalid' }));
    expect(() => evaluatePolicy([], { identities: [{ subject: 'a', issuer: 'i' }], threshold: 0 })).toThrow(expect.objectContaining({ code: 'policy_invalid' }));
  });
});

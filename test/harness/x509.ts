/**
 * A self-signed ECDSA P-256 certificate built with node:crypto and a minimal
 * DER encoder: enough for the token server's `x5c` header and the registry's
 * `rootcertbundle`, without a dependency.
 */
import { X509Certificate, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

export interface SelfSignedCert {
  privateKey: KeyObject;
  /** DER bytes of the certificate. */
  der: Buffer;
  pem: string;
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const sequence = (...c: Buffer[]): Buffer => tlv(0x30, ...c);
const set = (...c: Buffer[]): Buffer => tlv(0x31, ...c);
const explicit = (n: number, ...c: Buffer[]): Buffer => tlv(0xa0 + n, ...c);
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bitString = (b: Buffer, unusedBits = 0): Buffer => tlv(0x03, Buffer.from([unusedBits]), b);

function integer(bytes: Buffer): Buffer {
  let b = bytes;
  while (b.length > 1 && b[0] === 0 && (b[1]! & 0x80) === 0) b = b.subarray(1);
  if ((b[0]! & 0x80) !== 0) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = p >>> 7; v > 0; v >>>= 7) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(d: Date): Buffer {
  // UTCTime covers 1950-2049; GeneralizedTime afterwards (RFC 5280 4.1.2.5).
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

function name(commonName: string): Buffer {
  return sequence(set(sequence(oid('2.5.4.3'), utf8(commonName))));
}

export interface CertOptions {
  validDays?: number;
  /** subjectAltName DNS names, for a TLS server certificate (e.g. `localhost`). */
  dnsNames?: string[];
  /** subjectAltName IPv4 addresses (e.g. `127.0.0.1`). */
  ipAddresses?: string[];
}

function subjectAltName(dnsNames: string[], ips: string[]): Buffer {
  const names = [
    ...dnsNames.map((d) => tlv(0x82, Buffer.from(d, 'ascii'))),
    ...ips.map((ip) => tlv(0x87, Buffer.from(ip.split('.').map(Number)))),
  ];
  return sequence(oid('2.5.29.17'), octets(sequence(...names)));
}

/**
 * Generates a P-256 key and a self-signed CA certificate for it; with SANs it
 * also serves as a TLS server certificate that clients trust via `ca`.
 */
export function selfSignedEcCert(commonName: string, options: CertOptions = {}): SelfSignedCert {
  const validDays = options.validDays ?? 2;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const now = Date.now();
  const keyUsage = bitString(Buffer.from([0x86]), 1); // digitalSignature, keyCertSign, cRLSign
  const extensions = explicit(
    3,
    sequence(
      sequence(oid('2.5.29.19'), bool(true), octets(sequence(bool(true)))),
      sequence(oid('2.5.29.15'), bool(true), octets(keyUsage)),
      ...(options.dnsNames?.length || options.ipAddresses?.length
        ? [subjectAltName(options.dnsNames ?? [], options.ipAddresses ?? [])]
        : []),
    ),
  );
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(randomBytes(16)),
    sequence(oid(ECDSA_WITH_SHA256)),
    name(commonName),
    sequence(time(new Date(now - 3600_000)), time(new Date(now + validDays * 86400_000))),
    name(commonName),
    spki,
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey); // DER-encoded ECDSA signature
  const der = sequence(tbs, sequence(oid(ECDSA_WITH_SHA256)), bitString(signature));
  // Parse it back: a malformed certificate fails here, not inside the registry.
  const parsed = new X509Certificate(der);
  if (!parsed.verify(createPublicKey(privateKey))) throw new Error('self-signed certificate does not verify');
  const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
  return { privateKey, der, pem };
}

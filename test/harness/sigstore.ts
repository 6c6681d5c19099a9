/**
 * A private Sigstore on loopback for keyless tests: @sigstore/mock's Fulcio
 * (with CT log), Rekor v1 and TSA served by one HTTP server, a trusted_root.json
 * built from their keys, and signed OIDC identity tokens (the mock Fulcio puts
 * the token's `sub` in the certificate SAN and `iss` in the issuer extension).
 *
 * The mock Rekor v1 stores the proposed entry as the body, so DSSE bundles
 * must be logged with entryType `intoto` (or use the TSA only).
 */
import { createHash, generateKeyPairSync, randomUUID, sign as cryptoSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { REPO_ROOT } from './tools.js';

type MockModule = typeof import('../../packages/oci-pack/node_modules/@sigstore/mock/dist/index.js');
type HandlerFn = import('../../packages/oci-pack/node_modules/@sigstore/mock/dist/index.js').HandlerFn;

const requireFromLib = createRequire(path.join(REPO_ROOT, 'packages/oci-pack/package.json'));
const mock = requireFromLib('@sigstore/mock') as MockModule;

export interface KeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

export interface MockSigstoreOptions {
  /** Clock of the CA: certificates are valid for 10 minutes from it. */
  caClock?: Date;
  /** Clock of the transparency log (integrated time). */
  tlogClock?: Date;
  /** Clock of the timestamp authority. */
  tsaClock?: Date;
}

export interface TokenClaims {
  sub: string;
  iss: string;
  [claim: string]: unknown;
}

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
export const GITHUB_IDENTITY = 'https://github.com/acme/evidence/.github/workflows/release.yml@refs/heads/main';
export const EMAIL_ISSUER = 'https://accounts.example.com';
export const EMAIL_IDENTITY = 'alice@example.com';

export interface MockSigstore {
  baseURL: string;
  fulcioURL: string;
  rekorURL: string;
  tsaURL: string;
  /** The trusted_root.json document (protobuf-specs JSON). */
  trustedRoot: Record<string, unknown>;
  /** Writes trusted_root.json into `dir` and returns its path. */
  writeTrustedRoot(dir: string, name?: string): Promise<string>;
  /** A signed OIDC token (ES256 JWT) with these claims. */
  token(claims: TokenClaims): string;
  /** A token for a GitHub Actions workflow identity. */
  githubToken(): string;
  /** A token for an email identity. */
  emailToken(email?: string): string;
  /** Requests served so far, by service. */
  requests: { fulcio: number; rekor: number; tsa: number };
  close(): Promise<void>;
}

/**
 * A Date that always reads the current time (plus an offset) in whole
 * seconds. The mock TSA encodes milliseconds without trailing zeros
 * (".12Z"), which @sigstore/core's parser rejects; whole seconds avoid that.
 */
function liveClock(offsetMs: number): Date {
  return new Proxy(new Date(), {
    get(_target, prop) {
      const now = new Date(Math.floor((Date.now() + offsetMs) / 1000) * 1000);
      const value = Reflect.get(now, prop, now) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(now) : value;
    },
  });
}

/**
 * sigstore-js puts the identity token in the Fulcio request body; sigstore-go
 * (cosign v3) sends it as `Authorization: Bearer`. The mock reads only the
 * body, so a bearer token is copied into it.
 */
function withBearerCredentials(body: string, authorization: string | undefined): string {
  const token = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1];
  if (!token) return body;
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    if (json['credentials'] === undefined) json['credentials'] = { oidcIdentityToken: token };
    return JSON.stringify(json);
  } catch {
    return body;
  }
}

function p256(): KeyPair {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

function spkiDer(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' });
}

export async function startMockSigstore(options: MockSigstoreOptions = {}): Promise<MockSigstore> {
  const routes = new Map<string, HandlerFn>();
  const requests = { fulcio: 0, rekor: 0, tsa: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const fn = req.method === 'POST' ? routes.get(req.url ?? '') : undefined;
      if (!fn) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
        return;
      }
      const service = (req.url ?? '').split('/')[1] as keyof typeof requests;
      requests[service]++;
      fn(withBearerCredentials(Buffer.concat(chunks).toString('utf8'), req.headers.authorization)).then(
        ({ statusCode, response, contentType }) => {
          const body = typeof response === 'string' ? response : Buffer.from(response.buffer, response.byteOffset, response.byteLength);
          // The real Fulcio and TSA answer 200 (sigstore-go insists); the mocks say 201.
          const status = statusCode === 201 && service !== 'rekor' ? 200 : statusCode;
          res.writeHead(status, { 'Content-Type': contentType ?? 'text/plain' }).end(body);
        },
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fulcioURL = `${baseURL}/fulcio`;
  const rekorURL = `${baseURL}/rekor`;
  const tsaURL = `${baseURL}/tsa/api/v1/timestamp`;

  const caKeys = p256();
  const ctKeys = p256();
  const tlogKeys = p256();
  const tsaKeys = p256();
  const ctlog = await mock.initializeCTLog(ctKeys, options.caClock);
  const ca = await mock.initializeCA(caKeys, ctlog, options.caClock);
  const tlog = await mock.initializeTLog(rekorURL, tlogKeys, options.tlogClock);
  const tsa = await mock.initializeTSA(tsaKeys, liveClock(options.tsaClock ? options.tsaClock.getTime() - Date.now() : 0));
  const fulcio = mock.fulcioHandler(ca);
  const rekor = mock.rekorHandler(tlog);
  const timestamp = mock.tsaHandler(tsa);
  routes.set(`/fulcio${fulcio.path}`, fulcio.fn);
  routes.set(`/rekor${rekor.path}`, rekor.fn);
  routes.set(`/tsa${timestamp.path}`, timestamp.fn);

  const start = new Date(Date.UTC(2020, 0, 1)).toISOString();
  const b64 = (b: ArrayBufferView | Buffer): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
  const tlogSpki = spkiDer(tlogKeys.publicKey);
  const trustedRoot: Record<string, unknown> = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: rekorURL,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: tlogSpki.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
        logId: { keyId: createHash('sha256').update(tlogSpki).digest('base64') },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: fulcioURL,
        certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
        validFor: { start },
      },
    ],
    ctlogs: [
      {
        baseUrl: `${baseURL}/ctlog`,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: ctlog.publicKey.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
        logId: { keyId: b64(ctlog.logID) },
      },
    ],
    timestampAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore-tsa' },
        uri: tsaURL,
        certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }] },
        validFor: { start },
      },
    ],
  };

  const oidcKeys = p256();
  const kid = randomUUID();
  const token = (claims: TokenClaims): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ aud: 'sigstore', iat: now, nbf: now, exp: now + 600, ...claims })).toString('base64url');
    const signature = cryptoSign('sha256', Buffer.from(`${header}.${payload}`), { key: oidcKeys.privateKey, dsaEncoding: 'ieee-p1363' });
    return `${header}.${payload}.${signature.toString('base64url')}`;
  };

  return {
    baseURL,
    fulcioURL,
    rekorURL,
    tsaURL,
    trustedRoot,
    requests,
    async writeTrustedRoot(dir: string, name = 'trusted_root.json'): Promise<string> {
      const file = path.join(dir, name);
      await writeFile(file, JSON.stringify(trustedRoot, null, 2));
      return file;
    },
    token,
    githubToken: () =>
      token({
        iss: GITHUB_ISSUER,
        sub: GITHUB_IDENTITY,
        repository: 'acme/evidence',
        ref: 'refs/heads/main',
        sha: 'a'.repeat(40),
        workflow: 'release',
        event_name: 'push',
        job_workflow_ref: 'acme/evidence/.github/workflows/release.yml@refs/heads/main',
        runner_environment: 'github-hosted',
      }),
    emailToken: (email = EMAIL_IDENTITY) => token({ iss: EMAIL_ISSUER, sub: email, email, email_verified: true }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { PeerlabError } from './errors.ts';
import { cryptoRandom, type Random } from './random.ts';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it (RFC 8410). */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
/** DER prefix of an Ed25519 PKCS#8 private key; the raw 32-byte seed follows it (RFC 8410). */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export const SHORT_ID_LENGTH = 8;

/** A node's Ed25519 key pair. Its id is the raw public key in base64url (43 characters). */
export class Identity {
  readonly id: string;
  readonly publicKey: KeyObject;
  private readonly privateKey: KeyObject;

  private constructor(privateKey: KeyObject) {
    this.privateKey = privateKey;
    this.publicKey = createPublicKey(privateKey);
    const der = this.publicKey.export({ format: 'der', type: 'spki' });
    this.id = der.subarray(SPKI_PREFIX.length).toString('base64url');
  }

  /** A new key pair from 32 bytes of `random` (the OS CSPRNG unless a seeded source is injected). */
  static generate(random: Random = cryptoRandom): Identity {
    return Identity.fromSeed(random.bytes(32));
  }

  /**
   * The key pair of a 32-byte Ed25519 seed (RFC 8032 §5.1.5). The same seed always gives the same
   * identity, so a simulation can derive a node's key from (run seed, node name).
   */
  static fromSeed(seed: Uint8Array): Identity {
    if (seed.length !== 32) throw new PeerlabError('BAD_ARGUMENT', `an Ed25519 seed is 32 bytes, got ${seed.length}`);
    return new Identity(createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' }));
  }

  static fromPem(pem: string): Identity {
    return new Identity(createPrivateKey(pem));
  }

  get shortId(): string {
    return shortId(this.id);
  }

  sign(data: Uint8Array): Buffer {
    return sign(null, data, this.privateKey);
  }

  toPem(): string {
    return this.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  }
}

export function shortId(id: string): string {
  return id.slice(0, SHORT_ID_LENGTH);
}

export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && ID_PATTERN.test(id);
}

const keyCache = new Map<string, KeyObject | null>();
const KEY_CACHE_MAX = 10_000;

function publicKeyOf(id: string): KeyObject | null {
  let key = keyCache.get(id);
  if (key !== undefined) return key;
  key = null;
  if (isValidId(id)) {
    const raw = Buffer.from(id, 'base64url');
    if (raw.length === 32) {
      try {
        key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
      } catch {
        key = null;
      }
    }
  }
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
  keyCache.set(id, key);
  return key;
}

/** Verifies an Ed25519 signature by the key whose id is given. Never throws. */
export function verifySignature(id: string, data: Uint8Array, signature: Uint8Array): boolean {
  const key = publicKeyOf(id);
  if (!key || signature.length !== 64) return false;
  try {
    return verify(null, data, key, signature);
  } catch {
    return false;
  }
}

import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { PeerlabError } from './errors.ts';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it (RFC 8410). */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
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

  static generate(): Identity {
    return new Identity(generateKeyPairSync('ed25519').privateKey);
  }

  static fromPem(pem: string): Identity {
    return new Identity(createPrivateKey(pem));
  }

  /** Loads `identity.key` from a data dir, creating it (mode 0600) on first start. */
  static async loadOrCreate(dataDir: string): Promise<Identity> {
    const file = join(dataDir, 'identity.key');
    let pem: string | undefined;
    try {
      pem = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new PeerlabError('IO', `cannot read identity ${file}: ${(err as Error).message}`);
      }
    }
    if (pem !== undefined) {
      try {
        return Identity.fromPem(pem);
      } catch {
        throw new PeerlabError('IO', `identity file ${file} is not a valid Ed25519 private key`);
      }
    }
    const identity = Identity.generate();
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await writeFile(file, identity.toPem(), { mode: 0o600, flag: 'wx' });
    await chmod(file, 0o600);
    return identity;
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

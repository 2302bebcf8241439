import { randomBytes, randomUUID } from 'node:crypto';
import { Prng } from './prng.ts';

/**
 * Where the runtime's unpredictable values come from: message ids, nonces, one-time tokens,
 * transfer ids and key seeds. Injected, so a simulated run can draw them from a seeded generator
 * and repeat byte for byte (DESIGN.md §6); real nodes use the operating system's CSPRNG.
 */
export interface Random {
  /** `n` random bytes. */
  bytes(n: number): Buffer;
  /** A version-4 UUID (lowercase hex, dashed). */
  uuid(): string;
}

/** The default: node:crypto. */
export const cryptoRandom: Random = {
  bytes: (n) => randomBytes(n),
  uuid: () => randomUUID(),
};

/**
 * Reproducible values from a seed (sfc32, see prng.ts). Not secret: for simulations and tests
 * only, never for tokens a real network relies on.
 */
export class SeededRandom implements Random {
  private readonly prng: Prng;

  constructor(seed: number | string | Prng) {
    this.prng = seed instanceof Prng ? seed : new Prng(seed);
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.prng.nextUint32();
      for (let k = 0; k < 4 && i + k < n; k++) out[i + k] = (v >>> (8 * k)) & 0xff;
    }
    return out;
  }

  uuid(): string {
    return formatUuid(this.bytes(16));
  }
}

/** Formats 16 bytes as a version-4, variant-1 UUID (RFC 9562 §5.4). */
export function formatUuid(b: Buffer): string {
  const v = Buffer.from(b.subarray(0, 16));
  v[6] = (v[6]! & 0x0f) | 0x40;
  v[8] = (v[8]! & 0x3f) | 0x80;
  const h = v.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A non-negative 31-bit integer, e.g. a default seed. */
export function randomSeed(random: Random = cryptoRandom): number {
  return random.bytes(4).readUInt32BE(0) >>> 1;
}

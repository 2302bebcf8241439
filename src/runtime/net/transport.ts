import type { Address } from '../address.ts';

/** A datagram transport: the only thing the rest of the runtime knows about UDP. */
export interface Transport {
  /** The address actually bound (after start; port 0 becomes the ephemeral port). */
  readonly address: Address;
  start(): Promise<void>;
  /** Idempotent. */
  stop(): Promise<void>;
  send(to: Address, data: Buffer): void;
  onReceive(handler: (data: Buffer, from: Address) => void): void;
}

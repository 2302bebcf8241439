import { ADDRESS_SCHEMA, ID_SCHEMA, NAME_SCHEMA, SAFE_INT_SCHEMA, type MessageFamily } from './schema-types.ts';

/** Network parameters two nodes must share to talk (DESIGN.md §3.2). */
export interface NetworkParams {
  /** Canonical decimal text at `scale`, e.g. "1000.00". */
  initialBalance: string;
  scale: number;
}

export interface HelloBody {
  name: string;
  /** The address peers should use to reach the sender (its advertised address). */
  addr: string;
  /** Protocol version the sender speaks. */
  version: number;
  params: NetworkParams;
  /** Random token; the answer echoes it in `re` so a join can match its reply. */
  nonce: string;
  re?: string;
  /** Whether the receiver should answer with its own hello. */
  reply: boolean;
  /**
   * A node joining the network through the receiver (`node.join`), not merely greeting a peer it
   * heard of: a receiver whose table is full makes room for it rather than refusing (HyParView).
   */
  join?: boolean;
  /** Ed25519 signature (base64url) over helloSigningBytes(). */
  sig: string;
}

export interface RefuseBody {
  code: string;
  reason: string;
  /** The refused hello's nonce, or (LAMPORT_AHEAD) the refused message's id. */
  re?: string;
  /** LAMPORT_AHEAD: the refuser's Lamport clock, so a pushed node can step back to it. */
  clock?: number;
  /** Ed25519 signature (base64url) over refuseSigningBytes(): nobody can refuse in a peer's name. */
  sig: string;
}

/** A peer leaving, signed for the session its recipient admitted it with (a captured bye cannot be replayed). */
export interface ByeBody {
  sig: string;
}

export interface PingBody {
  seq: number;
  /** Piggybacked ledger digest (anti-entropy), when the node has a ledger. */
  dg?: string;
}

export interface AckBody {
  seq: number;
  dg?: string;
}

export interface PingReqBody {
  /** Id and address of the peer to probe on the requester's behalf (SWIM indirect probe). */
  target: string;
  addr: string;
  seq: number;
}

export interface IndirectAckBody {
  target: string;
  seq: number;
}

export interface PeerEntry {
  id: string;
  addr: string;
  name: string;
}

export interface PeersBody {
  peers: PeerEntry[];
  /** Set when answering a peers-req, echoing its seq. */
  re?: number;
}

export interface PeersReqBody {
  seq: number;
}

export const MAX_PEERS_PER_MESSAGE = 40;

/** Ed25519 signatures in base64url. */
const SIG = { type: 'string', pattern: '^[A-Za-z0-9_-]{86}$' } as const;

const paramsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['initialBalance', 'scale'],
  properties: {
    initialBalance: { type: 'string', pattern: '^\\d{1,20}(\\.\\d{1,8})?$' },
    scale: { type: 'integer', minimum: 0, maximum: 8 },
  },
} as const;

const TOKEN = { type: 'string', pattern: '^[A-Za-z0-9_-]{8,64}$' } as const;

export const MEMBERSHIP_MESSAGES: MessageFamily = {
  hello: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'addr', 'version', 'params', 'nonce', 'reply', 'sig'],
    properties: {
      name: NAME_SCHEMA,
      addr: ADDRESS_SCHEMA,
      version: { type: 'integer', minimum: 0, maximum: 65535 },
      params: paramsSchema,
      nonce: TOKEN,
      re: TOKEN,
      reply: { type: 'boolean' },
      join: { type: 'boolean' },
      sig: SIG,
    },
  },
  refuse: {
    type: 'object',
    additionalProperties: false,
    required: ['code', 'reason', 'sig'],
    properties: {
      code: { type: 'string', maxLength: 64 },
      reason: { type: 'string', maxLength: 500 },
      re: TOKEN,
      clock: SAFE_INT_SCHEMA,
      sig: SIG,
    },
  },
  ping: {
    type: 'object',
    additionalProperties: false,
    required: ['seq'],
    properties: { seq: SAFE_INT_SCHEMA, dg: { type: 'string', maxLength: 64 } },
  },
  ack: {
    type: 'object',
    additionalProperties: false,
    required: ['seq'],
    properties: { seq: SAFE_INT_SCHEMA, dg: { type: 'string', maxLength: 64 } },
  },
  'ping-req': {
    type: 'object',
    additionalProperties: false,
    required: ['target', 'addr', 'seq'],
    properties: { target: ID_SCHEMA, addr: ADDRESS_SCHEMA, seq: SAFE_INT_SCHEMA },
  },
  'indirect-ack': {
    type: 'object',
    additionalProperties: false,
    required: ['target', 'seq'],
    properties: { target: ID_SCHEMA, seq: SAFE_INT_SCHEMA },
  },
  'peers-req': {
    type: 'object',
    additionalProperties: false,
    required: ['seq'],
    properties: { seq: SAFE_INT_SCHEMA },
  },
  peers: {
    type: 'object',
    additionalProperties: false,
    required: ['peers'],
    properties: {
      re: SAFE_INT_SCHEMA,
      peers: {
        type: 'array',
        maxItems: MAX_PEERS_PER_MESSAGE,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'addr', 'name'],
          properties: { id: ID_SCHEMA, addr: ADDRESS_SCHEMA, name: NAME_SCHEMA },
        },
      },
    },
  },
  bye: { type: 'object', additionalProperties: false, required: ['sig'], properties: { sig: SIG } },
};

/**
 * Bytes the hello signature covers: everything that identifies the sender and its claims. A hello
 * admits its sender only when its `re` is a fresh nonce the receiver sent to the advertised address
 * (membership.ts), so a captured hello replayed from elsewhere admits nobody.
 */
export function helloSigningBytes(from: string, b: Omit<HelloBody, 'sig'>): Buffer {
  return Buffer.from(
    JSON.stringify([
      'peerlab-hello', from, b.name, b.addr, b.version, b.params.initialBalance, b.params.scale,
      b.nonce, b.re ?? '', b.reply, ...(b.join ? ['join'] : []),
    ]),
  );
}

/** Bytes a refusal's signature covers (`from` is the refuser). */
export function refuseSigningBytes(from: string, b: Omit<RefuseBody, 'sig'>): Buffer {
  return Buffer.from(JSON.stringify(['peerlab-refuse', from, b.code, b.reason, b.re ?? '', b.clock ?? -1]));
}

/**
 * Bytes a bye's signature covers: who leaves, whom it tells, and the nonce of the hello with which
 * the recipient last admitted it (its session), so a bye replayed after a re-admission is refused.
 */
export function byeSigningBytes(from: string, to: string, session: string): Buffer {
  return Buffer.from(JSON.stringify(['peerlab-bye', from, to, session]));
}

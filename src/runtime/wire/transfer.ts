import { SAFE_INT_SCHEMA, SHA256_HEX_SCHEMA, UUID_SCHEMA, type MessageFamily } from './schema-types.ts';

/**
 * UDP control messages of file transfer (DESIGN.md §3.6). The bytes themselves go over TCP
 * (wire/file-stream.ts); these only negotiate, refuse, confirm and cancel.
 *
 *   sender                         receiver
 *   file-offer    ───────────────▶            (re-sent on every attempt, same transferId)
 *                 ◀─────────────── file-accept  (TCP port + one-time token)  | file-refuse (reason)
 *   TCP: hello(token) ▶ ◀ offset ▶ bytes… ◀ acks ◀ verdict
 *                 ◀─────────────── file-confirm (stored under its final name)
 *   file-cancel   ◀──────────────▶            (either side gives up)
 */

/** Longest file label, in code points, that travels in an offer (a label only, never a path). */
export const MAX_FILE_LABEL = 255;

/** Why a receiver refuses an offer. */
export const REFUSE_REASONS = ['TOO_LARGE', 'NO_SPACE', 'BANNED', 'BUSY', 'CONFLICT'] as const;
export type RefuseReason = (typeof REFUSE_REASONS)[number];

/** Why a transfer was cancelled by one side. */
export const CANCEL_REASONS = ['GAVE_UP', 'STOPPED', 'IO_ERROR', 'EXPIRED'] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];

export interface FileOfferBody {
  transferId: string;
  /** 1-based; the answer echoes it so a late answer to an earlier offer is ignored. */
  attempt: number;
  /** The sender's label for the file. Display only: it never becomes a path. */
  name: string;
  size: number;
  sha256: string;
}

export interface FileAcceptBody {
  transferId: string;
  attempt: number;
  /** The receiver's TCP listener port (its host is the one the offer was sent to). */
  port: number;
  /** One-time token (32 random bytes, base64url) the sender presents on the TCP connection. */
  token: string;
  /** Bytes the receiver already holds (informational: the TCP handshake is authoritative). */
  offset: number;
}

export interface FileRefuseBody {
  transferId: string;
  attempt: number;
  reason: RefuseReason;
  /** The limit that was hit: max file size, free bytes, or max concurrent transfers. */
  limit?: number;
}

export interface FileConfirmBody {
  transferId: string;
  sha256: string;
  size: number;
}

export interface FileCancelBody {
  transferId: string;
  reason: CancelReason;
}

export interface TransferBodies {
  'file-offer': FileOfferBody;
  'file-accept': FileAcceptBody;
  'file-refuse': FileRefuseBody;
  'file-confirm': FileConfirmBody;
  'file-cancel': FileCancelBody;
}

export type TransferMessageType = keyof TransferBodies;

const ATTEMPT_SCHEMA = { type: 'integer', minimum: 1, maximum: 1000 } as const;
const TOKEN_SCHEMA = { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' } as const;

function body(required: string[], properties: Record<string, unknown>): Record<string, unknown> {
  return { type: 'object', additionalProperties: false, required, properties };
}

export const TRANSFER_MESSAGES: MessageFamily = {
  'file-offer': body(['transferId', 'attempt', 'name', 'size', 'sha256'], {
    transferId: UUID_SCHEMA,
    attempt: ATTEMPT_SCHEMA,
    name: { type: 'string', maxLength: MAX_FILE_LABEL },
    size: SAFE_INT_SCHEMA,
    sha256: SHA256_HEX_SCHEMA,
  }),
  'file-accept': body(['transferId', 'attempt', 'port', 'token', 'offset'], {
    transferId: UUID_SCHEMA,
    attempt: ATTEMPT_SCHEMA,
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    token: TOKEN_SCHEMA,
    offset: SAFE_INT_SCHEMA,
  }),
  'file-refuse': body(['transferId', 'attempt', 'reason'], {
    transferId: UUID_SCHEMA,
    attempt: ATTEMPT_SCHEMA,
    reason: { type: 'string', enum: [...REFUSE_REASONS] },
    limit: SAFE_INT_SCHEMA,
  }),
  'file-confirm': body(['transferId', 'sha256', 'size'], {
    transferId: UUID_SCHEMA,
    sha256: SHA256_HEX_SCHEMA,
    size: SAFE_INT_SCHEMA,
  }),
  'file-cancel': body(['transferId', 'reason'], {
    transferId: UUID_SCHEMA,
    reason: { type: 'string', enum: [...CANCEL_REASONS] },
  }),
};

export const TRANSFER_MESSAGE_TYPES = Object.keys(TRANSFER_MESSAGES) as TransferMessageType[];

export function isTransferMessageType(type: string): type is TransferMessageType {
  return Object.hasOwn(TRANSFER_MESSAGES, type);
}

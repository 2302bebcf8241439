/**
 * One error type for the whole runtime. Expected failures carry a string code that callers
 * (REPL, playbooks, tests) branch on; the message is one human line saying what was wrong.
 */
export type ErrorCode =
  | 'BAD_ADDRESS'
  | 'BAD_ARGUMENT'
  | 'BAD_DURATION'
  | 'BAD_SIZE'
  | 'BAD_AMOUNT'
  | 'BAD_FIELDS'
  | 'UNKNOWN_PEER'
  | 'BANNED_PEER'
  | 'SELF_PEER'
  | 'PEER_TABLE_FULL'
  | 'UNREACHABLE'
  | 'TIMEOUT'
  | 'INCOMPATIBLE'
  | 'INSUFFICIENT_FUNDS'
  | 'NOT_RUNNING'
  | 'ALREADY_RUNNING'
  | 'IO'
  | 'UNSAFE_PERMISSIONS'
  | 'FILE_REFUSED'
  | 'FILE_FAILED'
  | 'STOPPED'
  | 'INTERNAL';

export class PeerlabError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'PeerlabError';
    this.code = code;
    this.details = details;
  }
}

export function isPeerlabError(err: unknown, code?: ErrorCode): err is PeerlabError {
  return err instanceof PeerlabError && (code === undefined || err.code === code);
}

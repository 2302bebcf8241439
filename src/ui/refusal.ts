/**
 * Refusals of a request (bad shape, unknown method, an argument off its schema, a file too big)
 * are answered with a 4xx status; a node's own answer to a valid call, even an error such as
 * INSUFFICIENT_FUNDS, is a 200 with `ok: false`, as the control socket answers it.
 */
import { PeerlabError, type ErrorCode } from '../runtime/errors.ts';

const statuses = new WeakMap<Error, number>();

/** A coded error that refuses the request with `status` (default 400). */
export function refuse(message: string, code: ErrorCode = 'BAD_ARGUMENT', status = 400): PeerlabError {
  const err = new PeerlabError(code, message);
  statuses.set(err, status);
  return err;
}

/** The HTTP status for an error met while answering a request. */
export function statusOf(err: unknown): number {
  return err instanceof Error ? (statuses.get(err) ?? 200) : 200;
}

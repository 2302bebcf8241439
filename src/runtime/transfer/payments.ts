import { basename } from 'node:path';
import type { Identity } from '../identity.ts';
import type { DurableLedger, SendResult } from '../ledger/durable-ledger.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { InboxEntry } from './inbox.ts';
import type { ReceivedFile } from './received-files.ts';
import type { TransferService } from './service.ts';
import type { PeerRef, SendResult as FileSendResult } from './types.ts';

/**
 * Files joined with the transactions that pay for them (`node.sendWithFile`): a transaction's
 * file reference (sha256, name, size) names the file its sender sent before it.
 */

/** `sender:sha256` -> id of the first transaction to `self` that pays for that file. */
export function paymentsForFiles(ledger: Ledger, self: string): Map<string, string> {
  const paid = new Map<string, string>();
  for (const { txn } of ledger.transactions()) {
    const key = txn.file && txn.to === self ? `${txn.from}:${txn.file.sha256}` : undefined;
    if (key && !paid.has(key)) paid.set(key, txn.id);
  }
  return paid;
}

export interface Labels {
  label(account: string): string;
}

/** Files received this run, each with the transaction that paid for it (or null). */
export function receivedWithPayments(files: readonly ReceivedFile[], ledger: Ledger, self: string, names: Labels): Array<Record<string, unknown>> {
  if (files.length === 0) return [];
  const paid = paymentsForFiles(ledger, self);
  return files.map((f) => ({
    name: f.name, sha256: f.sha256, size: f.size, from: names.label(f.fromId), file: f.file,
    transaction: paid.get(`${f.fromId}:${f.sha256}`) ?? null,
  }));
}

/** The inbox with each sender's name and, where one exists, the paying transaction. */
export function inboxWithPayments(
  entries: readonly InboxEntry[], ledger: Ledger, self: string, names: Labels,
): Array<InboxEntry & { fromName: string; transaction?: string }> {
  const paid = paymentsForFiles(ledger, self);
  return entries.map((e) => {
    const txn = paid.get(`${e.from}:${e.sha256}`);
    return { ...e, fromName: names.label(e.from), ...(txn ? { transaction: txn } : {}) };
  });
}

/**
 * Sends the file, then a transaction that references it (sha256, name, size). The amount and our
 * funds are checked before any byte moves.
 */
export async function sendWithFile(
  o: { transfer: TransferService; ledger: DurableLedger; identity: Identity },
  peer: PeerRef, amount: number | string, path: string, fields?: Record<string, unknown>,
): Promise<{ transaction: SendResult; file: FileSendResult }> {
  o.ledger.ledger.checkSpend(o.identity, amount);
  const digest = await o.transfer.hashFile(path);
  const file = await o.transfer.sendFile(peer, path);
  const name = basename(path).slice(0, 255) || 'file';
  const { result: transaction } = await o.ledger.send(peer.id, amount, { ...(fields ? { fields } : {}), file: { sha256: digest.sha256, name, size: digest.size } });
  return { transaction, file };
}

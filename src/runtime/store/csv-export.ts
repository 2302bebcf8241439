import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { ioError } from './group-commit-log.ts';

/** Custom field values are JSON scalars (DESIGN.md §3.4). */
export type CsvFieldValue = string | number | boolean | null;

/** One exported transaction, in display order (its `index` is the 0-based display index). */
export interface CsvTransactionRow {
  index: number;
  id: string;
  sender: string;
  receiver: string;
  /** Exact decimal text at the network's scale, e.g. "25.50". */
  amount: string;
  lamport: number;
  /** Wall time, ms since the epoch; written as ISO 8601 UTC. */
  timestamp: number;
  /** Custom fields; {} when none. */
  fields: Readonly<Record<string, CsvFieldValue>>;
  /** The attached file, if any. */
  file: { sha256: string; name: string; size: number } | null;
  /** Who sent and who received it, as the exporting node names them (a peer's name, else a short id). */
  senderName?: string;
  receiverName?: string;
  /** Its verdict on the exporting node: a void transaction moved no money. */
  status?: 'valid' | 'void';
  /** Why it is void (FORK, INSUFFICIENT_FUNDS, ...); null when valid. */
  reason?: string | null;
}

/**
 * The columns of DESIGN.md §3.4, then the ones added after them (issue 13 item 7), so a reader of
 * the first nine keeps working: the sender's and receiver's names, the transaction's status
 * (`valid` or `void`) and why it is void. Custom fields go into ONE column, `fields`, as a JSON
 * object (empty cell when there are none), and `file` likewise (`{"name","size","sha256"}`). Why
 * not one column per custom key: keys differ from row to row, so the header would depend on the
 * data, a key could collide with a fixed column, and "25" vs 25 or true vs "true" would be lost;
 * the JSON cell reads back exactly, keeps the header fixed, and stays readable in a spreadsheet.
 */
export const CSV_COLUMNS = [
  'index', 'id', 'sender', 'receiver', 'amount', 'lamport', 'timestamp', 'fields', 'file',
  'sender_name', 'receiver_name', 'status', 'reason',
] as const;

/** The columns of exports written before the names and the status were added (readCsvRows reads both). */
export const CSV_COLUMNS_V1 = CSV_COLUMNS.slice(0, 9);

export type CsvColumn = (typeof CSV_COLUMNS)[number];

export interface CsvExportResult {
  /** Absolute path written. */
  path: string;
  /** Data rows written (the header not counted). */
  rows: number;
}

/** The cells of one row, as they appear in the file. */
export function csvCells(row: CsvTransactionRow): Record<CsvColumn, string> {
  const hasFields = Object.keys(row.fields).length > 0;
  return {
    index: String(row.index),
    id: row.id,
    sender: row.sender,
    receiver: row.receiver,
    amount: row.amount,
    lamport: String(row.lamport),
    timestamp: new Date(row.timestamp).toISOString(),
    fields: hasFields ? JSON.stringify(row.fields) : '',
    file: row.file ? JSON.stringify({ name: row.file.name, size: row.file.size, sha256: row.file.sha256 }) : '',
    sender_name: row.senderName ?? '',
    receiver_name: row.receiverName ?? '',
    status: row.status ?? '',
    reason: row.reason ?? '',
  };
}

/**
 * Writes the rows as CSV (RFC 4180, `\n` line ends, UTF-8, header first) with csv-stringify,
 * streaming, so a 100k-row ledger never becomes one string. Parent directories are created. The
 * file appears complete or not at all: rows go to a temp file that is renamed at the end.
 */
export async function exportCsv(
  path: string,
  rows: Iterable<CsvTransactionRow> | AsyncIterable<CsvTransactionRow>,
): Promise<CsvExportResult> {
  const target = resolve(path);
  const tmp = `${target}.tmp-${process.pid}`;
  let count = 0;
  async function* cells(): AsyncGenerator<Record<CsvColumn, string>> {
    for await (const row of rows) {
      count++;
      yield csvCells(row);
    }
  }
  try {
    await mkdir(dirname(target), { recursive: true });
    await pipeline(
      Readable.from(cells()),
      stringify({ header: true, columns: CSV_COLUMNS.map((key) => ({ key })), record_delimiter: 'unix' }),
      createWriteStream(tmp),
    );
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw ioError(`cannot export CSV to ${target}`, err);
  }
  return { path: target, rows: count };
}

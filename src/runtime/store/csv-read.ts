import { PeerlabError } from '../errors.ts';
import { CSV_COLUMNS, CSV_COLUMNS_V1, type CsvFieldValue, type CsvTransactionRow } from './csv-export.ts';

/**
 * Reads back what exportCsv wrote: tests use it to show the CSV parses back to the same rows, and a
 * playbook check can use it on an exported file. A small RFC 4180 parser: quoted cells may hold
 * commas, doubled quotes and line breaks; CRLF and LF line ends; a leading BOM is ignored.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let atCellStart = true;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        cell += ch;
      }
      i++;
      continue;
    }
    if (ch === '"' && atCellStart) {
      quoted = true;
      atCellStart = false;
      i++;
    } else if (ch === ',') {
      record.push(cell);
      cell = '';
      atCellStart = true;
      i++;
    } else if (ch === '\n' || ch === '\r') {
      record.push(cell);
      records.push(record);
      record = [];
      cell = '';
      atCellStart = true;
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      cell += ch;
      atCellStart = false;
      i++;
    }
  }
  if (quoted) throw new PeerlabError('BAD_ARGUMENT', 'CSV ends inside a quoted cell');
  if (!atCellStart || cell !== '' || record.length > 0) {
    record.push(cell);
    records.push(record);
  }
  return records;
}

/**
 * Parses an exported ledger CSV back into rows; throws BAD_ARGUMENT naming the first bad cell.
 * Reads the current columns and those of older exports (the first nine: no names, no status).
 */
export function readCsvRows(text: string): CsvTransactionRow[] {
  const [header, ...body] = parseCsv(text);
  const columns = [CSV_COLUMNS, CSV_COLUMNS_V1].find((c) => header?.join(',') === c.join(','));
  if (!columns) throw new PeerlabError('BAD_ARGUMENT', `CSV header must be ${CSV_COLUMNS.join(',')}`);
  return body.map((cells, n) => {
    const line = n + 2;
    if (cells.length !== columns.length) {
      throw new PeerlabError('BAD_ARGUMENT', `CSV row ${line}: ${cells.length} cells, expected ${columns.length}`);
    }
    const [index, id, sender, receiver, amount, lamport, timestamp, fields, file, senderName, receiverName, status, reason] = cells as [
      string, string, string, string, string, string, string, string, string, string?, string?, string?, string?,
    ];
    const time = Date.parse(timestamp);
    if (!Number.isFinite(time)) throw new PeerlabError('BAD_ARGUMENT', `CSV row ${line}: bad timestamp ${timestamp}`);
    const row: CsvTransactionRow = {
      index: integer(index, 'index', line),
      id,
      sender,
      receiver,
      amount,
      lamport: integer(lamport, 'lamport', line),
      timestamp: time,
      fields: fields === '' ? {} : (json(fields, 'fields', line) as Record<string, CsvFieldValue>),
      file: file === '' ? null : (json(file, 'file', line) as CsvTransactionRow['file']),
    };
    if (columns === CSV_COLUMNS_V1) return row;
    if (status !== 'valid' && status !== 'void') throw new PeerlabError('BAD_ARGUMENT', `CSV row ${line}: status ${JSON.stringify(status)} is not valid or void`);
    return { ...row, senderName: senderName!, receiverName: receiverName!, status, reason: reason === '' ? null : reason! };
  });
}

function integer(text: string, column: string, line: number): number {
  const v = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(v)) {
    throw new PeerlabError('BAD_ARGUMENT', `CSV row ${line}: ${column} ${JSON.stringify(text)} is not an integer`);
  }
  return v;
}

function json(text: string, column: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new PeerlabError('BAD_ARGUMENT', `CSV row ${line}: ${column} is not JSON`);
  }
}

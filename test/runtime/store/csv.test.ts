import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, exportCsv, type CsvTransactionRow } from '../../../src/runtime/store/csv-export.ts';
import { parseCsv, readCsvRows } from '../../../src/runtime/store/csv-read.ts';
import { useTempDir } from './helpers.ts';

let dir: string;
useTempDir((d) => (dir = d));

const SENDER = 'q0v5hG7w2Cq1-9x_ZxY3k8fG1pQ2r3S4t5U6v7W8x9y';
const RECEIVER = '-Abcdefghijklmnopqrstuvwxyz0123456789_ABCDE';

function row(index: number, fields: CsvTransactionRow['fields'] = {}, file: CsvTransactionRow['file'] = null): CsvTransactionRow {
  return {
    index,
    id: `${index}`.padStart(64, 'a'),
    sender: SENDER,
    receiver: RECEIVER,
    amount: index % 2 ? '25.50' : '1000.00',
    lamport: 1000 + index,
    timestamp: 1_700_000_000_000 + index * 1234,
    fields,
    file,
    senderName: index === 4 ? 'ålice, "the first"' : 'alice',
    receiverName: index === 3 ? 'q0v5hG7w' : 'bob',
    status: index === 2 ? 'void' : 'valid',
    reason: index === 2 ? 'FORK' : null,
  };
}

const awkward: CsvTransactionRow[] = [
  row(0),
  row(1, { Name: 'Connor' }),
  row(2, { note: 'a, b, and "c"', 'key, with comma': 'v' }),
  row(3, { multi: 'line one\nline two\r\nline three', tab: '\t' }),
  row(4, { greeting: 'héllo wörld ✓ 🎉 日本語 عربى', 'ключ': 'значение' }),
  row(5, { n: 42, f: 1.5, t: true, z: null, s: '42', e: '' }),
  row(6, { quote: '"', quotes: '""', q: '"quoted"' }, { sha256: 'f'.repeat(64), name: 'my "file", v2\n.txt', size: 12 }),
  row(7, {}, { sha256: '0'.repeat(64), name: 'résumé 📄.pdf', size: 0 }),
];

describe('exportCsv', () => {
  it('writes the DESIGN columns and parses back to the same rows', async () => {
    const out = join(dir, 'nested', 'deeper', 'ledger.csv');
    const result = await exportCsv(out, awkward);
    expect(result).toEqual({ path: out, rows: awkward.length });
    const text = await readFile(out, 'utf8');
    expect(text.split('\n')[0]).toBe(CSV_COLUMNS.join(','));
    expect(text.endsWith('\n')).toBe(true);
    expect(readCsvRows(text)).toEqual(awkward);
  });

  it('cells read well: ISO timestamps, empty cells for no fields or file, JSON objects otherwise', async () => {
    const out = join(dir, 'a.csv');
    await exportCsv(out, awkward);
    const [header, ...cells] = parseCsv(await readFile(out, 'utf8'));
    expect(header).toEqual([...CSV_COLUMNS]);
    expect(cells[0]).toEqual(['0', awkward[0]!.id, SENDER, RECEIVER, '1000.00', '1000', '2023-11-14T22:13:20.000Z', '', '', 'alice', 'bob', 'valid', '']);
    // The columns added after the first nine: names, status and why a transaction is void.
    expect(header!.slice(9)).toEqual(['sender_name', 'receiver_name', 'status', 'reason']);
    expect(cells[2]!.slice(9)).toEqual(['alice', 'bob', 'void', 'FORK']);
    expect(cells[4]![9]).toBe('ålice, "the first"');
    expect(cells[1]![7]).toBe('{"Name":"Connor"}');
    expect(cells[4]![7]).toContain('🎉'); // unicode kept as is, not \u-escaped
    expect(JSON.parse(cells[6]![8]!)).toEqual({ name: 'my "file", v2\n.txt', size: 12, sha256: 'f'.repeat(64) });
  });

  it('accepts an async iterable and streams many rows', async () => {
    async function* gen(): AsyncGenerator<CsvTransactionRow> {
      for (let i = 0; i < 5000; i++) yield row(i, i % 3 ? { i } : {});
    }
    const out = join(dir, 'many.csv');
    expect((await exportCsv(out, gen())).rows).toBe(5000);
    const back = readCsvRows(await readFile(out, 'utf8'));
    expect(back).toHaveLength(5000);
    expect(back[4999]).toEqual(row(4999, { i: 4999 }));
  });

  it('writes only the header for an empty ledger', async () => {
    const out = join(dir, 'empty.csv');
    expect(await exportCsv(out, [])).toMatchObject({ rows: 0 });
    expect(await readFile(out, 'utf8')).toBe(`${CSV_COLUMNS.join(',')}\n`);
    expect(readCsvRows(await readFile(out, 'utf8'))).toEqual([]);
  });

  it('fails with an IO error and leaves no file when the target cannot be written', async () => {
    const out = join(dir, 'is-a-dir');
    await exportCsv(join(out, 'x.csv'), []); // makes the directory
    await expect(exportCsv(out, awkward)).rejects.toMatchObject({ code: 'IO' });
    expect(await readdir(dir)).toEqual(['is-a-dir']); // no temp file left behind
  });
});

describe('parseCsv', () => {
  it('handles quotes, doubled quotes, embedded line breaks, CRLF and a BOM', () => {
    const text = '\ufeffa,b,c\r\n"x, y","say ""hi""","two\nlines"\r\nplain,,"" \n';
    expect(parseCsv(text)).toEqual([
      ['a', 'b', 'c'],
      ['x, y', 'say "hi"', 'two\nlines'],
      ['plain', '', ' '],
    ]);
    expect(parseCsv('a,b')).toEqual([['a', 'b']]);
    expect(() => parseCsv('"open')).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
  });

  it('readCsvRows reads an export written before the name and status columns', () => {
    const old = 'index,id,sender,receiver,amount,lamport,timestamp,fields,file\n0,abc,s,r,1.00,7,2020-01-01T00:00:00.000Z,,\n';
    expect(readCsvRows(old)).toEqual([
      { index: 0, id: 'abc', sender: 's', receiver: 'r', amount: '1.00', lamport: 7, timestamp: Date.parse('2020-01-01T00:00:00.000Z'), fields: {}, file: null },
    ]);
  });

  it('readCsvRows names a bad header or cell', () => {
    expect(() => readCsvRows('x,y\n')).toThrow(/header/);
    const header = CSV_COLUMNS.join(',');
    expect(() => readCsvRows(`${header}\n0,a,b,c,1.00,xx,2020-01-01T00:00:00Z,,,a,b,valid,\n`)).toThrow(/row 2: lamport/);
    expect(() => readCsvRows(`${header}\n0,a,b,c,1.00,1,2020-01-01T00:00:00Z,,,a,b,fine,\n`)).toThrow(/row 2: status/);
    expect(() => readCsvRows(`${header}\n0,a,b\n`)).toThrow(/row 2: 3 cells/);
  });
});

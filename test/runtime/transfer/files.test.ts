import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPeerlabError } from '../../../src/runtime/errors.ts';
import type { Node } from '../../../src/runtime/node.ts';
import { startNodes, stopAll, until } from '../../helpers.ts';

let dir = '';
let nodes: Node[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlab-files-'));
  nodes = await startNodes(2, { maxFileSize: '1MiB' });
  await nodes[1]!.join(nodes[0]!.address);
});
afterAll(async () => {
  await stopAll(nodes);
  await rm(dir, { recursive: true, force: true });
});

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('files between two real nodes (UDP offer, TCP bytes)', () => {
  it('files of 0 B, 1 B, 4 KiB and 1 MiB arrive intact in the inbox', async () => {
    const [a, b] = nodes as [Node, Node];
    for (const size of [0, 1, 4096, 1024 * 1024]) {
      const data = randomBytes(size);
      const path = join(dir, `f${size}.bin`);
      await writeFile(path, data);
      const r = await a.sendFile(b.name, path);
      expect(r.sha256).toBe(sha(data));
      const entry = (await b.inbox()).find((e) => e.sha256 === sha(data));
      expect(entry, `file of ${size} B in b's inbox`).toBeDefined();
      expect(sha(await readFile(entry!.path))).toBe(sha(data));
      expect(basename(entry!.path)).toBe(entry!.file);
      expect(entry!.file).toMatch(/^received_file_[0-9a-f]{16}\.dat$/);
    }
  });

  it('an offer over the receiver limit is refused, with the reason on both sides', async () => {
    const [a, b] = nodes as [Node, Node];
    const path = join(dir, 'big.bin');
    await writeFile(path, Buffer.alloc(1024 * 1024 + 1));
    const err = await a.sendFile(b.name, path).catch((e: unknown) => e);
    expect(isPeerlabError(err, 'FILE_REFUSED')).toBe(true);
    expect((err as Error).message).toMatch(/TOO_LARGE|too large/i);
    await until(() => b.logs('file-refused').length > 0, 'b logs its refusal');
    expect(b.logs('file-refused')[0]!.data).toMatchObject({ side: 'local' });
    expect(a.logs('file-refused')[0]!.data).toMatchObject({ side: 'remote' });
  });

  it('sendWithFile pays for a file and the receiver links the two in details()', async () => {
    const [a, b] = nodes as [Node, Node];
    const path = join(dir, 'invoice.txt');
    await writeFile(path, 'invoice #42\n');
    const r = await a.sendWithFile(b.name, '12.34', path, { Memo: 'invoice' });
    expect(r.transaction.amount).toBe('12.34');
    await until(() => b.transactions().some((t) => t.id === r.transaction.id), 'b holds the transaction');
    const txn = b.transactions().find((t) => t.id === r.transaction.id)!;
    expect(txn.file).toEqual({ sha256: r.file.sha256, name: 'invoice.txt', size: 12 });
    expect(txn.fields).toEqual({ Memo: 'invoice' });
    const files = b.details().files as Array<{ sha256: string; transaction: string | null }>;
    expect(files.find((f) => f.sha256 === r.file.sha256)?.transaction).toBe(r.transaction.id);
  });

  it('a missing file or an unknown peer is a clear error', async () => {
    const [a] = nodes as [Node, Node];
    await expect(a.sendFile('b', join(dir, 'nope.txt'))).rejects.toThrow(/nope\.txt/);
    await expect(a.sendFile('zed', join(dir, 'f1.bin'))).rejects.toThrow(/no peer "zed"/);
  });
});

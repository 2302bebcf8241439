import { readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displayLabel, storedFileName } from '../../../src/runtime/transfer/names.ts';
import { ControlChannel, startNode, tempRoot, type TestNode } from './helpers.ts';

async function listTree(dir: string, root = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push(relative(root, p));
    if (e.isDirectory()) out.push(...(await listTree(p, root)));
  }
  return out.sort();
}

describe('the sender\'s file name is a label only', () => {
  let root: { dir: string; cleanup: () => Promise<void> };
  let alice: TestNode;
  let bob: TestNode;

  beforeAll(async () => {
    root = await tempRoot();
    const channel = new ControlChannel();
    alice = await startNode(channel, root.dir, 'alice');
    // Bob's inbox sits three levels down, so `../../x` would land inside the temp root if it were used.
    bob = await startNode(channel, join(root.dir, 'deep', 'er'), 'bob');
  });

  afterAll(async () => {
    await alice?.service.stop();
    await bob?.service.stop();
    await root?.cleanup();
  });

  const long = 'n'.repeat(5000);
  it.each([
    ['../../x', '../../x'],
    ['..%2F..%2Fx', '..%2F..%2Fx'],
    ['C:\\x', 'C:\\x'],
    ['', ''],
    ['5,000 characters', long],
    ['control characters', 'a\nb\u0000c\u202e.txt'],
    ['/etc/passwd', '/etc/passwd'],
  ])('%s is stored safely inside the inbox', async (_what, name) => {
    const src = join(root.dir, `src-${name.length}-${Buffer.from(name).toString('hex').slice(0, 16)}.txt`);
    await writeFile(src, `content for ${JSON.stringify(name)}`);
    const result = await alice.service.sendFile(bob.ref, src, { name });
    const entry = (await bob.service.inbox()).find((e) => e.transferId === result.transferId)!;
    expect(entry.file).toBe(storedFileName(result.sha256));
    expect(entry.path).toBe(join(bob.inboxDir, entry.file));
    expect(entry.name).toBe(displayLabel(name));
    expect([...entry.name].length).toBeLessThanOrEqual(255);
  });

  it('labels are recorded sanitized and truncated, and no file exists anywhere but in the inbox', async () => {
    const names = (await bob.service.inbox()).map((e) => e.name);
    expect(names).toContain('../../x');
    expect(names).toContain('');
    expect(names).toContain('a\ufffdb\ufffdc\ufffd.txt');
    const truncated = names.find((n) => n.startsWith('nnn'))!;
    expect([...truncated]).toHaveLength(255);
    expect(truncated.endsWith('…')).toBe(true);

    // Every file under the temp root is a source file, alice's empty inbox, or bob's inbox content.
    const bobInbox = relative(root.dir, bob.inboxDir);
    const aliceInbox = relative(root.dir, alice.inboxDir);
    const allowed = (p: string): boolean =>
      /^src-[^/]*\.txt$/.test(p) ||
      [join('deep'), join('deep', 'er'), join('deep', 'er', 'bob'), join('alice')].includes(p) ||
      [aliceInbox, join(aliceInbox, 'tmp'), bobInbox, join(bobInbox, 'tmp'), join(bobInbox, 'index.jsonl')].includes(p) ||
      new RegExp(`^${bobInbox}/received_file_[0-9a-f]{16}\\.dat$`).test(p);
    const tree = await listTree(root.dir);
    expect(tree.filter((p) => p.includes('received_file_'))).toHaveLength(7);
    expect(tree.filter((p) => !allowed(p))).toEqual([]);
    expect((await readdir(bob.inboxDir)).filter((f) => f.startsWith('received_file_'))).toHaveLength(7);
  });
});

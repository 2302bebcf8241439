/**
 * Issue 14 item 3, files: send a file picked in the browser (an upload, kept in the view's private
 * temp folder), a file named by a path inside the folder the view was started in (one outside is
 * refused in one line), and money with a file attached; checked in the receiver's inbox and ledger.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderRule } from '../../src/ui/folder-rule.ts';
import { act, closeBrowser, openPage, pageShows, startRig, until, type Rig } from './harness.ts';

let rig: Rig;
let page: Page;
let dir = '';
let work = '';
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlab-ui-files-'));
  work = join(dir, 'work');
  await writeFile(join(dir, 'picked.txt'), 'picked in the browser\n');
  await mkdir(work);
  await writeFile(join(work, 'notes.txt'), 'notes on the working folder\n');
  await writeFile(join(dir, 'outside.txt'), 'not for the page\n');
  rig = await startRig(2, { view: { folders: new FolderRule(work, [{ dir: work, label: 'the working folder' }]) } });
  ({ page } = await openPage(rig.view, ['alice', 'bob']));
}, 60_000);

afterAll(async () => {
  await closeBrowser();
  await rig?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('file actions on the page', () => {
  it('sendFile with a file picked in the browser: bob stores it, checked', async () => {
    const line = await act(page, 'sendFile', { from: 'alice', to: 'bob', path: { file: join(dir, 'picked.txt') } });
    expect(line).toMatch(/^✓ alice\.sendFile: /);
    const inbox = await rig.byName.bob!.inbox();
    expect(inbox.map((f) => [f.name, f.sha256])).toContainEqual(['picked.txt', sha('picked in the browser\n')]);
    await page.locator('button[data-tab="files"]').click();
    await page.locator('#viewer').selectOption('bob');
    await pageShows(page, '#files tbody td', /^picked\.txt$/);
  });

  it('sendFile with a path inside the working folder; one outside it is refused in one line', async () => {
    const line = await act(page, 'sendFile', { from: 'alice', to: 'bob', path: 'notes.txt' });
    expect(line).toMatch(/^✓ alice\.sendFile: /);
    expect((await rig.byName.bob!.inbox()).map((f) => f.sha256)).toContain(sha('notes on the working folder\n'));
    const refused = await act(page, 'sendFile', { from: 'alice', to: 'bob', path: '../outside.txt' });
    expect(refused).toBe(`✖ sendFile: path: ../outside.txt (${join(dir, 'outside.txt')}) is outside the working folder (${work}); upload the file instead (BAD_ARGUMENT)`);
    expect((await rig.byName.bob!.inbox()).map((f) => f.sha256)).not.toContain(sha('not for the page\n'));
  });

  it('sendWithFile: a payment that references the file it brings', async () => {
    const line = await act(page, 'sendWithFile', { from: 'bob', to: 'alice', amount: '3.5', path: { file: join(dir, 'picked.txt') }, fields: { fields: { Memo: 'invoice' } } });
    expect(line).toMatch(/^✓ bob\.sendWithFile: /);
    await until(() => rig.byName.alice!.transactions().some((t) => t.file !== undefined), 'alice holds the payment');
    const t = rig.byName.alice!.transactions().find((x) => x.file)!;
    expect(t).toMatchObject({ from: 'bob', to: 'alice', amount: '3.50', fields: { Memo: 'invoice' }, file: { name: 'picked.txt', sha256: sha('picked in the browser\n') } });
    expect((await rig.byName.alice!.inbox()).map((f) => f.sha256)).toContain(t.file!.sha256);
    await page.locator('button[data-tab="txns"]').click();
    await page.locator('#viewer').selectOption('alice');
    await pageShows(page, '#txns tbody td', /picked\.txt .*✓ received/);
  });
});

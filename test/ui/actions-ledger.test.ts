/**
 * Issue 14 item 3, ledger: send, send with custom fields, sync, request a balance, export CSV (a
 * download, never a path on the server) and clear-and-rebuild (after a confirmation), pressed on
 * the live page in Chromium, with their effect checked on the nodes themselves.
 */
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { act, pageShows, until, useLivePage, type Rig } from './harness.ts';

/** The page's own global, inside page.evaluate callbacks (tests are typechecked without the DOM library). */
declare const document: any;

let rig: Rig;
let page: Page;

useLivePage(3, (r, p) => {
  rig = r;
  page = p;
});

describe('ledger actions on the page', () => {
  it('send: alice pays bob 17.25; every node holds it and the page shows the balances', async () => {
    const line = await act(page, 'send', { from: 'alice', to: 'bob', amount: '17.25' });
    expect(line).toMatch(/^✓ alice\.send: /);
    await until(() => rig.nodes.every((n) => n.transactions().some((t) => t.amount === '17.25' && t.from === 'alice' && t.to === 'bob')), 'every node holds the payment');
    expect(rig.byName.bob!.balance().balance).toBe('1017.25');
    await pageShows(page, '#nodes tr[data-node="bob"] td.balance', /^1017\.25$/);
    await pageShows(page, '#sum', /^3000\.00$/);
  });

  it('sendCustom: custom fields travel with the transaction', async () => {
    const line = await act(page, 'sendCustom', { from: 'bob', to: 'carol', amount: '4', fields: { fields: { Name: 'Connor', Course: 'P2P' } } });
    expect(line).toMatch(/^✓ bob\.sendCustom: /);
    await until(() => rig.byName.carol!.transactions().some((t) => t.fields?.Name === 'Connor'), 'carol holds the custom transaction');
    expect(rig.byName.carol!.transactions().find((t) => t.fields?.Name === 'Connor')).toMatchObject({ amount: '4.00', fields: { Name: 'Connor', Course: 'P2P' } });
    await page.locator('#viewer').selectOption('carol');
    await pageShows(page, '#txns tbody td', /Name=Connor, Course=P2P/);
  });

  it('a refused payment is one line, as in the REPL', async () => {
    const line = await act(page, 'send', { from: 'carol', to: 'alice', amount: '999999' });
    expect(line).toMatch(/^✖ .*\(INSUFFICIENT_FUNDS\)$/);
  });

  it('sync: a node that missed a payment fetches it when asked', async () => {
    const carol = rig.byName.carol!;
    carol.faults.set({ dropIn: 1 });
    await rig.byName.alice!.send('bob', '1.5');
    await until(() => rig.byName.bob!.transactions().some((t) => t.amount === '1.50'), 'bob holds the new payment');
    expect(carol.transactions().some((t) => t.amount === '1.50')).toBe(false);
    carol.faults.reset();
    const line = await act(page, 'sync', { node: 'carol' });
    expect(line).toMatch(/^✓ carol\.sync: /);
    await until(() => carol.transactions().some((t) => t.amount === '1.50'), 'carol has caught up');
    expect(carol.digest()).toBe(rig.byName.alice!.digest());
  });

  it("requestBalance: asks a peer for the balance it shows", async () => {
    const line = await act(page, 'requestBalance', { from: 'carol', to: 'bob' });
    expect(line).toContain(`balance ${rig.byName.bob!.balance().balance}`);
  });

  it('exportCsv: the ledger comes back as a download, named as asked', async () => {
    const downloading = page.waitForEvent('download');
    const line = await act(page, 'exportCsv', { node: 'alice', path: 'alice-ledger.csv' });
    const file = await downloading;
    expect(file.suggestedFilename()).toBe('alice-ledger.csv');
    const csv = await readFile((await file.path())!, 'utf8');
    const rows = csv.trim().split('\n');
    expect(rows[0]).toMatch(/^index,id,sender,receiver,amount,lamport,timestamp/);
    expect(rows).toHaveLength(rig.byName.alice!.transactions().length + 1);
    expect(csv).toContain('17.25');
    expect(line).toMatch(/^✓ alice\.exportCsv: downloaded alice-ledger\.csv \(\d+ bytes\)$/);
  });

  it('clearAndRebuild asks first: "Cancel" leaves the ledger, "Yes" rebuilds it from the peers', async () => {
    const bob = rig.byName.bob!;
    const before = bob.transactions().length;
    // Cancel: nothing happens.
    const form = page.locator('form[data-method="clearAndRebuild"]');
    await form.evaluate((f) => ((f.closest('details') as { open: boolean }).open = true));
    await form.locator('[name="node"]').selectOption('bob');
    await form.locator('button.run').click();
    await page.locator('#confirm-text').waitFor();
    expect(await page.locator('#confirm-text').textContent()).toBe("Delete this node's ledger and rebuild it from its peers? (bob)");
    await page.locator('#confirm-no').click();
    expect(bob.logs('ledger-cleared')).toHaveLength(0);
    // Yes: cleared, then fetched again.
    const line = await act(page, 'clearAndRebuild', { node: 'bob' }, { confirm: true });
    expect(line).toMatch(/^✓ bob\.clearAndRebuild: /);
    expect(bob.logs('ledger-cleared')).toHaveLength(1);
    await until(() => bob.transactions().length === before, 'bob has his ledger back');
    expect(bob.digest()).toBe(rig.byName.alice!.digest());
  });
});

/**
 * Issue 14: the live view in a real browser shows the network as it runs. Three nodes of this
 * process, the view on 127.0.0.1, its page in headless Chromium: every node appears with its
 * balance and the sum, the peer graph and the lanes are drawn, events arrive as they happen, the
 * page offers exactly the control socket's methods as forms, and it fetches nothing from anywhere
 * else. With --ui-readonly it offers no action at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_METHODS } from '../../src/runtime/control/protocol.ts';
import { act, closeBrowser, openPage, pageShows, startRig, until, type OpenedPage, type Rig } from './harness.ts';

/** The page's own global, inside page.evaluate callbacks (tests are typechecked without the DOM library). */
declare const document: any;

let rig: Rig;
let opened: OpenedPage;

beforeAll(async () => {
  rig = await startRig(3);
  opened = await openPage(rig.view, ['alice', 'bob', 'carol']);
}, 60_000);

afterAll(async () => {
  await closeBrowser();
  await rig?.stop();
});

describe('the live page', () => {
  it('shows every node with its balance, the sum, and the peer graph', async () => {
    const { page } = opened;
    await pageShows(page, '#sum', /^3000\.00$/);
    for (const name of ['alice', 'bob', 'carol']) {
      expect(await page.locator(`#nodes tr[data-node="${name}"] td.balance`).textContent()).toBe('1000.00');
      await page.locator(`#graph g[data-node="${name}"]`).waitFor();
    }
    await page.waitForFunction(() => document.querySelectorAll('#graph line.edge.alive').length === 3);
    expect(await page.locator('#total').textContent()).toBe('total 3000.00');
  });

  it('moves balances and draws the messages as they happen', async () => {
    const { page } = opened;
    await rig.byName.alice!.send('bob', '12.5');
    await pageShows(page, '#nodes tr[data-node="bob"] td.balance', /^1012\.50$/);
    await pageShows(page, '#nodes tr[data-node="alice"] td.balance', /^987\.50$/);
    await pageShows(page, '#sum', /^3000\.00$/);
    // The txn message's colour toggle appears once one is drawn, and the canvas holds its strokes.
    await page.locator('#types input[data-type="txn"]').waitFor();
    const painted = await page.evaluate(() => {
      const c = document.getElementById('lanes');
      const d: Uint8ClampedArray = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3]! > 0) n++;
      return n;
    });
    expect(painted).toBeGreaterThan(500);
  });

  it('lists events in the log as they happen, filtered by kind and node', async () => {
    const { page } = opened;
    await page.locator('button[data-tab="log"]').click();
    rig.byName.carol!.log('note', 'hello from the test');
    await pageShows(page, '#log li[data-node="carol"]', /\[note\] hello from the test/);
    await page.locator('#log-types input[data-kind="log"]').uncheck();
    await page.waitForFunction(() => !Array.from(document.querySelectorAll('#log li') as ArrayLike<{ textContent: string | null }>).some((l) => /hello from the test/.test(l.textContent ?? '')));
    await page.locator('#log-types input[data-kind="log"]').check();
    await page.locator('#log-node').selectOption('bob');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#log li') as ArrayLike<{ getAttribute(n: string): string | null }>).every((l) => l.getAttribute('data-node') === 'bob'));
    await page.locator('#log-node').selectOption('');
    // Pings are silent unless asked for.
    expect(await page.locator('#log li[data-type="ping"]').count()).toBe(0);
    await page.locator('#show-pings').check();
    await rig.byName.alice!.ping('bob');
    await page.locator('#log li[data-type="ping"]').first().waitFor();
    await page.locator('#show-pings').uncheck();
    await page.locator('button[data-tab="txns"]').click();
  });

  it('shows the transactions in index order, as the chosen node holds them', async () => {
    const { page } = opened;
    await rig.byName.bob!.sendCustom('carol', 3, { Memo: 'books' });
    await until(() => rig.byName.carol!.transactions().length === 2, 'carol holds both transactions');
    await page.locator('#viewer').selectOption('carol');
    await page.waitForFunction(() => document.querySelectorAll('#txns tbody tr').length === 2);
    const rows = await page.locator('#txns tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from((tr as unknown as { children: ArrayLike<{ textContent: string | null }> }).children).map((td) => td.textContent)));
    const want = rig.byName.carol!.transactions();
    expect(rows.map((r) => r[0])).toEqual(want.map((t) => String(t.index)));
    expect(rows.map((r) => r[3])).toEqual(want.map((t) => t.amount));
    expect(rows.find((r) => r[3] === '3.00')![6]).toBe('Memo=books');
    expect(rows.every((r) => r[4] === 'valid')).toBe(true);
  });

  it('offers exactly the methods the control socket allows, each as a form', async () => {
    const offered = await opened.page.locator('form.call').evaluateAll((fs) => fs.map((f) => f.getAttribute('data-method')));
    expect([...offered].sort()).toEqual([...CONTROL_METHODS].sort());
    // The send form has the fields the acceptance names.
    for (const name of ['from', 'to', 'amount']) await opened.page.locator(`form[data-method="send"] [name="${name}"]`).waitFor();
  });

  it('answers a bad argument with one line, as the REPL does', async () => {
    const line = await act(opened.page, 'send', { from: 'alice', to: 'bob', amount: '1.234' });
    expect(line).toMatch(/^✖ .*more than 2 decimal places.*\(BAD_AMOUNT\)$/);
    expect(line.split('\n')).toHaveLength(1);
    const missing = await act(opened.page, 'send', { from: 'alice', to: 'bob', amount: '' });
    expect(missing).toBe('✖ send: amount is required (BAD_ARGUMENT)');
  });

  it('fetches nothing from anywhere but its own server, and throws nothing', () => {
    expect(opened.foreign).toEqual([]);
    expect(opened.errors).toEqual([]);
  });
});

describe('--ui-readonly', () => {
  it('offers no actions, and its server refuses a POSTed action with a valid token (403)', async () => {
    const ro = await startRig(2, { view: { readonly: true } });
    try {
      const { page, errors } = await openPage(ro.view, ['alice', 'bob']);
      await page.locator('#mode').waitFor({ state: 'visible' });
      expect(await page.locator('form.call').count()).toBe(0);
      expect(await page.locator('#actions').isVisible()).toBe(false);
      // A click on a link cuts nothing.
      await page.locator('#graph line.hit').first().click({ force: true });
      const status = await page.evaluate(async (token) => {
        const res = await fetch('/api/call', {
          method: 'POST',
          headers: { 'X-Peerlab-Token': token, 'Content-Type': 'application/json' },
          body: JSON.stringify({ node: 'alice', method: 'send', args: { to: 'bob', amount: '5' } }),
        });
        return res.status;
      }, ro.view.token);
      expect(status).toBe(403);
      expect(ro.byName.alice!.transactions()).toHaveLength(0);
      expect(ro.byName.alice!.faults.get().partitioned).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await ro.stop();
    }
  });
});

/**
 * Issue 14 acceptance, end to end with the real CLI: `peerlab repl --nodes 3 --memory --ui` in a
 * real terminal (a pty read through a terminal emulator) prints the view's address; in Chromium
 * the page shows alice, bob and carol; its send form (fields from, to, amount) pays 17.25 from
 * alice to bob; the page shows it; `nodes.bob.transactions()` typed in the REPL has it; an event
 * made in the REPL appears on the page; and leaving the REPL closes the view.
 */
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../cli/spawn.ts';
import { KEYS, Terminal, type Screen } from '../support/terminal.ts';
import { act, closeBrowser, openPage, pageShows } from './harness.ts';

let term: Terminal | undefined;
let dir = '';

afterAll(async () => {
  await closeBrowser();
  await term?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const VIEW = /^view: (http:\/\/127\.0\.0\.1:(\d+)\/\?token=[\w-]+)$/;
const atPrompt = (s: Screen): boolean => s.beforeCursor === 'alice> ';

/** Whether anything still answers on the port. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/' }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

describe('peerlab repl --nodes 3 --memory --ui', () => {
  it('serves a page that sees and drives the REPL\'s nodes', async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerlab-ui-repl-'));
    term = Terminal.spawn(process.execPath, [BIN, 'repl', '--nodes', '3', '--memory', '--ui'], { cwd: dir, env: { NO_COLOR: '1' } });
    const screen = await term.waitForScreen((s) => s.hasLine(VIEW) && atPrompt(s), 'the view address and the prompt', 30_000);
    const [, url, port] = VIEW.exec(screen.find(VIEW)!)!;

    const { page, foreign, errors } = await openPage(url!, ['alice', 'bob', 'carol']);
    for (const name of ['alice', 'bob', 'carol']) expect(await page.locator(`#nodes tr[data-node="${name}"] td:nth-child(2)`).textContent()).toBe('running');

    // The page's send form pays 17.25 from alice to bob.
    const line = await act(page, 'send', { from: 'alice', to: 'bob', amount: '17.25' });
    expect(line).toMatch(/^✓ alice\.send: /);
    await pageShows(page, '#nodes tr[data-node="bob"] td.balance', /^1017\.25$/);
    await page.locator('#viewer').selectOption('bob');
    await pageShows(page, '#txns tbody td.amount', /^17\.25$/);

    // The REPL's bob has it.
    term.write('nodes.bob.transactions()');
    await term.waitForScreen((s) => s.beforeCursor.endsWith('nodes.bob.transactions()'), 'the typed line');
    term.write(KEYS.enter);
    // A row of the table (the event lines above the prompt say txn-accepted, not valid).
    const row = /\balice\b.*\bbob\b.*\b17\.25\b.*\bvalid\b/;
    const table = await term.waitForScreen((s) => s.hasLine(row) && atPrompt(s), "bob's transactions with 17.25", 15_000);
    expect(table.find(row)).not.toMatch(/txn-accepted/);

    // An event made in the REPL appears on the page.
    await page.locator('button[data-tab="log"]').click();
    term.write("node.log('note', 'said in the REPL')");
    await term.waitForScreen((s) => s.beforeCursor.endsWith("'said in the REPL')"), 'the typed log line');
    term.write(KEYS.enter);
    await pageShows(page, '#log li[data-node="alice"]', /\[note\] said in the REPL/);
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);

    // Leaving the REPL stops the nodes and closes the view.
    term.write(KEYS.ctrlD);
    expect(await term.waitForExit(20_000)).toBe(0);
    expect(await answers(Number(port))).toBe(false);
  }, 120_000);
});

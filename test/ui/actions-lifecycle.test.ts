/**
 * Issue 13 items 5 and 6 on the live page: crash a node (after a confirmation), restart it, and
 * make a node double-spend on purpose (after a confirmation), pressed in Chromium and checked on
 * the nodes themselves.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { act, pageShows, until, useLivePage, type Rig } from './harness.ts';

let rig: Rig;
let page: Page;

useLivePage(3, (r, p) => {
  rig = r;
  page = p;
});

describe('lifecycle and misbehaviour on the page', () => {
  it('misbehave.doubleSpend: alice signs two payments with one seq; every node detects the fork and voids both', async () => {
    const line = await act(page, 'misbehave.doubleSpend', { node: 'alice', to: 'bob, carol', amount: '10' }, { confirm: true });
    expect(line).toMatch(/^✓ alice\.misbehave\.doubleSpend/);
    await until(() => rig.nodes.every((n) => n.forks().length === 1 && n.transactions().length === 2), 'every node sees the fork', 10_000);
    for (const n of rig.nodes) expect(n.transactions().map((t) => t.status)).toEqual(['void', 'void']);
  });

  it('crash: carol stops as if killed; restart: she is back on her address, and the page shows both', async () => {
    const carol = rig.byName.carol!;
    const address = carol.address;
    const crashed = await act(page, 'crash', { node: 'carol' }, { confirm: true });
    expect(crashed).toMatch(/^✓ carol\.crash/);
    expect(carol.running).toBe(false);
    await pageShows(page, '#nodes tr[data-node="carol"] td:nth-child(2)', /^stopped$/);
    const restarted = await act(page, 'restart', { node: 'carol' });
    expect(restarted).toMatch(/^✓ carol\.restart/);
    expect(carol.running).toBe(true);
    expect(carol.address).toBe(address);
    await pageShows(page, '#nodes tr[data-node="carol"] td:nth-child(2)', /^running$/);
    await until(() => carol.peers().length === 2, 'carol greets her peers again', 10_000);
  });
});

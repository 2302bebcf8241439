/**
 * Issue 14 item 3, the rest of the window: faults (drop sliders, a partition, heal, reset), the
 * heartbeat, the robot, the log (an entry, clear), stopping a node, and every read-only method the
 * control socket offers, pressed on the live page in Chromium and checked on the nodes.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { API } from '../../src/runtime/api.ts';
import { act, pageShows, until, useLivePage, type Rig } from './harness.ts';

/** The page's own global, inside page.evaluate callbacks (tests are typechecked without the DOM library). */
declare const document: any;

let rig: Rig;
let page: Page;

useLivePage(3, (r, p) => {
  rig = r;
  page = p;
});

describe('fault actions', () => {
  it('faults.set: the drop sliders set what they were moved to, and leave the rest alone', async () => {
    const alice = rig.byName.alice!;
    alice.faults.set({ duplicate: 0.1 });
    const line = await act(page, 'faults.set', { node: 'alice', drop: { slider: 0.3 }, dropIn: { slider: 0.15 }, delay: '20ms' });
    expect(line).toMatch(/^✓ alice\.faults\.set: /);
    expect(alice.faults.get().node).toEqual({ drop: 0.3, dropIn: 0.15, delay: 20, jitter: 0, duplicate: 0.1 });
    // Per link, with the peer named.
    await act(page, 'faults.set', { node: 'alice', drop: { slider: 0.5 }, peer: 'bob' });
    expect(alice.faults.get().links).toEqual({ [rig.byName.bob!.advertised]: { drop: 0.5 } });
    await page.locator('button[data-tab="faults"]').click();
    await pageShows(page, '#faults tr[data-node="alice"] td:nth-child(2)', /^0\.3$/);
    await pageShows(page, '#faults tr[data-node="alice"] td:nth-child(7)', /bob: drop 0\.5/);
  });

  it('faults.reset: every fault back to zero', async () => {
    const line = await act(page, 'faults.reset', { node: 'alice' });
    expect(line).toMatch(/^✓ alice\.faults\.reset/);
    expect(rig.byName.alice!.faults.get()).toEqual({ node: { drop: 0, dropIn: 0, delay: 0, jitter: 0, duplicate: 0 }, links: {}, partitioned: [] });
  });

  it('faults.partition cuts a node off from named peers; faults.heal ends it; the page shows both', async () => {
    const carol = rig.byName.carol!;
    const line = await act(page, 'faults.partition', { node: 'carol', addrs: 'alice, bob' });
    expect(line).toMatch(/^✓ carol\.faults\.partition/);
    expect(carol.faults.get().partitioned.sort()).toEqual([rig.byName.alice!.advertised, rig.byName.bob!.advertised].sort());
    await page.locator('button[data-tab="faults"]').click();
    await pageShows(page, '#faults tr[data-node="carol"] td:nth-child(8)', /^alice, bob$|^bob, alice$/);
    await page.waitForFunction(() => document.querySelectorAll('#graph line.edge.cut').length === 2);
    const healed = await act(page, 'faults.heal', { node: 'carol' });
    expect(healed).toMatch(/^✓ carol\.faults\.heal/);
    expect(carol.faults.get().partitioned).toEqual([]);
    await page.waitForFunction(() => document.querySelectorAll('#graph line.edge.cut').length === 0);
  });
});

describe('heartbeat, robot, log and lifecycle actions', () => {
  it('heartbeat.set: new interval and timeout', async () => {
    const line = await act(page, 'heartbeat.set', { node: 'bob', interval: '400ms', timeout: '6s' });
    expect(line).toBe('✓ bob.heartbeat.set: interval 400, timeout 6000');
    expect([rig.byName.bob!.heartbeat.interval, rig.byName.bob!.heartbeat.timeout]).toEqual([400, 6000]);
    const bad = await act(page, 'heartbeat.set', { node: 'bob', interval: '400' });
    expect(bad).toBe('✖ heartbeat.set: settings.interval must be a duration with its unit, like 200ms or 2s (BAD_ARGUMENT)');
  });

  it('robot.start makes seeded random actions; robot.stop ends them', async () => {
    const line = await act(page, 'robot.start', { node: 'alice', every: '50ms', maxAmount: '2', seed: 7, actions: '["send"]' });
    expect(line).toMatch(/^✓ alice\.robot\.start: running true/);
    expect(rig.byName.alice!.robot.status()).toMatchObject({ running: true, every: 50, seed: 7 });
    await until(() => rig.byName.alice!.robot.status().actions >= 3, 'the robot has acted three times');
    await pageShows(page, '#nodes tr[data-node="alice"] td:nth-child(9)', /^on \(\d+\)$/);
    const stopped = await act(page, 'robot.stop', { node: 'alice' });
    expect(stopped).toMatch(/^✓ alice\.robot\.stop: running false/);
    expect(rig.byName.alice!.robot.status().running).toBe(false);
    await pageShows(page, '#nodes tr[data-node="alice"] td:nth-child(9)', /^off$/);
  });

  it('log adds an entry (shown in the log pane); clearLogs empties the log', async () => {
    const line = await act(page, 'log', { node: 'bob', type: 'note', msg: 'pressed on the page' });
    expect(line).toMatch(/^✓ bob\.log: type log/);
    expect(rig.byName.bob!.logs('log').map((e) => e.data)).toContainEqual({ level: 'note', message: 'pressed on the page' });
    await page.locator('button[data-tab="log"]').click();
    await pageShows(page, '#log li[data-node="bob"]', /\[note\] pressed on the page/);
    const before = rig.byName.bob!.logs().length;
    expect(before).toBeGreaterThan(0);
    const cleared = await act(page, 'clearLogs', { node: 'bob' });
    expect(cleared).toBe(`✓ bob.clearLogs: cleared ${before}`);
    expect(rig.byName.bob!.logs('log')).toEqual([]);
  });

  it('every read-only method answers on the page what the node answers', async () => {
    const reads = API.filter((m) => m.exposed.control && m.effect === 'read');
    const args: Record<string, Record<string, string | number>> = { peer: { ref: 'bob' }, transaction: { i: 0 }, logs: { filter: 'peer-added' } };
    for (const m of reads) {
      const line = await act(page, m.name, { node: 'alice', ...args[m.name] });
      expect(line, m.name).toMatch(new RegExp(`^✓ alice\\.${m.name.replace('.', '\\.')}: `));
    }
    // Spot checks of content: the same data as the node's own answer.
    expect(await act(page, 'digest', { node: 'alice' })).toBe(`✓ alice.digest: ${rig.byName.alice!.digest().slice(0, 10)}…`);
    const peers = rig.byName.alice!.peers().length;
    expect(await act(page, 'peers', { node: 'alice' })).toBe(`✓ alice.peers: ${peers} item${peers === 1 ? '' : 's'}`);
    expect(await act(page, 'balance', { node: 'carol' })).toBe(`✓ carol.balance: balance ${rig.byName.carol!.balance().balance}, spendable ${rig.byName.carol!.balance().spendable}`);
    expect(await act(page, 'transaction', { node: 'alice', i: 999 })).toMatch(/^✖ .*999/);
  });

  it('stop: the node stops; the page shows its lane and row stopped', async () => {
    const line = await act(page, 'stop', { node: 'carol' });
    expect(line).toBe('✓ carol.stop: done');
    expect(rig.byName.carol!.running).toBe(false);
    await pageShows(page, '#nodes tr[data-node="carol"] td:nth-child(2)', /^stopped$/);
    await page.locator('#graph g.down[data-node="carol"]').waitFor();
    const after = await act(page, 'send', { from: 'carol', to: 'bob', amount: '1' });
    expect(after).toMatch(/^✖ .*(stopped|not running|NOT_RUNNING)/);
  });
});

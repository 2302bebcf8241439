/**
 * Issue 14 item 3, peers: each button of the original window that deals with peers, pressed on the
 * live page in Chromium, does to the nodes what the same call does in the REPL: join, add and
 * remove a peer, discover, ping, leave; and a link of the peer graph cuts and heals when clicked.
 * Node fields take names, as everywhere else.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { act, closeBrowser, openPage, pageShows, startRig, until, type Rig } from './harness.ts';

/** The page's own global, inside page.evaluate callbacks (tests are typechecked without the DOM library). */
declare const document: any;

let rig: Rig;
let page: Page;
const has = (who: string, peer: string): boolean => rig.byName[who]!.peers().some((p) => p.name === peer);

beforeAll(async () => {
  // alice, bob and carol joined; dave and erin on their own.
  rig = await startRig(5, { joined: 3 });
  ({ page } = await openPage(rig.view, ['alice', 'bob', 'carol', 'dave', 'erin']));
}, 60_000);

afterAll(async () => {
  await closeBrowser();
  await rig?.stop();
});

describe('peer actions on the page', () => {
  it('join: dave joins the network through alice (a name in the peer field)', async () => {
    expect(rig.byName.dave!.peers()).toEqual([]);
    const line = await act(page, 'join', { node: 'dave', peer: 'alice' });
    expect(line).toMatch(/^✓ dave\.join: name alice, addr 127\.0\.0\.1:\d+/);
    await until(() => ['alice', 'bob', 'carol'].every((p) => has('dave', p)), 'dave knows alice, bob and carol');
    await page.waitForFunction(() => document.querySelectorAll('#graph line.edge.alive').length >= 6);
  });

  it('addPeer, then discover: erin greets alice alone, then asks for the rest', async () => {
    const added = await act(page, 'addPeer', { node: 'erin', peer: 'alice' });
    expect(added).toMatch(/^✓ erin\.addPeer: name alice/);
    expect(has('erin', 'alice')).toBe(true);
    const found = await act(page, 'discover', { node: 'erin' });
    expect(found).toMatch(/^✓ erin\.discover: asked (\w+ )*alice( \w+)*, answered (\w+ )*alice( \w+)*, added /);
    await until(() => ['bob', 'carol', 'dave'].every((p) => has('erin', p)), 'erin knows every node');
  });

  it('removePeer bans a peer; addPeer lifts the ban', async () => {
    const removed = await act(page, 'removePeer', { node: 'alice', peer: 'carol' });
    expect(removed).toMatch(/^✓ alice\.removePeer: removed carol, banned true/);
    expect(has('alice', 'carol')).toBe(false);
    expect((rig.byName.alice!.details().banned as { addrs: string[] }).addrs).toContain(rig.byName.carol!.advertised);
    await page.waitForFunction(() => document.querySelector('#graph line.edge[data-link="alice|carol"]')?.classList.contains('removed') === true);
    const back = await act(page, 'addPeer', { node: 'alice', peer: 'carol' });
    expect(back).toMatch(/^✓ alice\.addPeer: name carol/);
    expect(has('alice', 'carol')).toBe(true);
    expect((rig.byName.alice!.details().banned as { addrs: string[] }).addrs).toEqual([]);
  });

  it('ping: the round trip in ms, and a ping on the wire', async () => {
    const before = rig.byName.alice!.stats().outByType.ping ?? 0;
    const line = await act(page, 'ping', { from: 'alice', to: 'bob' });
    expect(line).toMatch(/^✓ alice\.ping: \d+(\.\d+)?$/);
    expect(rig.byName.alice!.stats().outByType.ping ?? 0).toBeGreaterThan(before);
  });

  it('an unknown peer is one line, as in the REPL', async () => {
    const line = await act(page, 'ping', { from: 'alice', to: 'mallory' });
    expect(line).toMatch(/^✖ .*mallory.*\(UNKNOWN_PEER\)$/);
  });

  it('clicking a link of the graph cuts it (faults.partition); clicking it again heals', async () => {
    const bobAddr = rig.byName.bob!.advertised;
    await page.locator('#graph line.hit[data-a="alice"][data-b="bob"]').click();
    await until(() => rig.byName.alice!.faults.get().partitioned.includes(bobAddr), "alice has cut bob's link");
    await page.waitForFunction(() => document.querySelector('#graph line.edge[data-link="alice|bob"]')?.classList.contains('cut') === true);
    await pageShows(page, '#last', /faults\.partition/);
    await page.locator('#graph line.hit[data-a="alice"][data-b="bob"]').click();
    await until(() => rig.byName.alice!.faults.get().partitioned.length === 0, 'alice has healed');
    await page.waitForFunction(() => document.querySelector('#graph line.edge[data-link="alice|bob"]')?.classList.contains('cut') === false);
  });

  it('leave: erin says goodbye and stops; the page shows it stopped', async () => {
    const line = await act(page, 'leave', { node: 'erin' });
    expect(line).toMatch(/^✓ erin\.leave: told \d/);
    expect(rig.byName.erin!.running).toBe(false);
    await until(() => !has('alice', 'erin'), 'alice has dropped erin');
    await pageShows(page, '#nodes tr[data-node="erin"] td:nth-child(2)', /^stopped$/);
    await page.locator('#graph g.down[data-node="erin"]').waitFor();
  });
});

/**
 * The double-spend exercise (issue 13, acceptance: "a fork detected on every node and the
 * conflicting transactions voided, money still conserved") and the `doubleSpend` step it uses.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { play } from '../../src/cli/play.ts';
import { formatErrors } from '../../src/playbooks/errors.ts';
import { loadPlaybook } from '../../src/playbooks/load.ts';

let out = '';
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'peerlab-double-spend-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

const NODES = 'name: t\nnodes:\n  alice: {}\n  bob: {}\n  carol: {}\nsteps:\n';
const errors = (step: string): string[] => loadPlaybook(`${NODES}  - ${step}\n`, 'p.yaml').errors.map((e) => `${e.path}: ${e.message}`);

describe('the doubleSpend step', () => {
  it('takes a node, two other nodes and an amount', () => {
    const r = loadPlaybook(`${NODES}  - doubleSpend: { node: alice, to: [bob, carol], amount: 100 }\n`, 'p.yaml');
    expect(formatErrors(r.errors)).toBe('');
    expect(r.playbook!.steps[0]!.action).toEqual({ kind: 'doubleSpend', node: 'alice', to: [{ node: 'bob' }, { node: 'carol' }], amount: 10000n });
  });

  it('refuses one peer, the same peer twice, the node itself, and no amount', () => {
    expect(errors('doubleSpend: { node: alice, to: [bob], amount: 1 }').join('\n')).toMatch(/steps\[0\]\.doubleSpend\.to/);
    expect(errors('doubleSpend: { node: alice, to: [bob, bob], amount: 1 }').join('\n')).toMatch(/steps\[0\]\.doubleSpend\.to/);
    expect(errors('doubleSpend: { node: alice, to: [alice, bob], amount: 1 }')).toContain('steps[0].doubleSpend.to: a node cannot be a peer of itself');
    expect(errors('doubleSpend: { node: alice, to: [bob, carol] }').join('\n')).toMatch(/missing 'amount'/);
  });
});

describe('playbooks/double-spend.yaml', () => {
  it('shows the fork detected on every node, both forged payments voided, money conserved', async () => {
    const report = join(out, 'double-spend.json');
    let text = '';
    const code = await play('playbooks/double-spend.yaml', { report }, (s) => (text += s));
    expect(code, text).toBe(0);
    const r = JSON.parse(await readFile(report, 'utf8')) as { ok: boolean; expectations: Array<{ kind: string; text: string; ok: boolean }> };
    expect(r.ok).toBe(true);
    const held = (kind: string): string[] => r.expectations.filter((e) => e.kind === kind && e.ok).map((e) => e.text);
    expect(held('logged').join('\n')).toMatch(/fork-detected/);
    expect(held('logged').join('\n')).toMatch(/txn-voided/);
    expect(held('totalBalance')).toHaveLength(1);
    expect(held('balances')).toHaveLength(1);
    expect(held('noNegativeBalances')).toHaveLength(1);
  }, 60_000);
});

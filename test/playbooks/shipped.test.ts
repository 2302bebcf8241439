import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatErrors } from '../../src/playbooks/errors.ts';
import { loadPlaybookFile } from '../../src/playbooks/load.ts';
import { formatPlan, planPlaybook } from '../../src/playbooks/plan.ts';

const dir = fileURLToPath(new URL('../../playbooks/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();

describe('shipped playbooks', () => {
  it('include the demo', () => {
    expect(files).toContain('demo.yaml');
  });

  it.each(files)('%s loads with zero errors and plans', async (file) => {
    const r = await loadPlaybookFile(join(dir, file));
    expect(formatErrors(r.errors)).toBe('');
    const plan = planPlaybook(r.playbook!);
    expect(formatPlan(plan)).toBe(formatPlan(planPlaybook(r.playbook!)));
  });

  it('the demo is short enough for npm start', async () => {
    const r = await loadPlaybookFile(join(dir, 'demo.yaml'));
    const plan = planPlaybook(r.playbook!);
    expect(plan.endMs).toBeLessThanOrEqual(10_000);
    const kinds = new Set(plan.sequence.map((i) => i.action.kind));
    for (const k of ['join', 'send', 'sendCustom', 'sendFile', 'robot', 'sync', 'waitFor', 'expect']) expect(kinds).toContain(k);
  });
});

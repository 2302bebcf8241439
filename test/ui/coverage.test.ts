/**
 * Issue 14 item 5: every action the page offers has a browser test that performs it. The page
 * offers a form per method of the control socket's allow-list (page.test.ts checks that in the
 * browser); this checks, over the browser tests' own text, that each action method is pressed with
 * `act(page, '<method>', ...)` somewhere (the read-only ones are pressed in a loop over the table).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OFFERED, isAction } from '../../src/ui/api-forms.ts';

describe('browser tests cover every action', () => {
  it('each action method of the page is performed by a browser test', () => {
    const dir = import.meta.dirname;
    const pressed = new Set<string>();
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.test.ts') && x !== 'coverage.test.ts')) {
      for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/\bact\(page, '([\w.]+)'/g)) pressed.add(m[1]!);
    }
    const actions = OFFERED.filter(isAction).map((m) => m.name);
    expect(actions.filter((a) => !pressed.has(a))).toEqual([]);
    expect(actions.length).toBeGreaterThan(20);
  });
});

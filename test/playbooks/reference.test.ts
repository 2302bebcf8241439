/**
 * playbooks/REFERENCE.md (issue 13 item 9) is generated from the schema and kept in sync: every
 * step and condition has an entry with an example that the real loader accepts, and the shipped
 * file is what `npm run schema` writes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatErrors } from '../../src/playbooks/errors.ts';
import { loadPlaybook } from '../../src/playbooks/load.ts';
import { CONDITION_NOTES, playbookReference, STEP_NOTES } from '../../src/playbooks/reference.ts';
import { PLAYBOOK_REFERENCE_FILE, playbookSchema } from '../../src/playbooks/schema.ts';
import { STEP_KINDS } from '../../src/playbooks/steps.ts';

const HEAD = 'name: example\nnodes:\n  alice: {}\n  bob: {}\n  carol: {}\nsteps:\n';
const indent = (text: string, n: number): string => text.split('\n').map((l) => ' '.repeat(n) + l).join('\n');

describe('playbooks/REFERENCE.md', () => {
  it('ships exactly as generated (npm run schema writes it)', () => {
    expect(readFileSync(PLAYBOOK_REFERENCE_FILE, 'utf8')).toBe(playbookReference());
  });

  it('has an entry for every step kind and condition, and no other', () => {
    expect(Object.keys(STEP_NOTES).sort()).toEqual([...STEP_KINDS].sort());
    const conditions = Object.keys(((playbookSchema().definitions as any).step.properties.expect.properties) as object);
    expect(Object.keys(CONDITION_NOTES).sort()).toEqual(conditions.sort());
    const text = playbookReference();
    for (const k of [...STEP_KINDS, ...conditions]) expect(text, k).toContain(`### \`${k}\``);
  });

  it('every example loads', () => {
    for (const [kind, e] of Object.entries(STEP_NOTES)) {
      const r = loadPlaybook((e.top ? `${e.top}\n` : '') + HEAD + indent(e.example, 2) + '\n', '/pb/example.yaml');
      expect(formatErrors(r.errors), `${kind}: ${e.example}`).toBe('');
      expect(r.playbook!.steps[0]!.action.kind, kind).toBe(kind);
    }
    for (const [kind, e] of Object.entries(CONDITION_NOTES)) {
      const r = loadPlaybook(`${HEAD}  - expect: { ${e.example} }\n`, '/pb/example.yaml');
      expect(formatErrors(r.errors), `${kind}: ${e.example}`).toBe('');
    }
  });

  it('says how partitions treat unlisted nodes, and what cut and heal do', () => {
    const text = playbookReference();
    expect(text).toMatch(/Nodes that no group lists form one more group/);
    expect(text).toMatch(/### `cut`[\s\S]*node\.faults\.partition\(peers\)/);
    expect(text).toMatch(/`heal: \{ node: carol \}` ends the cuts carol made/);
  });
});

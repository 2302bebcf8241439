import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { playbookSchemaText } from '../../src/playbooks/playbook-schema.ts';
import { PLAYBOOK_SCHEMA_FILE, playbookSchema, stepKinds } from '../../src/playbooks/schema.ts';
import { STEP_KINDS, STEP_MODIFIERS } from '../../src/playbooks/steps.ts';
import { ROBOT_ACTION_KINDS } from '../../src/runtime/robot-plan.ts';
import { editDistance, nearest } from '../../src/playbooks/suggest.ts';

describe('the playbook JSON Schema', () => {
  it('is a valid draft-07 schema that ajv compiles in strict mode', () => {
    const schema = JSON.parse(readFileSync(PLAYBOOK_SCHEMA_FILE, 'utf8'));
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    const ajv = new Ajv({ strict: true, allowUnionTypes: true });
    expect(ajv.validateSchema(schema)).toBe(true);
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  it('ships as playbooks/schema.json exactly as built from the API table (npm run schema writes it)', () => {
    expect(readFileSync(PLAYBOOK_SCHEMA_FILE, 'utf8')).toBe(playbookSchemaText());
  });

  it('lists exactly the step kinds and modifiers the loader reads', () => {
    expect(stepKinds()).toEqual([...STEP_KINDS]);
    const props = Object.keys((playbookSchema().definitions as any).step.properties);
    expect(props).toEqual([...STEP_MODIFIERS, ...STEP_KINDS]);
    expect((playbookSchema().definitions as any).robotActions.items.enum).toEqual([...ROBOT_ACTION_KINDS]);
  });
});

describe('suggestions', () => {
  it('measure edits with transpositions', () => {
    expect(editDistance('sendFiel', 'sendFile')).toBe(1);
    expect(editDistance('abc', 'abc')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('suggest only plausible typos', () => {
    expect(nearest('sendfile', ['send', 'sendFile'])).toBe('sendFile');
    expect(nearest('snd', ['send', 'sync'])).toBe('send');
    expect(nearest('carl', ['alice', 'carol'])).toBe('carol');
    expect(nearest('everyone', ['alice', 'bob', 'all'])).toBeUndefined();
    expect(nearest('x', ['y'])).toBe('y');
  });
});

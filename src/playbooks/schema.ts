/**
 * The playbook JSON Schema (built by playbook-schema.ts and shipped as playbooks/schema.json,
 * draft-07 so editors validate too), compiled once by ajv in strict mode, and the translation of ajv's errors into one clear message per
 * problem: "did you mean" for misspelt keys, the expected form of durations and amounts, and none
 * of the noise that `oneOf` and `propertyNames` produce.
 */
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { bareDurationHint } from '../runtime/units.ts';
import type { PlaybookErrorCode } from './errors.ts';
import { buildPlaybookSchema } from './playbook-schema.ts';
import { formatPath, pointerToPath, type DocPath } from './source-map.ts';
import { nearest } from './suggest.ts';

/** Absolute path of the shipped schema (what editors point at; `npm run schema` writes it). */
export const PLAYBOOK_SCHEMA_FILE = fileURLToPath(new URL('../../playbooks/schema.json', import.meta.url));
/** The playbook reference (src/playbooks/reference.ts), written with the schema by `npm run schema`. */
export const PLAYBOOK_REFERENCE_FILE = fileURLToPath(new URL('../../playbooks/REFERENCE.md', import.meta.url));

/** A problem found on the plain data, before it is given a line and column. */
export interface Issue {
  readonly code: PlaybookErrorCode;
  readonly path: DocPath;
  /** Point at the key (unknown keys), the value, or the key owning an object (missing keys). */
  readonly anchor: 'key' | 'value' | 'owner';
  readonly message: string;
  readonly suggestion?: string;
}

type Schema = Record<string, unknown>;

interface Hint {
  /** Noun phrase completing "must be ...". */
  readonly phrase: string;
  readonly code?: PlaybookErrorCode;
  /** The phrase already states the allowed range, so it answers bound errors too. */
  readonly bounds?: boolean;
}

/** Phrases for the schema's named parts, by JSON pointer (checked at compile time). */
const HINTS: Record<string, Hint> = {
  '/definitions/duration': { phrase: 'a duration like 200ms, 2s or 1m', code: 'BAD_DURATION' },
  '/definitions/signedDuration': { phrase: 'a duration with an optional sign, like -30s or 2h', code: 'BAD_DURATION' },
  '/definitions/amount': { phrase: 'an amount like 25.50', code: 'BAD_AMOUNT' },
  '/definitions/size': { phrase: 'a size like 4096, 10MB or 256MiB', code: 'BAD_SIZE' },
  '/definitions/probability': { phrase: 'a probability between 0 and 1', bounds: true },
  '/definitions/seed': { phrase: 'a whole number between 0 and 4294967295', bounds: true },
  '/definitions/nodeName': { phrase: 'a node name' },
  '/definitions/nodeOrAll': { phrase: "a node name or 'all'" },
  '/definitions/nodeSet': { phrase: "'all' or a list of node names" },
  '/definitions/peerRef': { phrase: 'a node name or host:port' },
  '/definitions/path': { phrase: 'a file path' },
  '/definitions/countPerNode': { phrase: 'a count, or a mapping of node name to count' },
  '/definitions/fields': { phrase: 'a mapping of custom fields, like { Name: Connor }' },
  '/definitions/robotActions': { phrase: 'a list of actions, or a mapping of action to weight' },
  '/definitions/node': { phrase: 'a mapping like { port: 5001 }' },
  '/definitions/node/properties/port': { phrase: 'a port between 1 and 65535', bounds: true },
  '/definitions/step': { phrase: 'a mapping with one action, like send: { from: alice, to: bob, amount: 10 }' },
  '/properties/nodes': { phrase: 'a mapping of node names to their settings, like alice: { port: 5001 }' },
  '/properties/steps': { phrase: 'a list of steps' },
  '/properties/settings/properties/speed': { phrase: 'a speed factor greater than 0', bounds: true },
  '/properties/settings/properties/network/properties/scale': { phrase: 'a whole number of decimal places from 0 to 8', bounds: true },
};

interface Compiled {
  readonly validate: ValidateFunction;
  readonly schema: Schema;
  readonly hints: Map<unknown, Hint>;
  readonly step: Schema;
  readonly stepBranches: Set<unknown>;
  readonly stepKeys: readonly string[];
  readonly modifiers: readonly string[];
  readonly nodeNames: unknown;
  readonly fieldNames: unknown;
  readonly actionNames: unknown;
  readonly emptyMessages: Map<unknown, string>;
}

let compiled: Compiled | undefined;

function compile(): Compiled {
  if (compiled) return compiled;
  const schema = buildPlaybookSchema();
  const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true, verbose: true });
  const validate = ajv.compile(schema);
  const hints = new Map<unknown, Hint>();
  for (const [ptr, hint] of Object.entries(HINTS)) hints.set(at(schema, ptr), hint);
  const step = at(schema, '/definitions/step') as Schema;
  const modifiers = ['at', 'mayFail', 'name'];
  const stepKeys = Object.keys(step.properties as Schema).filter((k) => !modifiers.includes(k));
  const conditionKeys = Object.keys(at(schema, '/definitions/step/properties/expect/properties') as Schema);
  const faultKeys = Object.keys(at(schema, '/definitions/step/properties/faults/properties') as Schema).filter((k) => k !== 'node' && k !== 'peer');
  const emptyMessages = new Map<unknown, string>([
    [at(schema, '/definitions/step/properties/expect'), `expect needs at least one condition: ${conditionKeys.join(', ')}`],
    [at(schema, '/definitions/step/properties/waitFor'), `waitFor needs a condition besides within: ${conditionKeys.join(', ')}`],
    [at(schema, '/definitions/step/properties/faults'), `faults needs at least one of ${faultKeys.join(', ')}`],
    [at(schema, '/properties/nodes'), 'a playbook needs at least one node'],
    [at(schema, '/properties/steps'), 'a playbook needs at least one step'],
  ]);
  compiled = {
    validate,
    schema,
    hints,
    step,
    stepBranches: new Set(step.oneOf as unknown[]),
    stepKeys,
    modifiers,
    nodeNames: at(schema, '/properties/nodes/propertyNames'),
    fieldNames: at(schema, '/definitions/fields/propertyNames'),
    actionNames: at(schema, '/definitions/robotActions/propertyNames'),
    emptyMessages,
  };
  return compiled;
}

/** The parsed schema (for tests and tools). */
export function playbookSchema(): Readonly<Schema> {
  return compile().schema;
}

/** The step action keys, in schema order (join, addPeer, ...). */
export function stepKinds(): readonly string[] {
  return compile().stepKeys;
}

/** Validates the plain data; returns one issue per real problem. */
export function schemaIssues(data: unknown): Issue[] {
  const c = compile();
  if (c.validate(data)) return [];
  const errors = c.validate.errors ?? [];
  const typeFailed = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  const unknownAt = new Set(errors.filter((e) => e.keyword === 'additionalProperties').map((e) => e.instancePath));
  // `form: alice` is one mistake, not two: when an unknown key's suggestion is a missing key, only
  // the "did you mean" is worth reading.
  const misspelt = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== 'additionalProperties') continue;
    const props = Object.keys(((e.parentSchema as Schema | undefined)?.properties as Schema | undefined) ?? {});
    const s = nearest(String((e.params as { additionalProperty: string }).additionalProperty), props);
    if (s) misspelt.add(`${e.instancePath}\u0000${s}`);
  }
  const out: Issue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== 'type' && e.propertyName === undefined && typeFailed.has(e.instancePath)) continue;
    if (e.keyword === 'required' && misspelt.has(`${e.instancePath}\u0000${String(e.params.missingProperty)}`)) continue;
    const issue = translate(c, e, data, unknownAt);
    if (!issue) continue;
    const key = `${formatPath(issue.path)}\u0000${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(issue);
  }
  return out;
}

function translate(c: Compiled, e: ErrorObject, root: unknown, unknownAt: Set<string>): Issue | null {
  const path = pointerToPath(e.instancePath, root);
  const parent = e.parentSchema as Schema | undefined;
  const params = e.params as Record<string, unknown>;
  const hint = c.hints.get(parent);
  const code = hint?.code ?? 'SCHEMA';

  if (e.keyword === 'propertyNames') return null; // its inner error says why
  if (e.propertyName !== undefined) return propertyNameIssue(c, e, path, e.propertyName);
  if (c.stepBranches.has(parent)) return null; // "must have required property 'join'" x 25
  if (e.keyword === 'oneOf' && parent === c.step) return stepActionIssue(c, e, path, unknownAt);

  if (code === 'BAD_DURATION' && (e.keyword === 'type' || e.keyword === 'pattern')) {
    const bare = bareDurationHint(e.data);
    if (bare) return { code, path, anchor: 'value', message: bare };
  }
  switch (e.keyword) {
    case 'type': {
      const phrase = hint?.phrase ?? typePhrase(e.schema);
      return { code, path, anchor: 'value', message: `must be ${phrase}, got ${describe(e.data)}` };
    }
    case 'pattern':
      return { code, path, anchor: 'value', message: `must be ${hint?.phrase ?? `text matching ${String(e.schema)}`}, got ${JSON.stringify(e.data)}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const limit = Number(params.limit);
      const text =
        hint?.bounds ? hint.phrase
        : e.keyword === 'minimum' ? (limit === 0 ? 'not negative' : `at least ${limit}`)
        : e.keyword === 'exclusiveMinimum' ? `greater than ${limit}`
        : e.keyword === 'maximum' ? `at most ${limit}`
        : `less than ${limit}`;
      const message = text.startsWith('not ') ? `must ${text.replace('not ', 'not be ')}, got ${describe(e.data)}` : `must be ${text}, got ${describe(e.data)}`;
      return { code, path, anchor: 'value', message };
    }
    case 'enum': {
      const allowed = (e.schema as unknown[]).map((v) => `'${String(v)}'`);
      const suggestion = typeof e.data === 'string' ? nearest(e.data, (e.schema as unknown[]).map(String)) : undefined;
      const list = allowed.length === 2 ? `${allowed[0]} or ${allowed[1]}` : `one of ${allowed.join(', ')}`;
      return withSuggestion({ code, path, anchor: 'value', message: `must be ${list}, got ${describe(e.data)}` }, suggestion);
    }
    case 'required': {
      const missing = String(params.missingProperty);
      const all = (parent?.required as string[] | undefined) ?? [];
      const owner = [...path].reverse().find((s): s is string => typeof s === 'string') ?? 'a playbook';
      const needs = all.length > 1 ? ` (${owner} needs ${all.join(', ')})` : '';
      return { code, path, anchor: 'owner', message: `missing '${missing}'${needs}` };
    }
    case 'additionalProperties':
      return unknownKeyIssue(c, e, path, String(params.additionalProperty));
    case 'minProperties':
    case 'minItems':
    case 'minLength':
      return { code, path, anchor: e.keyword === 'minProperties' ? 'owner' : 'value', message: c.emptyMessages.get(parent) ?? 'must not be empty' };
    case 'const':
      return { code, path, anchor: 'value', message: `must be ${JSON.stringify(params.allowedValue)}, got ${describe(e.data)}` };
    case 'maxProperties':
      return { code, path, anchor: 'owner', message: `must have at most ${String(params.limit)} entries` };
    case 'maxLength':
      return { code, path, anchor: 'value', message: `must be at most ${String(params.limit)} characters` };
    case 'uniqueItems': {
      const item = Array.isArray(e.data) ? e.data[Number(params.j)] : undefined;
      return { code: 'DUPLICATE', path: [...path, Number(params.i)], anchor: 'value', message: `${describe(item)} is listed twice` };
    }
    default:
      return { code, path, anchor: 'value', message: e.message ?? 'is invalid' };
  }
}

function propertyNameIssue(c: Compiled, e: ErrorObject, path: DocPath, name: string): Issue | null {
  const at = [...path, name];
  const parent = e.parentSchema;
  if (parent === c.nodeNames) {
    if (e.keyword === 'not') return { code: 'SCHEMA', path: at, anchor: 'key', message: "'all' is reserved (it means every node); choose another node name" };
    return { code: 'SCHEMA', path: at, anchor: 'key', message: `node name '${name}' must start with a letter and have only letters, digits, '-' and '_' (at most 32)` };
  }
  if (parent === c.fieldNames) {
    if (e.keyword === 'not') return { code: 'SCHEMA', path: at, anchor: 'key', message: `'${name}' is reserved by the ledger; choose another field name` };
    return { code: 'SCHEMA', path: at, anchor: 'key', message: 'field names must be 1 to 64 characters' };
  }
  if (parent === c.actionNames) {
    const kinds = ((parent as Schema).enum as string[]) ?? [];
    return withSuggestion({ code: 'UNKNOWN_KEY', path: at, anchor: 'key', message: `unknown robot action '${name}' (actions are ${kinds.join(', ')})` }, nearest(name, kinds));
  }
  return { code: 'SCHEMA', path: at, anchor: 'key', message: `key '${name}' ${e.message ?? 'is invalid'}` };
}

function unknownKeyIssue(c: Compiled, e: ErrorObject, path: DocPath, key: string): Issue {
  const at = [...path, key];
  const props = Object.keys(((e.parentSchema as Schema | undefined)?.properties as Schema | undefined) ?? {}).filter((k) => k !== '$schema');
  const suggestion = nearest(key, props);
  if (e.parentSchema === c.step) {
    const data = e.data as Record<string, unknown>;
    const hasAction = c.stepKeys.some((k) => k in data);
    const message = hasAction ? `unknown key '${key}' in a step` : `unknown step '${key}'`;
    const list = hasAction ? c.modifiers.join(', ') : c.stepKeys.join(', ');
    return withSuggestion({ code: 'UNKNOWN_KEY', path: at, anchor: 'key', message: suggestion ? message : `${message} (expected ${list})` }, suggestion);
  }
  if (props.length === 0) return { code: 'UNKNOWN_KEY', path: at, anchor: 'key', message: `unknown key '${key}': this takes no keys` };
  const message = suggestion || props.length > 12 ? `unknown key '${key}'` : `unknown key '${key}' (expected ${props.join(', ')})`;
  return withSuggestion({ code: 'UNKNOWN_KEY', path: at, anchor: 'key', message }, suggestion);
}

function stepActionIssue(c: Compiled, e: ErrorObject, path: DocPath, unknownAt: Set<string>): Issue | null {
  const data = e.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return null;
  const actions = Object.keys(data).filter((k) => c.stepKeys.includes(k));
  if (actions.length === 0) {
    if (unknownAt.has(e.instancePath)) return null; // the unknown key is the explanation
    return { code: 'SCHEMA', path, anchor: 'value', message: `a step needs one action: ${c.stepKeys.join(', ')}` };
  }
  return {
    code: 'SCHEMA',
    path: [...path, actions[1]!],
    anchor: 'key',
    message: `a step has exactly one action, but '${actions[1]}' follows '${actions[0]}': put it in a step of its own`,
  };
}

function withSuggestion(issue: Issue, suggestion: string | undefined): Issue {
  return suggestion ? { ...issue, message: `${issue.message}; did you mean '${suggestion}'?`, suggestion } : issue;
}

function typePhrase(types: unknown): string {
  const names: Record<string, string> = {
    string: 'text',
    number: 'a number',
    integer: 'a whole number',
    boolean: 'true or false',
    object: 'a mapping',
    array: 'a list',
    null: 'empty',
  };
  const list = (Array.isArray(types) ? types : [types]).map((t) => names[String(t)] ?? String(t));
  return list.length <= 2 ? list.join(' or ') : `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
}

/** A short description of a value for messages: `"fast"`, `12`, `a list`, `a mapping`, `nothing`. */
export function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

function at(schema: Schema, pointer: string): unknown {
  let cur: unknown = schema;
  for (const seg of pointer.slice(1).split('/')) {
    cur = cur !== null && typeof cur === 'object' ? (cur as Schema)[seg] : undefined;
    if (cur === undefined) throw new Error(`playbook schema has no ${pointer}`);
  }
  return cur;
}

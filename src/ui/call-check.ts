/**
 * Checks what the page asks a node to do before anything runs: the method is on the control
 * socket's allow-list, the node exists, and the arguments fit the API table's schemas. Every
 * refusal is one line that names the method and the field, as the REPL's errors do.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { apiMethod, type ApiMethod, type JsonSchema } from '../runtime/api.ts';
import type { PeerlabError } from '../runtime/errors.ts';
import { refuse } from './refusal.ts';
import { OFFERED } from './api-forms.ts';

/** A call as the page sends it: arguments by parameter name. */
export interface CallRequest {
  node: string;
  method: string;
  args: Record<string, unknown>;
}

// verbose: errors carry their schema, whose description says what a pattern wants.
const ajv = new Ajv({ strict: true, allErrors: false, allowUnionTypes: true, verbose: true });
const validators = new Map<string, ValidateFunction>();
const offeredNames = new Set(OFFERED.map((m) => m.name));

/** The JSON schema of a method's arguments object: one property per parameter. */
export function argsSchema(m: ApiMethod): JsonSchema {
  const required = m.params.filter((p) => !p.optional).map((p) => p.name);
  return {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(m.params.map((p) => [p.name, p.schema])),
    ...(required.length ? { required } : {}),
  };
}

function validatorOf(m: ApiMethod): ValidateFunction {
  let v = validators.get(m.name);
  if (!v) validators.set(m.name, (v = ajv.compile(argsSchema(m))));
  return v;
}

const bad = (message: string): PeerlabError => refuse(message);

/**
 * The request's shape and method. `nodes` are the names the view knows. Throws BAD_ARGUMENT (or
 * UNKNOWN_PEER for a node) with one line; returns the method's row.
 */
export function checkCall(body: unknown, nodes: readonly string[]): { req: CallRequest; method: ApiMethod } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('a call is a JSON object {node, method, args}');
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).filter((k) => !['node', 'method', 'args'].includes(k));
  if (extra.length) throw bad(`unknown key ${quote(extra[0]!)} in the call (keys: node, method, args)`);
  if (typeof b.method !== 'string' || b.method === '') throw bad('a call needs a method name');
  const method = offeredNames.has(b.method) ? apiMethod(b.method) : undefined;
  if (!method) throw bad(`${quote(b.method)} is not a method the live view offers (it offers what the control socket allows)`);
  if (typeof b.node !== 'string' || b.node === '') throw bad(`${method.name}: the call needs a node (${list(nodes)})`);
  if (!nodes.includes(b.node)) throw refuse(`${method.name}: no node ${quote(b.node)} here (nodes: ${list(nodes)})`, 'UNKNOWN_PEER', 404);
  const args = b.args ?? {};
  if (args === null || typeof args !== 'object' || Array.isArray(args)) throw bad(`${method.name}: args must be an object of parameters by name`);
  return { req: { node: b.node, method: method.name, args: args as Record<string, unknown> }, method };
}

/** Checks the arguments against the method's parameter schemas; throws one line naming the field. */
export function checkArgs(method: ApiMethod, args: Record<string, unknown>): void {
  const validate = validatorOf(method);
  if (validate(args)) return;
  throw bad(`${method.name}: ${describeError(method, validate.errors?.[0])}`);
}

function describeError(m: ApiMethod, e: ErrorObject | null | undefined): string {
  if (!e) return 'invalid arguments';
  const path = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const where = path.length ? path.join('.') : '';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${where ? `${where}.` : ''}${String(p.missingProperty)} is required`;
    case 'additionalProperty':
    case 'additionalProperties': {
      const known = where ? Object.keys(optionsOf(m, path[0]!)) : m.params.map((x) => x.name);
      return `unknown ${where ? `option in ${where}` : 'parameter'} ${quote(String(p.additionalProperty))}${known.length ? ` (known: ${known.join(', ')})` : ''}`;
    }
    case 'type':
      return `${where || 'the arguments'} must be ${article(String(p.type))}`;
    case 'minLength':
      return `${where} must not be empty`;
    case 'pattern':
      return `${where} must be ${describeSchema(e.parentSchema)}`;
    case 'minimum':
    case 'maximum':
      return `${where} must be ${String(p.comparison)} ${String(p.limit)}`;
    case 'maxProperties':
      return `${where} has more than ${String(p.limit)} entries`;
    default:
      return `${where || 'the arguments'} ${e.message ?? 'is invalid'}`;
  }
}

function optionsOf(m: ApiMethod, param: string): Record<string, unknown> {
  const p = m.params.find((x) => x.name === param);
  return Object.fromEntries((p?.options ?? []).map((o) => [o.name, true]));
}

function describeSchema(s: unknown): string {
  const d = (s as { description?: unknown } | undefined)?.description;
  return typeof d === 'string' ? d : 'in the expected form';
}

function article(types: string): string {
  const words = types.split(',').map((t) => (t === 'integer' ? 'a whole number' : t === 'array' ? 'a list' : t === 'null' ? 'null' : `${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t}`));
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words.at(-1)}` : words[0]!;
}

function quote(s: string): string {
  const short = s.length > 60 ? `${s.slice(0, 57)}...` : s;
  return JSON.stringify(short);
}

function list(names: readonly string[]): string {
  return names.length > 12 ? `${names.slice(0, 12).join(', ')}, ...` : names.join(', ') || 'none';
}

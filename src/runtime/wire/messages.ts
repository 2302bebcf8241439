import { Ajv, type ValidateFunction } from 'ajv';
import { LEDGER_MESSAGES } from './ledger.ts';
import { MEMBERSHIP_MESSAGES } from './membership.ts';
import type { JsonSchema, MessageFamily } from './schema-types.ts';
import { ID_SCHEMA, SAFE_INT_SCHEMA, UUID_SCHEMA } from './schema-types.ts';
import { TRANSFER_MESSAGES } from './transfer.ts';

/**
 * The protocol version this build speaks. Bump on any incompatible wire change. 2: hellos admit
 * only when they answer a fresh nonce; `refuse` and `bye` are signed; bulk pulls are authenticated.
 */
export const PROTOCOL_VERSION = 2;
export const DEFAULT_MAX_DATAGRAM = 8 * 1024;

/**
 * The one envelope every UDP message travels in (DESIGN.md §3.1). Short keys keep idle heartbeat
 * and digest traffic small: v version, t type, f sender id, l Lamport time, id message id, b body.
 */
export interface Envelope<B = unknown> {
  v: number;
  t: string;
  f: string;
  l: number;
  id: string;
  b: B;
}

/** Every message family of the protocol; each type's schema is compiled once, on first use. */
const FAMILIES: MessageFamily[] = [MEMBERSHIP_MESSAGES, LEDGER_MESSAGES, TRANSFER_MESSAGES];

/** Registers another family of messages (an experiment, a test) before the first decode. */
export function registerFamily(family: MessageFamily): void {
  for (const type of Object.keys(family)) {
    if (validators.has(type) || FAMILIES.some((f) => type in f)) throw new Error(`message type ${type} registered twice`);
  }
  FAMILIES.push(family);
  if (compiled) compileFamily(family);
}

const ajv = new Ajv({ strict: true, allErrors: false, allowUnionTypes: false });
const validators = new Map<string, ValidateFunction>();
let compiled = false;

const envelopeSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['v', 't', 'f', 'l', 'id', 'b'],
  properties: {
    v: { type: 'integer' },
    t: { type: 'string', maxLength: 32 },
    f: ID_SCHEMA,
    l: SAFE_INT_SCHEMA,
    id: UUID_SCHEMA,
    b: { type: 'object' },
  },
};
let validateEnvelope: ValidateFunction | undefined;

function compileFamily(family: MessageFamily): void {
  for (const [type, schema] of Object.entries(family)) validators.set(type, ajv.compile(schema));
}

function ensureCompiled(): void {
  if (compiled) return;
  validateEnvelope = ajv.compile(envelopeSchema);
  for (const f of FAMILIES) compileFamily(f);
  compiled = true;
}

export type RejectReason =
  | 'too-large'
  | 'not-json'
  | 'bad-envelope'
  | 'unsupported-version'
  | 'unknown-type'
  | 'bad-body';

export type DecodeResult =
  | { ok: true; msg: Envelope }
  | { ok: false; reason: RejectReason; detail: string; partial?: Partial<Envelope> };

/** Decodes and validates a datagram. Never throws: anything wrong comes back as a reason. */
export function decode(data: Uint8Array, maxSize = DEFAULT_MAX_DATAGRAM): DecodeResult {
  ensureCompiled();
  if (data.length > maxSize) return { ok: false, reason: 'too-large', detail: `${data.length} bytes > ${maxSize}` };
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.length).toString('utf8'));
  } catch {
    return { ok: false, reason: 'not-json', detail: 'not valid JSON' };
  }
  if (!validateEnvelope!(value)) {
    return { ok: false, reason: 'bad-envelope', detail: ajvDetail(validateEnvelope!) };
  }
  const env = value as Envelope;
  if (env.v !== PROTOCOL_VERSION) {
    return { ok: false, reason: 'unsupported-version', detail: `version ${env.v}, this node speaks ${PROTOCOL_VERSION}`, partial: env };
  }
  const validate = validators.get(env.t);
  if (!validate) {
    return { ok: false, reason: 'unknown-type', detail: `unknown message type ${JSON.stringify(env.t).slice(0, 40)}`, partial: env };
  }
  if (!validate(env.b)) {
    return { ok: false, reason: 'bad-body', detail: `${env.t}: ${ajvDetail(validate)}`, partial: env };
  }
  return { ok: true, msg: env };
}

/**
 * A body serialised once, for sending the same body to many peers (an author's push to each of
 * its peers): each envelope is still its own (id, Lamport time), only the body's JSON is shared.
 */
export class EncodedBody {
  readonly json: string;
  constructor(readonly body: object) {
    this.json = JSON.stringify(body);
  }
}

/** The datagram of an envelope; `body`, when given, is `env.b` already serialised (the same bytes as JSON.stringify(env)). */
export function encode(env: Envelope, body?: EncodedBody): Buffer {
  if (!body) return Buffer.from(JSON.stringify(env), 'utf8');
  const text = `{"v":${JSON.stringify(env.v)},"t":${JSON.stringify(env.t)},"f":${JSON.stringify(env.f)},"l":${JSON.stringify(env.l)},"id":${JSON.stringify(env.id)},"b":${body.json}}`;
  return Buffer.from(text, 'utf8');
}

/** Validates a body before sending: a bug here is ours, so it throws. */
export function assertValidBody(type: string, body: unknown): void {
  ensureCompiled();
  const validate = validators.get(type);
  if (!validate) throw new Error(`unknown message type ${type}`);
  if (!validate(body)) throw new Error(`invalid ${type} body: ${ajvDetail(validate)}`);
}

export function knownTypes(): string[] {
  ensureCompiled();
  return [...validators.keys()];
}

function ajvDetail(v: ValidateFunction): string {
  const e = v.errors?.[0];
  if (!e) return 'invalid';
  return `${e.instancePath || '/'} ${e.message ?? 'invalid'}`.slice(0, 200);
}

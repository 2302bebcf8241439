/**
 * How message families declare their wire formats. Each family file in this folder
 * (membership.ts, ledger.ts, transfer.ts, ...) exports a `MessageFamily`: message type name ->
 * JSON Schema of that message's body. `messages.ts` merges them and compiles each schema once
 * with ajv. Bodies must be small objects with `additionalProperties: false`.
 */
export interface JsonSchema {
  [key: string]: unknown;
}

export type MessageFamily = Readonly<Record<string, JsonSchema>>;

/** Reusable schema fragments. */
export const ID_SCHEMA = { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' } as const;
export const ADDRESS_SCHEMA = { type: 'string', minLength: 3, maxLength: 300 } as const;
export const NAME_SCHEMA = { type: 'string', minLength: 1, maxLength: 64 } as const;
export const SAFE_INT_SCHEMA = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
export const SHA256_HEX_SCHEMA = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
export const UUID_SCHEMA = { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' } as const;

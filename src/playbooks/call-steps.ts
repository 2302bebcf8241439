/**
 * Steps that make one `node` call (DESIGN.md §2.3: join, send, sendFile, export, ...): every
 * method of the API table with a playbook step. One reader, one description and one call for all
 * of them, driven by the table's step spec and parameter kinds; adding such a method needs no
 * change here.
 */
import { apiMethod, callArgs, stepMethod, stepParams, type ApiMethod, type ApiParam, type CallStepKind, type StepSpec } from '../runtime/api.ts';
import { formatUnits, type Units } from '../runtime/ledger/amount.ts';
import { isRecord, type CheckContext } from './check-context.ts';
import type { CallAction, CustomFields, FilePath, PeerRef, StepAction, StepValue } from './playbook.ts';
import type { DocPath } from './source-map.ts';

export function isCallKind(kind: string): kind is CallStepKind {
  return stepMethod(kind) !== undefined;
}

export function isCallAction(a: { readonly kind: string }): a is CallAction {
  return isCallKind(a.kind);
}

function specOf(kind: string): { method: ApiMethod; step: StepSpec } {
  const method = stepMethod(kind)!;
  return { method, step: method.exposed.step! };
}

/** The node that makes the call. */
export function callerOf(a: CallAction): string {
  const { step } = specOf(a.kind);
  return a[step.caller === 'value' ? 'node' : step.caller] as string;
}

/** Where files named by steps go: a file to send must exist, unless an `export` writes it first. */
export interface FileUse {
  read(file: FilePath, path: DocPath): void;
  write(file: FilePath): void;
}

/** Reads a call step; reports problems to `ctx` and returns undefined when there is any. */
export function readCall(ctx: CheckContext, kind: CallStepKind, v: unknown, p: DocPath, files: FileUse): StepAction | undefined {
  const { method, step } = specOf(kind);
  if (step.caller === 'value') {
    const node = ctx.node(v, p);
    return node === undefined ? undefined : ({ kind, node } as CallAction);
  }
  const o = isRecord(v) ? v : {};
  const at = (key: string): DocPath => [...p, key];
  const caller = ctx.node(o[step.caller], at(step.caller));
  const out: Record<string, StepValue> = {};
  let ok = caller !== undefined;
  for (const { param, key } of stepParams(method)) {
    const raw = o[key];
    if (raw === undefined) {
      ok &&= param.optional === true; // a missing key is the schema's to report
      continue;
    }
    const value = readValue(ctx, param, raw, at(key), files);
    if (value === undefined) {
      ok = false;
      continue;
    }
    const refNode = (r: PeerRef): string | undefined => ('node' in r ? r.node : undefined);
    const named =
      param.kind === 'address' ? refNode(value as PeerRef)
      : param.kind === 'addresses' ? (value as readonly PeerRef[]).map(refNode).find((n) => n === caller)
      : isPeer(param) ? value : undefined;
    if (caller !== undefined && named === caller) {
      const message = param.kind === 'address' || param.kind === 'addresses' ? (step.selfError ?? 'a node cannot be a peer of itself') : `${step.caller} and ${key} are the same node ('${caller}')`;
      ctx.report(at(key), message);
      ok = false;
      continue;
    }
    out[key] = value;
  }
  return ok ? ({ kind, [step.caller]: caller!, ...out } as CallAction) : undefined;
}

function isPeer(p: ApiParam): boolean {
  return p.kind === 'account' || p.kind === 'peer';
}

function readValue(ctx: CheckContext, p: ApiParam, raw: unknown, path: DocPath, files: FileUse): StepValue | undefined {
  switch (p.kind) {
    case 'account':
    case 'peer':
      return ctx.node(raw, path);
    case 'address':
      return ctx.peer(raw, path);
    case 'addresses': {
      if (!Array.isArray(raw)) return undefined;
      const refs = raw.map((x, i) => ctx.peer(x, [...path, i]));
      return refs.every((r): r is PeerRef => r !== undefined) ? refs : undefined;
    }
    case 'amount':
      return ctx.amount(raw, path);
    case 'path': {
      const file = ctx.file(raw, path);
      if (file && p.io === 'write') files.write(file);
      else if (file) files.read(file, path);
      return file;
    }
    case 'fields':
      return isRecord(raw) && ctx.isClean(path) ? (raw as CustomFields) : undefined;
    default:
      return undefined;
  }
}

/** The step values shown one after another: names, amounts, paths, fields. */
export interface ValueText {
  amount(units: bigint): string;
}

function valueText(p: ApiParam, v: StepValue, fmt: ValueText): string {
  switch (p.kind) {
    case 'address':
      return peerText(v as PeerRef);
    case 'addresses':
      return (v as readonly PeerRef[]).map(peerText).join(', ');
    case 'amount':
      return fmt.amount(v as Units);
    case 'path':
      return (v as FilePath).text;
    case 'fields':
      return JSON.stringify(v);
    default:
      return String(v);
  }
}

function peerText(p: PeerRef): string {
  return 'node' in p ? p.node : p.address;
}

/** `alice send bob 25.50`, `leave carol`: the caller, the step and its values in parameter order. */
export function describeCall(a: CallAction, fmt: ValueText): string {
  const { method, step } = specOf(a.kind);
  if (step.caller === 'value') return `${a.kind} ${a.node as string}`;
  const values = stepParams(method).flatMap(({ param, key }) => (a[key] === undefined ? [] : [valueText(param, a[key]!, fmt)]));
  return [callerOf(a), a.kind, ...values].join(' ');
}

/** A robot action as text, the same way: `alice send bob 2.50`, then fields if it has them. */
export function describeRobotAction(r: { node: string; kind: string; to: string; amount?: bigint; fields?: object }, fmt: ValueText): string {
  return [r.node, r.kind, r.to, ...(r.amount !== undefined ? [fmt.amount(r.amount)] : []), ...(r.fields ? [JSON.stringify(r.fields)] : [])].join(' ');
}

/** What a call needs from the playbook's nodes: a node's id (an account) or address (a peer). */
export interface NodeRefs {
  id(node: string): string;
  address(node: string): string;
  scale: number;
}

/**
 * A call's value for a parameter: a playbook node stands for its account id where money goes
 * (`account`) and for its address otherwise; amounts at the network scale, paths resolved.
 */
export function argValue(p: ApiParam, v: StepValue | undefined, refs: NodeRefs): unknown {
  if (v === undefined) return undefined;
  const address = (r: PeerRef): string => ('node' in r ? refs.address(r.node) : r.address);
  switch (p.kind) {
    case 'account':
      return refs.id(v as string);
    case 'peer':
      return refs.address(v as string);
    case 'address':
      return address(v as PeerRef);
    case 'addresses':
      return (v as readonly PeerRef[]).map(address);
    case 'amount':
      return formatUnits(v as Units, refs.scale);
    case 'path':
      return (v as FilePath).resolved;
    case 'fields':
      return { ...(v as CustomFields) };
    default:
      return v;
  }
}

/** The call a step makes: its caller, the method and the arguments. */
export function stepCall(a: CallAction, refs: NodeRefs): { node: string; method: string; args: unknown[] } {
  const { method, step } = specOf(a.kind);
  return { node: callerOf(a), method: method.name, args: callArgs(method, (p) => (step.args[p.name] ? argValue(p, a[step.args[p.name]!], refs) : undefined)) };
}

/** The call a robot action makes: its target is the peer (or account), then an amount and fields if the method takes them. */
export function robotCall(r: { kind: string; to: string; amount?: Units; fields?: CustomFields }, refs: NodeRefs): { method: string; args: unknown[] } {
  const method = apiMethod(r.kind)!;
  const value = (p: ApiParam): StepValue | undefined => (isPeer(p) ? r.to : p.kind === 'amount' ? r.amount : p.kind === 'fields' ? r.fields : undefined);
  return { method: method.name, args: callArgs(method, (p) => argValue(p, value(p), refs)) };
}

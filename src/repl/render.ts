/**
 * How REPL results look: tables for peers, transactions, balances and the inbox, a details view,
 * and one line for an error. Renderers are chosen by the result shape the API table gives the node
 * method a value came from, then by the value's own shape; anything else falls back to util.inspect.
 */
import { inspect } from 'node:util';
import { apiMethod, type ResultShape, type ResultSpec } from '../runtime/api.ts';
import { isPeerlabError } from '../runtime/errors.ts';
import type { PeerlabEvent } from '../runtime/events.ts';
import { compact, formatEvent } from './event-line.ts';
import type { NameBook } from './names.ts';
import type { Paint } from './paint.ts';
import { renderKeyValues, renderTable, type Column } from './table.ts';
import { bytes } from './bytes.ts';

export interface RenderContext {
  paint: Paint;
  names: NameBook;
  /** Terminal width (80 when unknown). */
  width: number;
  colors: boolean;
}

type Row = Record<string, unknown>;

const isRow = (v: unknown): v is Row => v !== null && typeof v === 'object' && !Array.isArray(v);
const isRows = (v: unknown): v is Row[] => Array.isArray(v) && v.length > 0 && v.every(isRow);

/** A value as the REPL shows it; `origin` is the node method that returned it (`peers`, `details`, ...). */
export function renderValue(value: unknown, origin: string | undefined, ctx: RenderContext): string {
  const special = origin ? byOrigin(value, origin, ctx) : undefined;
  if (special !== undefined) return special;
  if (Array.isArray(value) && value.length > 0 && value.every(isEvent)) return value.map((e) => formatEvent(e, ctx.paint, ctx.names)).join('\n');
  if (isRows(value) && looksLikePeers(value)) return renderPeers(value, ctx);
  if (isRows(value) && looksLikeTransactions(value)) return renderTransactions(value, ctx);
  return inspect(value, { colors: ctx.colors, depth: 4, breakLength: ctx.width });
}

/** Results of calls the API table does not list: the control server's own, and a namespace helper. */
const OTHER_RESULTS: Readonly<Record<string, ResultSpec>> = { 'heartbeat.get': { shape: 'heartbeat' }, 'robot.done': { shape: 'robot' } };

/** Rendered by what the API table says the method's result looks like, never by its name. */
function byOrigin(value: unknown, origin: string, ctx: RenderContext): string | undefined {
  const spec = apiMethod(origin)?.result ?? OTHER_RESULTS[origin];
  if (!spec) return undefined;
  if (spec.empty !== undefined && Array.isArray(value) && value.length === 0) return ctx.paint.dim(spec.empty);
  return byShape(value, spec.shape, ctx);
}

function byShape(value: unknown, shape: ResultShape, ctx: RenderContext): string | undefined {
  switch (shape) {
    case 'peers':
      return isRows(value) ? renderPeers(value, ctx) : undefined;
    case 'peer':
      return isRow(value) && looksLikePeers([value]) ? renderPeers([value], ctx) : undefined;
    case 'details':
      return isRow(value) ? renderDetails(value, ctx) : undefined;
    case 'transactions':
      return isRows(value) ? renderTransactions(value, ctx) : undefined;
    case 'transaction':
      return isRow(value) ? renderOneTransaction(value, ctx) : undefined;
    case 'text':
      return typeof value === 'string' ? value : undefined;
    case 'counters':
      return isRow(value) ? renderGrouped(value, ctx) : undefined;
    case 'sent':
      return isRow(value) && value.amount !== undefined ? sentLine(value, ctx) : undefined;
    case 'sent-with-file':
      return isRow(value) && isRow(value.transaction) ? [sentLine(value.transaction, ctx), isRow(value.file) ? fileLine(value.file, ctx) : ''].filter(Boolean).join('\n') : undefined;
    case 'file-sent':
      return isRow(value) && (value.sha256 !== undefined || value.bytes !== undefined) ? fileLine(value, ctx) : undefined;
    case 'synced':
      return isRow(value) && Array.isArray(value.peers) ? syncLine(value, ctx) : undefined;
    case 'exported':
      return isRow(value) && typeof value.path === 'string' ? `exported ${compact(value.rows ?? '?')} row${value.rows === 1 ? '' : 's'} to ${value.path}` : undefined;
    case 'faults':
      return isRow(value) ? `faults: ${faultText(value)}` : undefined;
    case 'heartbeat':
      return isRow(value) ? `heartbeat: interval ${compact(value.interval)} ms, timeout ${compact(value.timeout)} ms` : undefined;
    case 'cleared':
      return isRow(value) && typeof value.cleared === 'number' ? `cleared ${value.cleared} log entr${value.cleared === 1 ? 'y' : 'ies'}` : undefined;
    case 'removed':
      return isRow(value) && typeof value.removed === 'string' ? `removed ${value.removed} (banned until node.addPeer('${value.removed}'))` : undefined;
    case 'peer-balance':
      return isRow(value) && value.balance !== undefined ? `${compact(value.name ?? value.peer)} shows ${ctx.paint.bold(compact(value.balance))}${value.spendable !== undefined ? ctx.paint.dim(` (spendable ${compact(value.spendable)})`) : ''}` : undefined;
    case 'left':
      return isRow(value) && typeof value.told === 'number' ? `left: told ${value.told} peer${value.told === 1 ? '' : 's'}, node stopped` : undefined;
    case 'double-spent':
      return isRow(value) && Array.isArray(value.transactions)
        ? `double spend at seq ${compact(value.seq)}: ${(value.transactions as Array<Record<string, unknown>>).map((t) => `${compact(t.amount)} → ${compact(t.to)} (${String(t.id).slice(0, 8)})`).join(', ')}; each sent to its recipient only`
        : undefined;
    case 'crashed':
      return isRow(value) && typeof value.lost === 'number' ? `crashed: nobody told, ${value.lost} unflushed write${value.lost === 1 ? '' : 's'} lost (node.restart() brings it back)` : undefined;
    case 'restarted':
      return isRow(value) && typeof value.address === 'string'
        ? `restarted on ${value.address}: ${compact(value.transactions)} transaction${value.transactions === 1 ? '' : 's'}, ${compact(value.peers)} saved peer${value.peers === 1 ? '' : 's'} to greet again`
        : undefined;
    case 'event':
      return isEvent(value) ? formatEvent(value, ctx.paint, ctx.names) : undefined;
    case 'events':
      return Array.isArray(value) && value.every(isEvent) ? value.map((e) => formatEvent(e, ctx.paint, ctx.names)).join('\n') : undefined;
    case 'forks':
      return undefined; // only an empty list is worth a sentence
    case 'inbox':
      return isRows(value) ? renderInbox(value, ctx) : undefined;
    case 'milliseconds':
      return typeof value === 'number' ? `${value} ms` : undefined;
    case 'balances':
      return renderBalances(value, ctx);
    case 'robot':
      return isRow(value) ? renderRobot(value, ctx) : undefined;
    case 'balance':
      return isRow(value) && value.balance !== undefined ? `${ctx.paint.bold(compact(value.balance))}${value.spendable !== undefined ? ctx.paint.dim(` (spendable ${compact(value.spendable)})`) : ''}` : undefined;
  }
}

function looksLikePeers(rows: Row[]): boolean {
  return rows.every((r) => typeof r.addr === 'string' && typeof r.id === 'string' && 'state' in r);
}

function looksLikeTransactions(rows: Row[]): boolean {
  return rows.every((r) => {
    const t = isRow(r.txn) ? r.txn : r;
    return 'amount' in t && ('from' in t || 'sender' in t);
  });
}

function isEvent(v: unknown): v is PeerlabEvent {
  return isRow(v) && typeof v.type === 'string' && typeof v.node === 'string' && typeof v.time === 'number' && 'data' in v;
}

export function renderPeers(rows: Row[], ctx: RenderContext): string {
  const { paint } = ctx;
  for (const r of rows) ctx.names.add(r.id, r.name);
  const state = (s: unknown): string => {
    const t = String(s ?? '');
    return t === 'alive' ? paint.green(t) : t === 'suspected' ? paint.yellow(t) : paint.red(t);
  };
  const columns: Column[] = [{ header: 'name' }, { header: 'address' }, { header: 'id' }, { header: 'state' }, { header: 'last seen', align: 'right' }, { header: 'rtt', align: 'right' }];
  const body = rows.map((r) => [
    String(r.name ?? ''),
    String(r.addr ?? ''),
    String(r.shortId ?? ctx.names.label(r.id)),
    state(r.state),
    typeof r.lastSeenMs === 'number' ? ago(r.lastSeenMs) : '',
    typeof r.rttMs === 'number' ? `${round(r.rttMs)} ms` : '',
  ]);
  return renderTable(columns, body, { paint, maxWidth: ctx.width });
}

/** Rows of `transactions()` ({index, txn, status, reason}) or bare transactions. */
export function renderTransactions(rows: Row[], ctx: RenderContext): string {
  const { paint } = ctx;
  const columns: Column[] = [
    { header: '#', align: 'right' },
    { header: 'id' },
    { header: 'from' },
    { header: 'to' },
    { header: 'amount', align: 'right' },
    { header: 'lamport', align: 'right' },
    { header: 'time' },
    { header: 'status' },
    { header: 'fields / file' },
  ];
  const body = rows.map((r, i) => {
    const t = isRow(r.txn) ? r.txn : r;
    const extra = [
      isRow(t.fields) && Object.keys(t.fields).length > 0 ? Object.entries(t.fields).map(([k, v]) => `${k}=${compact(v, 20)}`).join(' ') : '',
      isRow(t.file) ? `📎 ${String(t.file.name ?? '')}` : '',
      Array.isArray(r.missing) && r.missing.length > 0 ? `missing ${r.missing.length}` : typeof r.missing === 'number' && r.missing > 0 ? `missing ${r.missing}` : '',
    ].filter(Boolean).join(' ');
    return [
      String(r.index ?? i),
      typeof t.id === 'string' ? t.id.slice(0, 8) : '',
      ctx.names.label(t.from ?? t.sender),
      ctx.names.label(t.to ?? t.receiver),
      compact(t.amount),
      t.lamport === undefined ? '' : String(t.lamport),
      typeof t.time === 'number' ? hhmmss(t.time) : typeof t.timestamp === 'number' ? hhmmss(t.timestamp) : '',
      status(r.status, r.reason, paint),
      extra,
    ];
  });
  return renderTable(columns, body, { paint, maxWidth: ctx.width });
}

function status(s: unknown, reason: unknown, paint: Paint): string {
  if (s === undefined || s === null) return '';
  const t = String(s);
  const why = reason ? ` ${String(reason)}` : '';
  if (t === 'valid' || t === 'accepted') return paint.green(t);
  if (t === 'void' || t === 'voided') return paint.yellow(t + why);
  if (t === 'pending') return paint.blue(t);
  return paint.red(t + why);
}

function renderOneTransaction(r: Row, ctx: RenderContext): string {
  const nested = isRow(r.txn);
  const t = nested ? (r.txn as Row) : r;
  const pairs: [string, string][] = [];
  if (r.index !== undefined) pairs.push(['index', String(r.index)]);
  const idOf = (k: 'from' | 'to'): unknown => t[`${k}Id`] ?? t[k];
  for (const [k, v] of Object.entries(t)) {
    if (k === 'sig' || k === 'index' || k === 'fromId' || k === 'toId' || k === 'status' || k === 'reason' || v === undefined) continue;
    if (k === 'from' || k === 'to') {
      const id = idOf(k);
      const label = typeof v === 'string' && v.length > 16 ? ctx.names.label(v) : String(v);
      pairs.push([k, `${label}${typeof id === 'string' && id !== label ? ctx.paint.dim(` ${id}`) : ''}`]);
    } else if (k === 'time' && typeof v === 'number') pairs.push([k, new Date(v).toISOString()]);
    else if (k === 'fields' && isRow(v)) pairs.push([k, Object.entries(v).map(([a, b]) => `${a}=${compact(b, 40)}`).join(' ')]);
    else pairs.push([k, compact(v, 100)]);
  }
  if (r.status !== undefined) pairs.push(['status', status(r.status, r.reason, ctx.paint)]);
  return renderKeyValues(pairs, ctx.paint);
}

function sentLine(r: Row, ctx: RenderContext): string {
  const id = typeof r.id === 'string' ? r.id.slice(0, 8) : '';
  return `${ctx.paint.green('sent')} ${ctx.paint.bold(compact(r.amount))} ${ctx.names.label(r.from)} → ${ctx.names.label(r.to)} ${ctx.paint.dim(`(#${compact(r.seq)}, id ${id}, lamport ${compact(r.lamport)})`)}`;
}

function fileLine(r: Row, ctx: RenderContext): string {
  const size = typeof r.bytes === 'number' ? bytes(r.bytes) : typeof r.size === 'number' ? bytes(r.size) : '';
  const sha = typeof r.sha256 === 'string' ? r.sha256.slice(0, 12) : '';
  return `${ctx.paint.green('file delivered')} ${compact(r.name ?? '')} ${size}${r.to ? ` to ${compact(r.to)}` : ''} ${ctx.paint.dim(`sha256 ${sha}${typeof r.ms === 'number' ? `, ${r.ms} ms` : ''}`)}`;
}

function syncLine(r: Row, ctx: RenderContext): string {
  const peers = (r.peers as unknown[]).filter(isRow).map((p) => {
    const who = String(p.name ?? p.peer ?? '?');
    return p.error ? ctx.paint.yellow(`${who} failed: ${compact(p.error, 60)}`) : `${who} ${compact(p.learned ?? 0)}${p.via ? ctx.paint.dim(` via ${compact(p.via)}`) : ''}`;
  });
  const head = `learned ${ctx.paint.bold(compact(r.learned ?? 0))} transaction${r.learned === 1 ? '' : 's'}`;
  return `${head}${peers.length ? ` from ${peers.join(', ')}` : ' (no peers)'}${r.digest ? ctx.paint.dim(` · digest ${compact(r.digest, 24)}`) : ''}`;
}

/** Counters: one line per group (`messages  in 25 · out 32 · ...`). */
function renderGrouped(v: Row, ctx: RenderContext): string {
  const pairs: [string, string][] = Object.entries(v).map(([k, x]) => {
    if (!isRow(x)) return [k, compact(x)];
    const inner = flatten(x);
    return [k, inner.length === 0 ? ctx.paint.dim('none') : inner.map(([a, b]) => `${a} ${compact(b)}`).join(ctx.paint.dim(' · '))];
  });
  return renderKeyValues(pairs, ctx.paint);
}

export function renderBalances(v: unknown, ctx: RenderContext): string | undefined {
  let rows: { account: string; balance: unknown; spendable: unknown }[];
  if (Array.isArray(v)) {
    if (!v.every(isRow)) return undefined;
    rows = v.map((r) => {
      ctx.names.add(r.account, r.name);
      return { account: String(r.account ?? r.id ?? r.name ?? ''), balance: r.balance ?? r.amount, spendable: r.spendable };
    });
  } else if (isRow(v)) {
    rows = Object.entries(v).map(([account, b]) =>
      isRow(b) ? { account, balance: b.balance, spendable: b.spendable } : { account, balance: b, spendable: undefined },
    );
  } else {
    return undefined;
  }
  if (rows.length === 0) return ctx.paint.dim('no balances yet');
  const withSpendable = rows.some((r) => r.spendable !== undefined);
  const columns: Column[] = [{ header: 'account' }, { header: 'balance', align: 'right' }, ...(withSpendable ? [{ header: 'spendable', align: 'right' as const }] : [])];
  const body = rows.map((r) => [ctx.names.label(r.account), compact(r.balance), ...(withSpendable ? [compact(r.spendable)] : [])]);
  return renderTable(columns, body, { paint: ctx.paint, maxWidth: ctx.width });
}

function renderInbox(rows: Row[], ctx: RenderContext): string {
  const columns: Column[] = [{ header: 'name' }, { header: 'from' }, { header: 'size', align: 'right' }, { header: 'sha256' }, { header: 'received' }, { header: 'file' }];
  const body = rows.map((r) => [
    String(r.name ?? ''),
    typeof r.fromName === 'string' ? r.fromName : ctx.names.label(r.from),
    typeof r.size === 'number' ? bytes(r.size) : compact(r.size),
    typeof r.sha256 === 'string' ? r.sha256.slice(0, 12) : '',
    typeof r.receivedAt === 'number' ? hhmmss(r.receivedAt) : '',
    String(r.file ?? r.path ?? ''),
  ]);
  return renderTable(columns, body, { paint: ctx.paint, maxWidth: ctx.width });
}

function renderRobot(r: Row, ctx: RenderContext): string {
  const { paint } = ctx;
  const head = `robot ${r.running ? paint.green('running') : paint.dim('stopped')}${typeof r.every === 'number' ? `, every ${r.every} ms` : ''}${r.maxAmount !== undefined ? `, max ${compact(r.maxAmount)}` : ''}${r.seed !== undefined ? `, seed ${compact(r.seed)}` : ''}, ${compact(r.actions ?? 0)} actions`;
  const outcomes = isRow(r.outcomes)
    ? Object.entries(r.outcomes)
        .filter(([, o]) => isRow(o) && (Number(o.ok) > 0 || Number(o.failed) > 0))
        .map(([k, o]) => `${k} ${compact((o as Row).ok)} ok${Number((o as Row).failed) > 0 ? paint.yellow(` ${compact((o as Row).failed)} failed`) : ''}`)
    : [];
  return [head, ...(outcomes.length ? [`  ${outcomes.join(', ')}`] : []), ...(r.lastError ? [paint.dim(`  last error: ${compact(r.lastError, 100)}`)] : [])].join('\n');
}

/** `node.details()`: identity and settings, then peers and balances as tables. */
export function renderDetails(d: Row, ctx: RenderContext): string {
  const { paint } = ctx;
  ctx.names.learn(d);
  const out: string[] = [];
  const title = [paint.bold(String(d.name ?? 'node')), d.address ? String(d.address) : '', d.shortId ? paint.dim(`id ${String(d.shortId)}`) : ''].filter(Boolean).join('  ');
  out.push(title);
  const pairs: [string, string][] = [];
  const skip = new Set(['name', 'shortId', 'peers', 'balances', 'retrying', 'banned', 'files']);
  for (const [k, v] of Object.entries(d)) {
    if (skip.has(k) || v === undefined) continue;
    if (k === 'address' && d.advertised === v) continue;
    if (k === 'uptimeMs' && typeof v === 'number') pairs.push(['uptime', ago(v).replace(' ago', '')]);
    else if (k === 'faults') pairs.push([k, faultText(v)]);
    else if (k === 'dataDir') pairs.push(['data dir', v === null ? paint.dim('memory') : compact(v, 100)]);
    else if (k === 'balance' && isRow(v) && v.balance !== undefined) pairs.push([k, `${paint.bold(compact(v.balance))}${v.spendable !== undefined ? paint.dim(` (spendable ${compact(v.spendable)})`) : ''}`]);
    else if (k === 'heartbeat' && isRow(v)) pairs.push([k, `interval ${compact(v.interval)} ms, timeout ${compact(v.timeout)} ms`]);
    else if (isRow(v)) pairs.push([k, Object.entries(v).map(([a, b]) => `${a} ${compact(b, 30)}`).join(', ')]);
    else pairs.push([k, v === null ? paint.dim('none') : compact(v, 100)]);
  }
  out.push(renderKeyValues(pairs, paint, 2));
  if (Array.isArray(d.peers)) {
    out.push('', paint.bold(`peers (${d.peers.length})`));
    out.push(d.peers.length === 0 ? paint.dim('  none') : indent(renderPeers(d.peers.filter(isRow), ctx)));
  }
  if (d.balances !== undefined) {
    const b = renderBalances(d.balances, ctx);
    out.push('', paint.bold('balances'), indent(b ?? compact(d.balances, 200)));
  }
  if (Array.isArray(d.files) && d.files.length > 0) {
    out.push('', paint.bold(`files received (${d.files.length})`), indent(renderInbox(d.files.filter(isRow), ctx)));
  }
  if (Array.isArray(d.retrying) && d.retrying.length > 0) {
    out.push('', paint.bold('retrying'), indent(d.retrying.map((r) => (isRow(r) ? `${String(r.name ?? '')} ${String(r.addr ?? '')} next try in ${compact(r.nextTryMs)} ms` : compact(r))).join('\n')));
  }
  if (Array.isArray(d.banned) && d.banned.length > 0) {
    out.push('', paint.bold('banned'), indent(d.banned.map((b) => compact(b)).join('\n')));
  }
  return out.join('\n');
}

function faultText(v: unknown): string {
  if (!isRow(v)) return compact(v);
  const node = isRow(v.node) ? Object.entries(v.node).filter(([, x]) => x !== 0).map(([k, x]) => `${k} ${compact(x)}`) : [];
  const links = isRow(v.links) ? Object.keys(v.links) : [];
  const parts = [...node];
  if (links.length > 0) parts.push(`link faults to ${links.join(', ')}`);
  if (Array.isArray(v.partitioned) && v.partitioned.length > 0) parts.push(`partitioned from ${v.partitioned.join(', ')}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

/** An error as ONE line: `✖ message (CODE)`; never a stack trace. */
export function formatError(err: unknown, paint: Paint, prefix = ''): string {
  let text: string;
  const e = err as { name?: unknown; message?: unknown; code?: unknown } | null;
  if (isPeerlabError(err)) text = `${oneLine(err.message)} ${paint.dim(`(${err.code})`)}`;
  else if (e && typeof e === 'object' && typeof e.message === 'string') {
    // Errors thrown in the REPL's context come from another realm: no instanceof.
    const name = typeof e.name === 'string' && e.name !== 'Error' ? `${e.name}: ` : '';
    text = `${name}${oneLine(e.message)}${typeof e.code === 'string' && !name ? ` ${paint.dim(`(${e.code})`)}` : ''}`;
  } else text = `thrown: ${oneLine(inspect(err, { depth: 1, breakLength: Infinity }))}`;
  return `${paint.red('✖')} ${prefix}${text}`;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

function flatten(v: Row, prefix = ''): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, x] of Object.entries(v)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isRow(x) && Object.keys(x).length > 0) out.push(...flatten(x, key));
    else if (!isRow(x)) out.push([key, x]);
  }
  return out;
}

function indent(s: string, n = 2): string {
  const pad = ' '.repeat(n);
  return s.split('\n').map((l) => pad + l).join('\n');
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function ago(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms ago`;
  if (ms < 60_000) return `${round(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s ago`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.floor((ms % 3_600_000) / 60_000)} min ago`;
}

function hhmmss(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

export { bytes };

/**
 * `expect` and `waitFor` conditions (DESIGN.md §2.3): read into one `Condition` per check, with
 * `all` and "a count for every node" expanded, so a runner evaluates and reports each on its own.
 */
import { isRecord, type CheckContext } from './check-context.ts';
import type { Condition, PeerStateName } from './playbook.ts';
import { formatPath, type DocPath } from './source-map.ts';

type Counted = { node: string; count: number };

export function readConditions(ctx: CheckContext, raw: Record<string, unknown>, path: DocPath): Condition[] | undefined {
  const out: Condition[] = [];
  let ok = true;
  const add = (c: Condition | undefined): void => {
    if (c) out.push(c);
    else ok = false;
  };
  for (const [key, v] of Object.entries(raw)) {
    const p = [...path, key];
    const at = formatPath(p);
    switch (key) {
      case 'within':
        break;
      case 'converged':
      case 'sameOrder': {
        const nodes = ctx.nodeSet(v, p);
        add(nodes && { path: at, kind: key, nodes });
        break;
      }
      case 'balances': {
        if (!isRecord(v) || ctx.isBlocked(p)) { ok = false; break; }
        const balances = Object.entries(v).map(([name, amount]) => {
          const node = ctx.node(name, [...p, name], 'key');
          const units = ctx.amount(amount, [...p, name], { allowZero: true });
          return node !== undefined && units !== undefined ? { node, amount: units } : undefined;
        });
        add(balances.every((b) => b !== undefined) ? { path: at, kind: 'balances', balances } : undefined);
        break;
      }
      case 'totalBalance': {
        const amount = ctx.amount(v, p, { allowZero: true });
        add(amount !== undefined ? { path: at, kind: 'totalBalance', amount } : undefined);
        break;
      }
      case 'noNegativeBalances':
        if (v === true) out.push({ path: at, kind: 'noNegativeBalances' });
        break;
      case 'transactions':
      case 'peers': {
        const counts = readCounts(ctx, v, p);
        add(counts && { path: at, kind: key, counts });
        break;
      }
      case 'peerState':
        for (const [item, ip] of items(v, p)) {
          const node = ctx.node(item.node, [...ip, 'node']);
          const peer = ctx.node(item.peer, [...ip, 'peer']);
          if (node !== undefined && node === peer) ctx.report([...ip, 'peer'], 'a node is not its own peer');
          add(node !== undefined && peer !== undefined && node !== peer
            ? { path: formatPath(ip), kind: 'peerState', node, peer, state: item.state as PeerStateName }
            : undefined);
        }
        break;
      case 'fileReceived':
        for (const [item, ip] of items(v, p)) {
          const node = ctx.node(item.node, [...ip, 'node']);
          add(node !== undefined && typeof item.sha256 === 'string'
            ? { path: formatPath(ip), kind: 'fileReceived', node, sha256: item.sha256.toLowerCase() }
            : undefined);
        }
        break;
      case 'logged':
        for (const [item, ip] of items(v, p)) {
          const nodes = ctx.nodeOrAll(item.node, [...ip, 'node']);
          add(nodes && typeof item.type === 'string' ? { path: formatPath(ip), kind: 'logged', nodes, type: item.type } : undefined);
        }
        break;
      default:
        ok = false; // unknown key: reported by the schema
    }
  }
  return ok ? out : undefined;
}

/** `12` (every node) or `{ alice: 2, bob: 3 }`. */
function readCounts(ctx: CheckContext, v: unknown, path: DocPath): Counted[] | undefined {
  if (ctx.isBlocked(path)) return undefined;
  if (typeof v === 'number') return ctx.nodeNames.map((node) => ({ node, count: v }));
  if (!isRecord(v)) return undefined;
  const counts = Object.entries(v).map(([name, count]) => {
    const node = ctx.node(name, [...path, name], 'key');
    return node !== undefined && typeof count === 'number' ? { node, count } : undefined;
  });
  return counts.every((c): c is Counted => c !== undefined) ? counts : undefined;
}

/** A single `{...}` or a list of them, with their paths. */
function items(v: unknown, path: DocPath): [Record<string, unknown>, DocPath][] {
  if (isRecord(v)) return [[v, path]];
  if (Array.isArray(v)) return v.flatMap((item, i): [Record<string, unknown>, DocPath][] => (isRecord(item) ? [[item, [...path, i]]] : []));
  return [];
}

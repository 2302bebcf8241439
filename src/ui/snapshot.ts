/**
 * What the page shows of each node between events: identity, peers and their state, balances,
 * faults, robot, counts. Read through the nodes' own read methods (`details`, `robot.status`), so
 * it works the same for a node in this process or behind a control socket. The sum of the nodes'
 * balances is added up exactly (decimal units, never floating point).
 */
import { formatUnits, parseAmount } from '../runtime/ledger/amount.ts';
import type { LiveNode } from './live-source.ts';

export interface NodeSnapshot {
  name: string;
  id: string;
  address: string;
  running: boolean;
  /** From `details()` (absent for a node that is down). */
  lamport?: number;
  balance?: { balance: string; spendable: string };
  peers?: Array<{ name: string; addr: string; id: string; state: string; rttMs?: number | undefined }>;
  /** Peers removed for silence, still tried now and then. */
  retrying?: Array<{ name: string; addr: string }>;
  /** Peers a user removed (banned until added again): their addresses and ids. */
  banned?: { ids: string[]; addrs: string[] };
  faults?: { node: Record<string, number>; links: Record<string, Record<string, number>>; partitioned: string[] };
  counts?: Record<string, number>;
  digest?: string;
  scale?: number;
  robot?: { running: boolean; actions: number; every: number };
  /** Why the node could not be read, if it could not. */
  error?: string;
}

export interface ViewSnapshot {
  nodes: NodeSnapshot[];
  /** Sum of the running nodes' own shown balances, exact. */
  total: string | null;
}

/** Reads every node (in parallel); a node that fails to answer is shown with its error. */
export async function snapshot(nodes: readonly LiveNode[]): Promise<ViewSnapshot> {
  const out = await Promise.all(nodes.map(readNode));
  return { nodes: out, total: total(out) };
}

async function readNode(n: LiveNode): Promise<NodeSnapshot> {
  const base: NodeSnapshot = { name: safe(() => n.name, '?'), id: safe(() => n.id, ''), address: safe(() => n.address, ''), running: safe(() => n.running, false) };
  if (!base.running) return base;
  try {
    const [d, robot] = await Promise.all([n.call('details', []) as Promise<Record<string, unknown>>, n.call('robot.status', []).catch(() => undefined) as Promise<Record<string, unknown> | undefined>]);
    const net = d.network as { scale?: number } | undefined;
    const s: NodeSnapshot = {
      ...base,
      id: typeof d.id === 'string' ? d.id : base.id,
      address: typeof d.advertised === 'string' ? d.advertised : base.address,
      lamport: d.lamport as number,
      balance: d.balance as NodeSnapshot['balance'],
      peers: ((d.peers as NodeSnapshot['peers']) ?? []).map((p) => ({ name: p.name, addr: p.addr, id: p.id, state: p.state, rttMs: p.rttMs })),
      retrying: ((d.retrying as Array<{ name: string; addr: string }>) ?? []).map((r) => ({ name: r.name, addr: r.addr })),
      banned: (d.banned as NodeSnapshot['banned']) ?? { ids: [], addrs: [] },
      faults: d.faults as NodeSnapshot['faults'],
      counts: d.counts as Record<string, number>,
      digest: d.digest as string,
    };
    if (typeof net?.scale === 'number') s.scale = net.scale;
    if (robot) s.robot = { running: robot.running === true, actions: Number(robot.actions ?? 0), every: Number(robot.every ?? 0) };
    return s;
  } catch (err) {
    // A node can stop between the check and the call: shown as it is.
    return { ...base, running: safe(() => n.running, false), error: (err as Error).message };
  }
}

function total(nodes: NodeSnapshot[]): string | null {
  let sum = 0n;
  let scale: number | undefined;
  for (const n of nodes) {
    if (!n.balance) continue;
    const sc = n.scale ?? 2;
    if (scale !== undefined && sc !== scale) return null;
    scale = sc;
    const r = parseAmount(n.balance.balance, sc, { allowZero: true });
    if (!r.ok) return null;
    sum += r.units;
  }
  return scale === undefined ? null : formatUnits(sum, scale);
}

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

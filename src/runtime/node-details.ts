import { shortId } from './identity.ts';
import type { HeartbeatSettings } from './membership/heartbeat.ts';
import type { FaultPlan } from './net/faults.ts';
import type { Node } from './node.ts';
import type { Parts } from './parts.ts';
import type { Stats } from './stats.ts';
import { receivedWithPayments } from './transfer/payments.ts';

/** What a running node's details are made of, beyond its public face. */
export interface DetailsSource {
  node: Node;
  parts: Parts;
  now: number;
  /** `clock.monotonic()` now: retry times are monotonic. */
  mono: number;
  startedAt: number;
  hb: HeartbeatSettings;
  faultPlan: FaultPlan;
  logs: number;
  stats: Stats;
}

/** `node.details()`: everything the node-details window of the original system showed, as data. */
export function nodeDetails(s: DetailsSource): Record<string, unknown> {
  const { node, parts: { table, ledger, transfer, names }, now, stats } = s;
  return {
    name: node.name, id: node.id, shortId: node.shortId, address: node.address, advertised: node.advertised,
    lamport: node.lamportTime, uptimeMs: now - s.startedAt, dataDir: node.config.dataDir ?? null, seed: node.config.seed,
    network: { ...node.config.params }, heartbeat: { ...s.hb }, peers: node.peers(),
    retrying: table.dead().map((d) => ({ name: d.name, addr: d.addr, id: shortId(d.id), nextTryMs: Math.max(0, d.nextTry - s.mono) })),
    banned: table.banned(), faults: s.faultPlan.snapshot(), balance: node.balance(), balances: node.balances(),
    files: receivedWithPayments(transfer.receivedFiles(), ledger.ledger, node.id, names), digest: node.digest(),
    counts: {
      peers: table.size, transactions: ledger.ledger.size, pending: ledger.ledger.pending().length, forks: ledger.ledger.forks().length,
      logs: s.logs, messagesIn: stats.messagesIn, messagesOut: stats.messagesOut,
    },
  };
}

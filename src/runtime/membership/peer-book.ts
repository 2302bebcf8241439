import { formatAddress, tryParseAddress } from '../address.ts';
import type { Clock } from '../clock.ts';
import type { PeerRecord, PeerStore } from '../store/peer-store.ts';
import type { HeartbeatSettings } from './heartbeat.ts';
import type { Membership } from './membership.ts';
import type { PeerTable } from './peer-table.ts';

export interface PeerBookOptions {
  store: PeerStore;
  table: PeerTable;
  membership: Membership;
  clock: Clock;
  heartbeat: HeartbeatSettings;
}

/**
 * Peers and bans survive a restart (DESIGN.md §2.5): the table is saved whenever it changes
 * (the store debounces the writes), and on start known peers are tried again while bans stay.
 * Restored peers count as ours (trusted: see ClockTrust), so only established ones are saved —
 * peers we contacted, or long-lived ones — never a newcomer that contacted us (issue 15.4): it
 * knows where to find us.
 */
export class PeerBook {
  constructor(private readonly o: PeerBookOptions) {
    o.membership.onPeersChanged(() => this.save());
  }

  /** Puts saved peers on the retry list (greeted again soon) and reinstates saved bans. */
  restore(records: readonly PeerRecord[]): void {
    const { table, heartbeat } = this.o;
    const now = this.o.clock.now();
    for (const r of records) {
      const address = tryParseAddress(r.address);
      if (r.banned) {
        table.ban(r.id, address ? formatAddress(address) : undefined);
      } else if (address && r.id) {
        table.addRetry(r.id, address, r.name ?? 'peer', now, this.o.clock.monotonic(), Math.max(heartbeat.interval, heartbeat.timeout / 2));
      }
    }
  }

  save(): void {
    const { table } = this.o;
    const now = this.o.clock.now();
    const records: PeerRecord[] = [
      ...table.list().filter((p) => table.established(p, now)).map((p) => ({ address: p.addr, id: p.id, name: p.name, banned: false, lastSeen: p.lastSeen })),
      ...table.dead().filter((d) => d.origin === 'ours').map((d) => ({ address: d.addr, id: d.id, name: d.name, banned: false, lastSeen: d.removedAt })),
    ];
    for (const b of table.bannedEntries()) if (b.addr) records.push({ address: b.addr, ...(b.id ? { id: b.id } : {}), banned: true });
    this.o.store.save(records);
  }

  /** Saves the table one last time and closes the store (rejects if the last write failed). */
  close(): Promise<void> {
    this.save();
    return this.o.store.close();
  }
}

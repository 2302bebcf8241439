/** Node ids are long public keys; the REPL shows a node's name where it knows one. */
import { shortId } from '../runtime/identity.ts';

export class NameBook {
  private readonly names = new Map<string, string>();

  add(id: unknown, name: unknown): void {
    if (typeof id === 'string' && id.length > 0 && typeof name === 'string' && name.length > 0) this.names.set(id, name);
  }

  /** A node's `host:port`, so that events naming an address can name the node. */
  addAddress(addr: unknown, name: unknown): void {
    this.add(addr, name);
  }

  /** Learns from anything shaped like a peer or node ({id, name}), or a list of them. */
  learn(v: unknown): void {
    if (Array.isArray(v)) {
      for (const x of v) this.learn(x);
      return;
    }
    if (v && typeof v === 'object') {
      const o = v as { id?: unknown; name?: unknown; peers?: unknown; addr?: unknown };
      this.add(o.id, o.name);
      this.addAddress(o.addr, o.name);
      if (Array.isArray(o.peers)) this.learn(o.peers);
    }
  }

  /** `alice` for a known id, else the id's short prefix; anything else as text. */
  label(id: unknown): string {
    if (typeof id !== 'string') return id === undefined || id === null ? '' : String(id);
    return this.names.get(id) ?? (id.length > 16 ? shortId(id) : id);
  }

  /** `bob` for a known address, else the address itself. */
  address(addr: unknown): string {
    return typeof addr === 'string' ? (this.names.get(addr) ?? addr) : '';
  }

  /** Every known name (for completion). */
  all(): string[] {
    return [...new Set(this.names.values())];
  }
}

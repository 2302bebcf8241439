/**
 * Who may talk to the live view. Checked on every request, in this order:
 * 1. the Host header names this server (127.0.0.1, localhost, [::1] or the host it was told to
 *    bind, with its port): a page on another site that a DNS record points here (DNS rebinding)
 *    gets 421 even if it somehow holds the token;
 * 2. an Origin header, where the browser sends one, is this server's own (403 otherwise);
 * 3. the token: from the `X-Peerlab-Token` header or the `token` query parameter, never a cookie,
 *    so that another site cannot make the browser send it (no CSRF). Missing: 401; wrong: 403.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from '../runtime/net/ip.ts';
import type { IncomingHttpHeaders } from 'node:http';

export interface Refusal {
  status: 401 | 403 | 421;
  message: string;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);
const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** A new token: 32 random bytes, base64url. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export class Gate {
  private readonly tokenBytes: Buffer;

  constructor(
    readonly token: string,
    /** The host the server was bound to, and its port. */
    private readonly host: string,
    private readonly port: number,
  ) {
    this.tokenBytes = Buffer.from(token);
  }

  /** Undefined when the request may go on. */
  check(headers: IncomingHttpHeaders, query: URLSearchParams): Refusal | undefined {
    const host = headers.host;
    if (typeof host !== 'string' || !this.ownHost(host)) {
      return { status: 421, message: `this live view answers only to its own address (Host ${JSON.stringify(String(host ?? '')).slice(0, 80)} is not it)` };
    }
    const origin = headers.origin;
    if (typeof origin === 'string' && origin !== 'null' && !this.ownOrigin(origin)) {
      return { status: 403, message: `requests from ${origin.slice(0, 80)} are refused` };
    }
    const given = headerValue(headers['x-peerlab-token']) ?? query.get('token') ?? undefined;
    if (given === undefined || given === '') return { status: 401, message: 'a token is needed: open the address the command printed (…/?token=…)' };
    if (!this.matches(given)) return { status: 403, message: 'wrong token: open the address the command printed' };
    return undefined;
  }

  private matches(given: string): boolean {
    const b = Buffer.from(given);
    return b.length === this.tokenBytes.length && timingSafeEqual(b, this.tokenBytes);
  }

  /** `host[:port]` names this server. */
  ownHost(value: string): boolean {
    const parsed = splitHost(value);
    if (!parsed || parsed.port !== this.port) return false;
    const name = parsed.name.toLowerCase();
    if (LOOPBACK_NAMES.has(name)) return true;
    if (name === this.host.toLowerCase()) return true;
    // Bound to every interface: any IP address of this machine works, and an IP literal cannot be
    // a rebinding attack (that needs a name the attacker's DNS answers).
    return WILDCARDS.has(this.host) && isIP(name) !== 0;
  }

  private ownOrigin(origin: string): boolean {
    let u: URL;
    try {
      u = new URL(origin);
    } catch {
      return false;
    }
    return u.protocol === 'http:' && this.ownHost(u.host);
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** `127.0.0.1:8080`, `[::1]:8080`, `localhost` (port 80). Undefined for anything malformed. */
function splitHost(value: string): { name: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s/@]+))(?::(\d{1,5}))?$/.exec(value.trim());
  if (!m) return undefined;
  const port = m[3] === undefined ? 80 : Number(m[3]);
  return { name: (m[1] ?? m[2])!, port };
}

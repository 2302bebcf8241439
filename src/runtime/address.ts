import { isIP } from './net/ip.ts';
import { PeerlabError } from './errors.ts';

/** A parsed, validated `host:port`. Hosts are IPv4/IPv6 literals or DNS-style names. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

const HOSTNAME = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

export function isValidHost(host: string): boolean {
  return isIP(host) !== 0 || HOSTNAME.test(host);
}

export function isValidPort(port: number, allowZero = false): boolean {
  return Number.isInteger(port) && port <= 65535 && (allowZero ? port >= 0 : port >= 1);
}

/** Parses `host:port` or `[v6]:port`; returns null when malformed (never throws). */
export function tryParseAddress(text: unknown): Address | null {
  if (typeof text !== 'string' || text.length > 300) return null;
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0 || text[end + 1] !== ':') return null;
    host = text.slice(1, end);
    portText = text.slice(end + 2);
    if (isIP(host) !== 6) return null;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon <= 0) return null;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) return null;
  }
  if (!/^\d{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  if (!isValidPort(port) || !isValidHost(host)) return null;
  const lower = host.toLowerCase();
  return { host: lower === 'localhost' ? '127.0.0.1' : lower, port };
}

export function parseAddress(text: unknown, what = 'address'): Address {
  const a = tryParseAddress(text);
  if (!a) {
    throw new PeerlabError('BAD_ADDRESS', `${what} must look like host:port (e.g. 127.0.0.1:5001), got ${JSON.stringify(text)}`);
  }
  return a;
}

export function formatAddress(a: Address): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export function sameAddress(a: Address, b: Address): boolean {
  return a.host === b.host && a.port === b.port;
}

/** The address peers should use for a node bound to `bound`: a wildcard bind is reached on loopback. */
export function advertisedAddress(bound: Address): Address {
  const host = bound.host === '0.0.0.0' ? '127.0.0.1' : bound.host === '::' ? '::1' : bound.host;
  return { host, port: bound.port };
}

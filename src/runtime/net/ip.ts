/**
 * IP literal checks, from node:net (this folder is the only one that imports it, DESIGN.md §1).
 * 4 or 6 for an IPv4 or IPv6 literal, 0 for anything else.
 */
export { isIP } from 'node:net';

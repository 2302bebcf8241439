/**
 * What this machine can open, and whether a playbook's cluster fits (issue 15 item 8): `play`
 * with 10,000 in-process nodes died with EMFILE after 6,146 of them and left a 196 MB temp dir.
 * The cluster is measured against the open-file limit (and, for node processes, the memory
 * available) before anything starts. Node 20 has no process.getrlimit: on Linux the limit is read
 * from /proc/self/limits (what this process may open, after Node raised its soft limit), elsewhere
 * from `ulimit -n` in a shell, which inherits it. Where none can be read, it is not guessed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import { formatBytes } from '../runtime/units.ts';
import { BIG_NETWORKS, count } from './limits.ts';
import type { Isolation } from './playbook.ts';

export interface Capacity {
  /** Files (sockets included) this process may have open; undefined when unknown or unlimited. */
  readonly openFiles?: number;
  /** Memory available to new processes, in bytes. */
  readonly availableBytes: number;
}

/**
 * Open files per node, measured: an in-process node holds 3 at rest (UDP socket, TCP listener,
 * ledger log) plus TCP connections for syncs and files; a node process costs the runner its two
 * output pipes and a control connection, plus one spare. Kept on the safe side.
 */
const FILES_PER_NODE: Readonly<Record<Isolation, number>> = { 'in-process': 5, process: 4 };
/** The runner's own files: stdio, module loading, trace and report files. */
const FILES_RESERVED = 64;
/** A `peerlab node` process: about 95 MB resident at start, more as its ledger grows. */
const BYTES_PER_PROCESS = 128 * 1024 * 1024;

export function machineCapacity(): Capacity {
  return { ...openFileLimit(), availableBytes: availableMemory() };
}

/** Why `nodes` nodes cannot start here with `isolation`, or undefined when they fit. */
export function clusterProblem(nodes: number, isolation: Isolation, cap: Capacity): string | undefined {
  const what = isolation === 'process' ? `${count(nodes)} node processes` : `${count(nodes)} in-process nodes`;
  const per = FILES_PER_NODE[isolation];
  const files = nodes * per + FILES_RESERVED;
  if (cap.openFiles !== undefined && files > cap.openFiles) {
    const fit = Math.max(0, Math.floor((cap.openFiles - FILES_RESERVED) / per));
    const kinds = isolation === 'process' ? 'pipes and a control connection' : 'sockets and the ledger log';
    return `${what} need about ${count(files)} open files (${per} per node: ${kinds}) but this process may open ${count(cap.openFiles)} (ulimit -n): at most ${count(fit)} nodes fit. Raise the limit or use fewer nodes; ${BIG_NETWORKS}`;
  }
  if (isolation === 'process' && nodes * BYTES_PER_PROCESS > cap.availableBytes) {
    const fit = Math.floor(cap.availableBytes / BYTES_PER_PROCESS);
    return `${what} need about ${formatBytes(nodes * BYTES_PER_PROCESS)} of memory (${formatBytes(BYTES_PER_PROCESS).replace('.0 ', ' ')} each) but ${formatBytes(cap.availableBytes)} is available: at most ${count(fit)} fit. Use fewer nodes or isolation: in-process; ${BIG_NETWORKS}`;
  }
  return undefined;
}

function openFileLimit(): { openFiles?: number } {
  if (process.platform === 'linux') {
    try {
      const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
      const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
      if (soft && /^\d+$/.test(soft)) return { openFiles: Number(soft) };
      if (soft === 'unlimited') return {};
    } catch {
      // No /proc: ask a shell below.
    }
  }
  if (process.platform === 'win32') return {};
  try {
    const out = execFileSync('/bin/sh', ['-c', 'ulimit -n'], { encoding: 'utf8', timeout: 2000 }).trim();
    return /^\d+$/.test(out) ? { openFiles: Number(out) } : {};
  } catch {
    return {};
  }
}

function availableMemory(): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // Not Linux.
  }
  return freemem();
}

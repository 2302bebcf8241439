import chalk from 'chalk';
import type { PeerlabEvent } from '../runtime/events.ts';

/** One JSON object per event: type, node, lamport, time and the event's data (DESIGN.md §2.1). */
export function eventJson(e: PeerlabEvent): string {
  // The fixed keys come last so that no data field can hide them.
  return JSON.stringify({ ...(e.data as object), type: e.type, node: e.node, lamport: e.lamport, time: e.time }, (_k, v: unknown) =>
    typeof v === 'bigint' ? v.toString() : v,
  );
}

const COLOURS: Record<string, (s: string) => string> = {
  'peer-added': chalk.green,
  'peer-removed': chalk.red,
  'heartbeat-timeout': chalk.red,
  'peer-suspected': chalk.yellow,
  'peer-refuted': chalk.green,
  'peer-refused': chalk.red,
  'message-rejected': chalk.magenta,
  'message-dropped': chalk.gray,
  'txn-accepted': chalk.cyan,
  'txn-rejected': chalk.red,
  'txn-voided': chalk.yellow,
  'fork-detected': chalk.redBright,
  log: chalk.white,
};

/** A short human line for an event. */
export function eventLine(e: PeerlabEvent): string {
  const d = (e.data ?? {}) as Record<string, unknown>;
  const time = new Date(e.time).toISOString().slice(11, 23);
  const colour = COLOURS[e.type] ?? chalk.blue;
  const rest = Object.entries(d)
    .filter(([k]) => k !== 'id')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${chalk.gray(time)} ${chalk.bold(e.node)} ${colour(e.type)} ${chalk.gray(`L${e.lamport}`)} ${rest}`;
}

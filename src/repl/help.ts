/**
 * `help()`, `help(node.send)`, `.help`: every function of the `node` API (DESIGN.md §2.2, from the
 * API table) and every dot-command, with a signature, a description and an example. The registry
 * lists the whole API whether or not this node has it; the overview dims what is missing.
 */
import { inspect } from 'node:util';
import { API, API_GROUPS, type ApiGroup, type ApiMethod } from '../runtime/api.ts';
import type { Paint } from './paint.ts';

export type HelpGroup = ApiGroup | 'repl';

export interface HelpEntry {
  /** Path under `node` (`send`, `faults.set`), or `.peers` for a dot-command, `help` for help. */
  readonly name: string;
  readonly group: HelpGroup;
  readonly signature: string;
  readonly summary: string;
  readonly description: string;
  readonly example: string;
  /** A readable, settable property rather than a function. */
  readonly property?: boolean;
}

const GROUP_TITLES: Record<HelpGroup, string> = { ...API_GROUPS, repl: 'REPL commands' };

/** `send` with custom fields: what `.send` calls when given key=value pairs. */
export const SEND_WITH_FIELDS: ApiMethod = API.find((m) => m.variantOf === 'send')!;

const e = (name: string, signature: string, summary: string, description: string, example: string): HelpEntry => ({ group: 'repl', name, signature, summary, description, example });

/** The registry, in the order help() shows it: the API table's REPL methods, then the REPL's own commands. */
export const HELP: readonly HelpEntry[] = [
  ...API.filter((m) => m.exposed.repl).map(({ name, group, signature, summary, description, example, property }: ApiMethod): HelpEntry => ({
    group, name, signature, summary, description, example, ...(property ? { property } : {}),
  })),
  e('help', 'help(fn?)', 'this overview, or one function', 'help() lists everything; help(node.send) or help("send") explains one function.', 'help(node.send)'),
  e('.peers', '.peers', 'peers table', 'The peer table of the current node.', '.peers'),
  e('.txns', '.txns [n]', 'transactions table', 'The ledger as a table (the last n rows when n is given).', '.txns 20'),
  e('.send', '.send <to> <amount> [key=value ...]', 'send money', `node.send(to, amount); with key=value pairs, ${SEND_WITH_FIELDS.signature}.`, '.send bob 25.50 Memo=lunch'),
  e('.details', '.details', 'details view', 'node.details() as a view.', '.details'),
  e('.robot', '.robot start [every] [maxAmount] [seed=N] | .robot stop', 'start or stop the robot', 'node.robot.start({ every, maxAmount, seed, actions }) with defaults every=1s maxAmount=10; key=value pairs also work.', '.robot start 200ms 50 seed=7'),
  e('.sync', '.sync [peer]', 'synchronise', 'node.sync(peer?).', '.sync'),
  e('.export', '.export <path>', 'export CSV', 'node.exportCsv(path).', '.export out/ledger.csv'),
  e('.clearlogs', '.clearlogs', 'empty the log', 'node.clearLogs().', '.clearlogs'),
  e('.record', '.record <file> | .record stop', 'record a playbook', 'Records your node actions (joins, sends, faults, ...) with their timing and writes them as a playbook that `peerlab play` replays. --record FILE starts recording at launch.', '.record session.yaml'),
  e('.use', '.use <name>', 'switch the current node', 'With several local nodes (--nodes K), makes nodes.<name> the `node` that commands act on.', '.use bob'),
  e('.nodes', '.nodes', 'local nodes', 'The nodes of this session: name, address, id, data dir, control socket.', '.nodes'),
  e('.events', '.events on|off', 'show or hide events', 'Turns the live event lines on or off (they are still logged).', '.events off'),
  e('.exit', '.exit', 'stop the node(s) and quit', 'Stops every local node cleanly (ports freed, data flushed) and exits; Ctrl+D, or Ctrl+C twice, do the same.', '.exit'),
];

/** What help() returns: text that the REPL prints as it is. */
export class HelpText {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
  [inspect.custom](): string {
    return this.text;
  }
}

export interface HelpOptions {
  paint: Paint;
  width: number;
  /** Whether `node.<name>` exists on this node (undefined: unknown, shown as available). */
  available?: (name: string) => boolean | undefined;
  /** What a value handed to help() is: `node`, `nodes`, or a namespace of node (`faults`). */
  identify?: (x: unknown) => { kind: 'node' } | { kind: 'nodes' } | { kind: 'namespace'; name: string } | undefined;
}

/** Topics for help('faults'): the API's groups, and the REPL's own commands. */
export const TOPICS: readonly string[] = [...Object.keys(API_GROUPS), 'commands'];

function topicGroup(topic: string): HelpGroup | undefined {
  if (topic === 'commands' || topic === 'repl') return 'repl';
  return topic in API_GROUPS ? (topic as ApiGroup) : undefined;
}

/** A topic: its title, then every entry in full. */
export function helpTopic(group: HelpGroup, opts: HelpOptions): string {
  const entries = HELP.filter((h) => h.group === group).map((h) => helpEntry(h, opts));
  return [opts.paint.bold(GROUP_TITLES[group]), ...entries].join('\n\n');
}

/** `.help`: the dot-commands, one line each. */
export function commandsOverview(opts: HelpOptions): string {
  const { paint } = opts;
  const rows = HELP.filter((h) => h.group === 'repl' && h.name.startsWith('.'));
  const w = Math.max(...rows.map((h) => h.signature.length).filter((n) => n <= 40));
  const s = Math.max(...rows.map((h) => h.summary.length));
  // A signature too long for the column gets a line of its own.
  const line = (h: HelpEntry): string =>
    h.signature.length > w
      ? `  ${paint.cyan(h.signature)}\n  ${' '.repeat(w)}  ${h.summary.padEnd(s)}  ${paint.dim(h.example)}`
      : `  ${paint.cyan(h.signature.padEnd(w))}  ${h.summary.padEnd(s)}  ${paint.dim(h.example)}`;
  return [
    paint.bold('REPL commands'),
    ...rows.map(line),
    '',
    paint.dim("help() lists the node API; help('commands') explains each command; help('faults') shows one topic."),
  ].join('\n');
}

const NODES_HELP = [
  'nodes: the nodes of this session, by name: nodes.<name> is one of them (nodes.bob.send(...)).',
  '  .use <name> makes one of them `node`; .nodes lists them with their addresses.',
  '  example: await nodes.bob.send(\'alice\', 5)',
].join('\n');

export function helpOverview(opts: HelpOptions): string {
  const { paint } = opts;
  const out: string[] = [
    `${paint.bold('peerlab REPL')}: ${paint.cyan('node')} is your node${paint.dim(' (nodes.<name> for each local node)')}. Promises are awaited for you; Tab completes.`,
    paint.dim(`help(node.send) explains one function; help('faults') or help(node.faults) shows one topic (${TOPICS.join(', ')}); .help lists the dot-commands.`),
  ];
  let missing = false;
  const groups = [...new Set(HELP.map((h) => h.group))];
  const sigWidth = Math.min(44, Math.max(...HELP.map((h) => h.signature.length)));
  const sumWidth = Math.max(...HELP.map((h) => h.summary.length));
  const oneLine = opts.width >= sigWidth + sumWidth + 40;
  for (const g of groups) {
    out.push('', paint.bold(GROUP_TITLES[g]));
    for (const h of HELP.filter((x) => x.group === g)) {
      const absent = h.group !== 'repl' && opts.available?.(h.name) === false;
      missing ||= absent;
      const sig = h.signature.length > sigWidth ? h.signature : h.signature.padEnd(sigWidth);
      const head = `  ${absent ? paint.dim(sig) : paint.cyan(sig)}  ${absent ? paint.dim(`${h.summary} (not in this build yet)`) : h.summary}`;
      if (oneLine && h.signature.length <= sigWidth) {
        out.push(`${head}${' '.repeat(Math.max(1, sumWidth - h.summary.length - (absent ? 24 : 0) + 2))}${paint.dim(h.example)}`);
      } else {
        out.push(head, `      ${paint.dim(`e.g. ${h.example}`)}`);
      }
    }
  }
  if (missing) out.push('', paint.dim('Dimmed functions are part of the API but not in this node yet; calling one is a TypeError.'));
  return out.join('\n');
}

export function helpEntry(h: HelpEntry, opts: HelpOptions): string {
  const { paint } = opts;
  const absent = h.group !== 'repl' && opts.available?.(h.name) === false;
  const lines = [
    `${paint.bold.cyan(h.signature)}${h.property ? paint.dim('  (property)') : ''}${absent ? paint.yellow('  (not in this node yet)') : ''}`,
    `  ${h.description}`,
    `  ${paint.dim('example:')} ${h.example}`,
  ];
  return lines.join('\n');
}

/**
 * Entries for `help(x)`: x a function of `node` (known by its path, exactly), any other function
 * (by its own name), or a name: `send`, `node.send`, `faults.set`, `.peers`.
 */
export function findHelp(x: unknown, nameOf: (fn: Function) => string | undefined): HelpEntry[] {
  let key: string;
  let exactOnly = false;
  if (typeof x === 'function') {
    const path = nameOf(x);
    exactOnly = path !== undefined;
    key = path ?? x.name.replace(/^bound /, '');
  } else if (typeof x === 'string') {
    key = x.trim().replace(/\(.*$/, '');
  } else {
    return [];
  }
  const k = key.replace(/^node\./, '').replace(/^nodes\.[^.]+\./, '');
  if (!k) return [];
  if (k.startsWith('.')) return HELP.filter((h) => h.name === k);
  const exact = HELP.filter((h) => h.name === k);
  if (exact.length > 0 || exactOnly) return exact;
  const byLast = HELP.filter((h) => !h.name.startsWith('.') && h.name.split('.').pop() === k.split('.').pop());
  return byLast.length > 0 ? byLast : HELP.filter((h) => h.name === `.${k}`);
}

export function helpFor(x: unknown, opts: HelpOptions, nameOf: (fn: Function) => string | undefined): HelpText {
  if (x === undefined) return new HelpText(helpOverview(opts));
  const what = opts.identify?.(x);
  if (what?.kind === 'node') return new HelpText(helpOverview(opts));
  if (what?.kind === 'nodes') return new HelpText(NODES_HELP);
  const topic = what?.kind === 'namespace' ? topicGroup(what.name) : typeof x === 'string' ? topicGroup(x.trim().replace(/^node\./, '')) : undefined;
  if (topic) return new HelpText(helpTopic(topic, opts));
  const found = findHelp(x, nameOf);
  if (found.length === 0) {
    const name = typeof x === 'function' ? x.name || 'this function' : typeof x === 'string' ? JSON.stringify(x) : typeof x;
    return new HelpText(`no help for ${name}; topics: ${TOPICS.join(', ')}; help() lists everything`);
  }
  return new HelpText(found.map((h) => helpEntry(h, opts)).join('\n\n'));
}

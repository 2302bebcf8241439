/**
 * `help()`, `help(node.send)`, `.help`: every function of the `node` API (DESIGN.md §2.2) and every
 * dot-command, with a signature, a description and an example. The registry lists the whole API
 * whether or not this build's node has it yet; the overview dims what is missing.
 */
import { inspect } from 'node:util';
import type { Paint } from './paint.ts';

export type HelpGroup = 'peers' | 'ledger' | 'files' | 'faults' | 'heartbeat' | 'robot' | 'logs' | 'repl';

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

const GROUP_TITLES: Record<HelpGroup, string> = {
  peers: 'Peers',
  ledger: 'Ledger',
  files: 'Files',
  faults: 'Faults',
  heartbeat: 'Heartbeat',
  robot: 'Robot',
  logs: 'Details, logs and events',
  repl: 'REPL commands',
};

const e = (
  group: HelpGroup,
  name: string,
  signature: string,
  summary: string,
  description: string,
  example: string,
  property = false,
): HelpEntry => ({ group, name, signature, summary, description, example, ...(property ? { property } : {}) });

/** The registry, in the order help() shows it. */
export const HELP: readonly HelpEntry[] = [
  // ---- peers
  e('peers', 'peers', 'node.peers()', 'list peers', 'The peer table: name, address, id, state (alive or suspected), last sign of life and round-trip time.', 'node.peers()'),
  e('peers', 'join', 'node.join(addr)', 'join a network through a peer', 'Contacts one peer (retrying until it answers, 30 s by default), exchanges peer lists, greets every new peer and syncs. Resolves with the peer. Options: {timeout}.', "await node.join('127.0.0.1:5001')"),
  e('peers', 'addPeer', 'node.addPeer(addr)', 'add a peer (lifts a ban)', 'Adds one peer by address and shakes hands with it, without exchanging peer lists. A peer removed by a user is banned until it is added again this way.', "await node.addPeer('127.0.0.1:5002')"),
  e('peers', 'removePeer', 'node.removePeer(addr)', 'remove and ban a peer', 'Removes a peer (address, name or id prefix) and bans it until node.addPeer(addr) is called.', "node.removePeer('bob')"),
  e('peers', 'discover', 'node.discover(addrs?)', 'ask peers for their peers', 'Asks every peer (or the given addresses) for its peer list and greets the peers it did not know.', 'await node.discover()'),
  e('peers', 'ping', 'node.ping(addr)', 'round-trip time in ms', 'Pings an address, peer name or id prefix and resolves with the round-trip time in milliseconds.', "await node.ping('bob')"),
  e('peers', 'leave', 'node.leave()', 'tell peers goodbye and stop', 'Tells every peer this node is leaving, then stops it (sockets closed, data flushed).', 'await node.leave()'),
  // ---- ledger
  e('ledger', 'send', 'node.send(to, amount)', 'send money', 'Signs and sends a transaction of an exact decimal amount to a peer (address, name or id prefix). Fails with INSUFFICIENT_FUNDS when the spendable balance is too small.', "await node.send('bob', 25.50)"),
  e('ledger', 'sendCustom', 'node.sendCustom(to, amount, fields)', 'send money with custom fields', 'Like send, with custom fields: string keys, scalar values, at most 16 fields and 1 KiB; ledger keys (id, from, to, amount, ...) are reserved.', "await node.sendCustom('bob', 10, { Name: 'Connor', Memo: 'books' })"),
  e('ledger', 'sync', 'node.sync(peer?)', 'synchronise the ledger', 'Compares ledger digests with every peer (or one) and fetches what is missing. Resolves with what was learned, from whom.', 'await node.sync()'),
  e('ledger', 'transactions', 'node.transactions()', 'the ledger, in order', 'Every transaction in display order (Lamport time, sender, seq): the same order on every converged node. Shown as a table.', 'node.transactions()'),
  e('ledger', 'transaction', 'node.transaction(i)', 'one transaction by index', 'The transaction at 0-based index i: the same one on every converged node.', 'node.transaction(0)'),
  e('ledger', 'formatTransactions', 'node.formatTransactions()', 'the ledger as text', 'The ledger as printable text, one transaction per line.', 'node.formatTransactions()'),
  e('ledger', 'exportCsv', 'node.exportCsv(path)', 'export the ledger as CSV', 'Writes the ledger as CSV: index, id, sender, receiver, amount, lamport, timestamp, custom fields, file.', "await node.exportCsv('ledger.csv')"),
  e('ledger', 'balances', 'node.balances()', 'every account\'s balance', 'The balance each account in the ledger shows (initial + valid credits - valid debits), with names.', 'node.balances()'),
  e('ledger', 'balance', 'node.balance()', 'this node\'s balance and spendable', 'What this node shows as its balance, and what its next transaction can move.', 'node.balance()'),
  e('ledger', 'digest', 'node.digest()', 'ledger digest', 'A short digest of the ledger: equal on nodes that hold the same transactions.', 'node.digest()'),
  e('ledger', 'requestBalance', 'node.requestBalance(addr)', "ask a peer for its balance", "Asks a peer for the balance it shows for itself.", "await node.requestBalance('bob')"),
  e('ledger', 'pending', 'node.pending()', 'transactions waiting for dependencies', 'Transactions held back until their previous transaction or claimed credits arrive (they expire after a bound).', 'node.pending()'),
  e('ledger', 'forks', 'node.forks()', 'detected forks', 'Accounts caught signing two transactions with the same seq, with the two signed transactions as proof.', 'node.forks()'),
  e('ledger', 'clearAndRebuild', 'node.clearAndRebuild()', 'clear the ledger and rebuild from peers', "Deletes this node's ledger and fetches it again from its peers (its own chain first, before it sends again).", 'await node.clearAndRebuild()'),
  // ---- files
  e('files', 'sendFile', 'node.sendFile(to, path)', 'send a file', "Offers a file to a peer and streams it over TCP with progress events; resolves once the receiver has checked its SHA-256 and stored it in its inbox.", "await node.sendFile('bob', 'notes.pdf')"),
  e('files', 'sendWithFile', 'node.sendWithFile(to, amount, path, fields?)', 'send money with a file attached', 'A transaction that references a file (sha256, name, size); the file goes with it.', "await node.sendWithFile('bob', 5, 'invoice.pdf', { Memo: 'March' })"),
  e('files', 'inbox', 'node.inbox()', 'received files', 'Files received: stored name, original name, sender, size, sha256, time.', 'node.inbox()'),
  // ---- faults
  e('faults', 'faults.set', 'node.faults.set({ drop, dropIn, delay, jitter, duplicate, peer? })', 'inject faults', 'drop / dropIn: chance each sent / received datagram is lost; delay and jitter in ms; duplicate: chance a datagram is sent twice. With peer, only that link. Decisions come from the seeded PRNG.', 'node.faults.set({ drop: 0.3 })'),
  e('faults', 'faults.partition', 'node.faults.partition(addrs)', 'cut this node off from peers', 'Nothing goes to or comes from the listed addresses until heal().', "node.faults.partition(['127.0.0.1:5002'])"),
  e('faults', 'faults.heal', 'node.faults.heal()', 'end partitions', 'Removes every partition of this node.', 'node.faults.heal()'),
  e('faults', 'faults.reset', 'node.faults.reset()', 'no faults at all', 'Sets every fault back to zero and heals partitions.', 'node.faults.reset()'),
  e('faults', 'faults.get', 'node.faults.get()', 'current faults', 'The fault settings now in force: node-wide, per link, and partitions.', 'node.faults.get()'),
  // ---- heartbeat
  e('heartbeat', 'heartbeat.interval', 'node.heartbeat.interval', 'probe interval (ms), settable', 'How often a quiet peer is probed. Readable and settable: node.heartbeat.interval = 500 (or a duration like "500ms").', 'node.heartbeat.interval = 500', true),
  e('heartbeat', 'heartbeat.timeout', 'node.heartbeat.timeout', 'removal timeout (ms), settable', 'Silence before a peer is removed, probes and suspicion included. Readable and settable.', "node.heartbeat.timeout = '10s'", true),
  e('heartbeat', 'heartbeat.set', 'node.heartbeat.set({ interval, timeout })', 'change both at once', 'Sets interval and/or timeout (ms or durations); the timeout must be longer than the interval.', "node.heartbeat.set({ interval: '1s', timeout: '5s' })"),
  // ---- robot
  e('robot', 'robot.start', 'node.robot.start({ every, maxAmount, actions, seed })', 'start seeded random actions', 'Every `every` the robot picks an action (send, sendCustom, ping, requestBalance, sync) and a peer from a seeded PRNG: the same seed repeats the same choices. actions: a list or { kind: weight }; `for` stops it by itself.', "node.robot.start({ every: '500ms', maxAmount: 20, seed: 7 })"),
  e('robot', 'robot.stop', 'node.robot.stop()', 'stop the robot', 'Stops the robot and reports what it did.', 'node.robot.stop()'),
  e('robot', 'robot.status', 'node.robot.status()', 'what the robot did so far', 'Whether it runs, its settings, and its actions by kind (ok / failed).', 'node.robot.status()'),
  // ---- details, logs
  e('logs', 'details', 'node.details()', 'identity, address, clock, peers, balances, counts', "Everything about this node: name, id, address, Lamport clock, uptime, settings, faults, peers with their state, balances and counters.", 'node.details()'),
  e('logs', 'stats', 'node.stats()', 'counters', 'Messages in/out/dropped/rejected (by reason), bytes, transactions by outcome.', 'node.stats()'),
  e('logs', 'log', 'node.log(type, msg)', 'add a log entry', 'Adds an entry of your own to the node log (it is also an event).', "node.log('note', 'partition starts now')"),
  e('logs', 'logs', 'node.logs(filter?)', 'the event log', "Recent events; filter by type ('peer-added'), or { type, since, peer, limit }.", "node.logs({ type: 'peer-removed', limit: 5 })"),
  e('logs', 'clearLogs', 'node.clearLogs()', 'empty the log', 'Empties the event log.', 'node.clearLogs()'),
  e('logs', 'on', 'node.on(type, fn)', 'listen to events', "Calls fn for every event of a type ('*' for all); returns a function that stops listening.", "off = node.on('txn-accepted', (e) => console.log(e.data))"),
  // ---- REPL
  e('repl', 'help', 'help(fn?)', 'this overview, or one function', 'help() lists everything; help(node.send) or help("send") explains one function.', 'help(node.send)'),
  e('repl', '.peers', '.peers', 'peers table', 'The peer table of the current node.', '.peers'),
  e('repl', '.txns', '.txns [n]', 'transactions table', 'The ledger as a table (the last n rows when n is given).', '.txns 20'),
  e('repl', '.send', '.send <to> <amount> [key=value ...]', 'send money', 'node.send(to, amount); with key=value pairs, node.sendCustom(to, amount, fields).', '.send bob 25.50 Memo=lunch'),
  e('repl', '.details', '.details', 'details view', 'node.details() as a view.', '.details'),
  e('repl', '.robot', '.robot start [every] [maxAmount] [seed=N] | .robot stop', 'start or stop the robot', 'node.robot.start({ every, maxAmount, seed, actions }) with defaults every=1s maxAmount=10; key=value pairs also work.', '.robot start 200ms 50 seed=7'),
  e('repl', '.sync', '.sync [peer]', 'synchronise', 'node.sync(peer?).', '.sync'),
  e('repl', '.export', '.export <path>', 'export CSV', 'node.exportCsv(path).', '.export out/ledger.csv'),
  e('repl', '.clearlogs', '.clearlogs', 'empty the log', 'node.clearLogs().', '.clearlogs'),
  e('repl', '.record', '.record <file> | .record stop', 'record a playbook', 'Records your node actions (joins, sends, faults, ...) with their timing and writes them as a playbook that `peerlab play` replays. --record FILE starts recording at launch.', '.record session.yaml'),
  e('repl', '.use', '.use <name>', 'switch the current node', 'With several local nodes (--nodes K), makes nodes.<name> the `node` that commands act on.', '.use bob'),
  e('repl', '.nodes', '.nodes', 'local nodes', 'The nodes of this session: name, address, id, data dir, control socket.', '.nodes'),
  e('repl', '.events', '.events on|off', 'show or hide events', 'Turns the live event lines on or off (they are still logged).', '.events off'),
  e('repl', '.exit', '.exit', 'stop the node(s) and quit', 'Stops every local node cleanly (ports freed, data flushed) and exits; Ctrl+D, or Ctrl+C twice, do the same.', '.exit'),
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
}

export function helpOverview(opts: HelpOptions): string {
  const { paint } = opts;
  const out: string[] = [
    `${paint.bold('peerlab REPL')}: ${paint.cyan('node')} is your node${paint.dim(' (nodes.<name> for each local node)')}. Promises are awaited for you; Tab completes.`,
    paint.dim('help(node.send) explains one function; .help lists this again.'),
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
  const found = findHelp(x, nameOf);
  if (found.length === 0) {
    const what = typeof x === 'function' ? x.name || 'this function' : typeof x === 'string' ? JSON.stringify(x) : typeof x;
    return new HelpText(`no help for ${what}; help() lists everything`);
  }
  return new HelpText(found.map((h) => helpEntry(h, opts)).join('\n\n'));
}

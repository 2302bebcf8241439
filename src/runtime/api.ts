/**
 * The `node` API (DESIGN.md §2.2) in one table: every method users can call, its parameters, its
 * help text, whether it changes anything, what its result looks like, and where it is offered. The
 * control socket's allow-list, REPL help and completion, the session recorder, playbook steps and
 * the live view all read this table; a method's name is written here and in its implementation.
 * Adding a method: implement it on `Node` (or its namespace), add its row here, and test it.
 */
import { param, type ApiMethod, type ApiParam, type StepSpec } from './api-types.ts';

export type { ApiGroup, ApiMethod, ApiParam, Effect, Exposure, JsonSchema, ParamKind, ResultShape, ResultSpec, StepSpec } from './api-types.ts';
export { callArgs, isPeerKind } from './api-types.ts';

const BOTH = { repl: true, control: true } as const;
const both = <const S extends StepSpec>(step: S) => ({ repl: true, control: true, step }) as const;
const TIMEOUT = param.options('opts', [param.duration('timeout')]);
const FAULT_OPTIONS = [
  param.probability('drop'), param.probability('dropIn'), param.duration('delay'), param.duration('jitter'), param.probability('duplicate'), param.peer('peer', true),
];

const TABLE = [
  // ---- peers
  {
    name: 'peers', group: 'peers', signature: 'node.peers()', summary: 'list peers',
    description: 'The peer table: name, address, id, state (alive or suspected), last sign of life and round-trip time.',
    example: 'node.peers()', params: [], effect: 'read', exposed: BOTH, result: { shape: 'peers', empty: 'no peers yet (try node.join(addr))' },
  },
  {
    name: 'peer', group: 'peers', signature: 'node.peer(ref)', summary: 'one peer by name, address or id prefix',
    description: 'The peer a reference names, read as send, ping and the others read it: name, address, id, state, last sign of life and round-trip time. An unknown or ambiguous reference is UNKNOWN_PEER, with the peers listed.',
    example: "node.peer('bob')", params: [param.peer('ref')], effect: 'read', exposed: BOTH, result: { shape: 'peer' },
  },
  {
    name: 'join', group: 'peers', signature: 'node.join(addr)', summary: 'join a network through a peer',
    description: 'Contacts one peer (retrying until it answers, 30 s by default), exchanges peer lists, greets every new peer and syncs. Resolves with the peer. Options: {timeout}, a duration like \'10s\'.',
    example: "await node.join('127.0.0.1:5001')", params: [param.address('addr'), TIMEOUT], effect: 'write', result: { shape: 'peer' },
    exposed: both({ key: 'join', order: 10, caller: 'node', args: { addr: 'peer' }, description: 'Join the network through a peer', selfError: 'a node cannot join itself', example: '- join: { node: bob, peer: alice }', notes: ['Retried with backoff until the peer answers (30 s); then peer lists are exchanged and every new peer is greeted.', '`peer` may also be an outside address `host:port`.'] }),
  },
  {
    name: 'addPeer', group: 'peers', signature: 'node.addPeer(addr)', summary: 'add a peer (lifts a ban)',
    description: 'Adds one peer by address and shakes hands with it, without exchanging peer lists. A peer removed by a user is banned until it is added again this way.',
    example: "await node.addPeer('127.0.0.1:5002')", params: [param.address('addr'), TIMEOUT], effect: 'write', result: { shape: 'peer' },
    exposed: both({ key: 'addPeer', order: 20, caller: 'node', args: { addr: 'peer' }, description: 'Add a peer (lifts a ban)', example: '- addPeer: { node: carol, peer: bob }', notes: ['No peer lists are exchanged. Lifts a ban set by removePeer.'] }),
  },
  {
    name: 'removePeer', group: 'peers', signature: 'node.removePeer(addr)', summary: 'remove and ban a peer',
    description: 'Removes a peer (address, name or id prefix) and bans it until node.addPeer(addr) is called.',
    example: "node.removePeer('bob')", params: [param.address('addr')], effect: 'write', result: { shape: 'removed' },
    exposed: both({ key: 'removePeer', order: 30, caller: 'node', args: { addr: 'peer' }, description: 'Remove and ban a peer', example: '- removePeer: { node: alice, peer: carol }', notes: ['The peer is banned until an addPeer names it again.'] }),
  },
  {
    name: 'discover', group: 'peers', signature: 'node.discover(addrs?)', summary: 'ask peers for their peers',
    description: 'Asks every peer (or the given addresses) for its peer list and greets the peers it did not know.',
    example: 'await node.discover()', params: [param.addresses('addrs', true)], effect: 'write',
    exposed: both({ key: 'discover', order: 50, caller: 'node', args: { addrs: 'peers' }, description: 'Ask peers for their peers', example: '- discover: { node: carol }', notes: ['Without `peers`, every peer of the node is asked.'] }),
  },
  {
    name: 'ping', group: 'peers', signature: 'node.ping(addr)', summary: 'round-trip time in ms',
    description: 'Pings an address, peer name or id prefix and resolves with the round-trip time in milliseconds.',
    example: "await node.ping('bob')", params: [param.peer('addr'), TIMEOUT], effect: 'probe', result: { shape: 'milliseconds' },
    exposed: both({ key: 'ping', order: 100, caller: 'from', args: { addr: 'to' }, description: 'Round-trip ping', example: '- ping: { from: alice, to: bob }' }),
  },
  {
    name: 'leave', group: 'peers', signature: 'node.leave()', summary: 'tell peers goodbye and stop',
    description: 'Tells every peer this node is leaving, then stops it (sockets closed, data flushed).',
    example: 'await node.leave()', params: [], effect: 'write', result: { shape: 'left' },
    exposed: both({ key: 'leave', order: 40, caller: 'value', args: {}, description: 'The node tells its peers and stops', example: '- leave: carol', notes: ['The node says goodbye (peers drop it at once) and stops; `restart` starts it again.'] }),
  },
  // ---- ledger
  {
    name: 'send', group: 'ledger', signature: 'node.send(to, amount)', summary: 'send money',
    description: 'Signs and sends a transaction of an exact decimal amount to a peer (address, name or id prefix). Fails with INSUFFICIENT_FUNDS when the spendable balance is too small.',
    example: "await node.send('bob', 25.50)", params: [param.account('to'), param.amount()], effect: 'write', result: { shape: 'sent' },
    exposed: both({ key: 'send', order: 60, caller: 'from', args: { to: 'to', amount: 'amount' }, description: 'Send money', example: '- send: { from: alice, to: bob, amount: 25.50 }', notes: ['Fails the run when the sender cannot pay (INSUFFICIENT_FUNDS), unless `mayFail: true`.'] }),
  },
  {
    name: 'sendCustom', group: 'ledger', signature: 'node.sendCustom(to, amount, fields)', summary: 'send money with custom fields',
    description: 'Like send, with custom fields: string keys, scalar values, at most 16 fields and 1 KiB; ledger keys (id, from, to, amount, ...) are reserved.',
    example: "await node.sendCustom('bob', 10, { Name: 'Connor', Memo: 'books' })", variantOf: 'send',
    params: [param.account('to'), param.amount(), param.fields()], effect: 'write', result: { shape: 'sent' },
    exposed: both({ key: 'sendCustom', order: 70, caller: 'from', args: { to: 'to', amount: 'amount', fields: 'fields' }, description: 'Send money with custom fields', example: '- sendCustom: { from: bob, to: carol, amount: 12, fields: { Name: Connor } }' }),
  },
  {
    name: 'sync', group: 'ledger', signature: 'node.sync(peer?)', summary: 'synchronise the ledger',
    description: 'Compares ledger digests with every peer (or one) and fetches what is missing. Resolves with what was learned, from whom.',
    example: 'await node.sync()', params: [param.peer('peer', true)], effect: 'write', exposed: BOTH, result: { shape: 'synced' },
  },
  {
    name: 'transactions', group: 'ledger', signature: 'node.transactions()', summary: 'the ledger, in order',
    description: 'Every transaction in display order (Lamport time, sender, seq): the same order on every converged node. Shown as a table.',
    example: 'node.transactions()', params: [], effect: 'read', exposed: BOTH, result: { shape: 'transactions', empty: 'no transactions yet' },
  },
  {
    name: 'transaction', group: 'ledger', signature: 'node.transaction(i)', summary: 'one transaction by index',
    description: 'The transaction at 0-based index i: the same one on every converged node.',
    example: 'node.transaction(0)', params: [param.index('i')], effect: 'read', exposed: BOTH, result: { shape: 'transaction' },
  },
  {
    name: 'formatTransactions', group: 'ledger', signature: 'node.formatTransactions()', summary: 'the ledger as text',
    description: 'The ledger as printable text, one transaction per line.',
    example: 'node.formatTransactions()', params: [], effect: 'read', exposed: BOTH, result: { shape: 'text' },
  },
  {
    name: 'exportCsv', group: 'ledger', signature: 'node.exportCsv(path)', summary: 'export the ledger as CSV',
    description: 'Writes the ledger as CSV: index, id, sender, receiver, amount, lamport, timestamp, custom fields, file, then sender_name, receiver_name, status (valid or void) and reason (why void).',
    example: "await node.exportCsv('ledger.csv')", params: [param.path('path', 'write')], effect: 'write', result: { shape: 'exported' },
    exposed: both({ key: 'export', order: 230, caller: 'node', args: { path: 'path' }, description: "Export a node's transactions as CSV", example: '- export: { node: alice, path: out/alice.csv }', notes: ['Columns: index, id, sender, receiver, amount, lamport, timestamp, fields, file, sender_name, receiver_name, status, reason.', '`sender` and `receiver` are account ids; the names are as the exporting node knows them; `status` is `valid` or `void`, `reason` says why a void one is (e.g. FORK).'] }),
  },
  {
    name: 'balances', group: 'ledger', signature: 'node.balances()', summary: "every account's balance",
    description: 'The balance each account in the ledger shows (initial + valid credits - valid debits), with names.',
    example: 'node.balances()', params: [], effect: 'read', exposed: BOTH, result: { shape: 'balances' },
  },
  {
    name: 'balance', group: 'ledger', signature: 'node.balance()', summary: "this node's balance and spendable",
    description: 'What this node shows as its balance, and what its next transaction can move.',
    example: 'node.balance()', params: [], effect: 'read', exposed: BOTH, result: { shape: 'balance' },
  },
  {
    name: 'digest', group: 'ledger', signature: 'node.digest()', summary: 'ledger digest',
    description: 'A short digest of the ledger: equal on nodes that hold the same transactions.',
    example: 'node.digest()', params: [], effect: 'read', exposed: BOTH, result: { shape: 'text' },
  },
  {
    name: 'requestBalance', group: 'ledger', signature: 'node.requestBalance(addr)', summary: 'ask a peer for its balance',
    description: 'Asks a peer for the balance it shows for itself.',
    example: "await node.requestBalance('bob')", params: [param.peer('addr')], effect: 'probe', result: { shape: 'peer-balance' },
    exposed: both({ key: 'requestBalance', order: 110, caller: 'from', args: { addr: 'to' }, description: 'Ask a peer for its balance', example: '- requestBalance: { from: alice, to: bob }' }),
  },
  {
    name: 'pending', group: 'ledger', signature: 'node.pending()', summary: 'transactions waiting for dependencies',
    description: 'Transactions held back until their previous transaction or claimed credits arrive (they expire after a bound).',
    example: 'node.pending()', params: [], effect: 'read', exposed: BOTH, result: { shape: 'transactions', empty: 'nothing pending' },
  },
  {
    name: 'forks', group: 'ledger', signature: 'node.forks()', summary: 'detected forks',
    description: 'Accounts caught signing two transactions with the same seq, with the two signed transactions as proof.',
    example: 'node.forks()', params: [], effect: 'read', exposed: BOTH, result: { shape: 'forks', empty: 'no forks' },
  },
  {
    name: 'clearAndRebuild', group: 'ledger', signature: 'node.clearAndRebuild()', summary: 'clear the ledger and rebuild from peers',
    description: "Deletes this node's ledger and fetches it again from its peers (its own chain first, before it sends again).",
    example: 'await node.clearAndRebuild()', params: [], effect: 'write', confirm: "Delete this node's ledger and rebuild it from its peers?",
    exposed: both({ key: 'clearAndRebuild', order: 190, caller: 'value', args: {}, description: "Clear the node's ledger and rebuild it from peers", example: '- clearAndRebuild: bob', notes: ['Wipes the ledger (the identity stays) and pulls it back from peers.'] }),
  },
  // ---- misbehaving on purpose (lessons only: an honest node never does this)
  {
    name: 'misbehave.doubleSpend', group: 'misbehave', signature: 'node.misbehave.doubleSpend([a, b], amount)', summary: 'sign two transactions with one seq (the fork lesson)',
    description: 'Misbehaves on purpose, for the fork lesson: signs two transactions with the same seq, `amount` to each of two peers (each fits the spendable balance: a double spend), and sends each only to its recipient. Both spread; every node detects the fork (fork-detected) and voids both (txn-voided), so no money moves, and this account can send nothing more.',
    example: "await node.misbehave.doubleSpend(['alice', 'bob'], 800)", effect: 'write', result: { shape: 'double-spent' },
    confirm: 'Make this node sign two conflicting transactions (its account is frozen from then on)?',
    params: [
      { ...param.addresses('to'), schema: { type: 'array', minItems: 2, maxItems: 2, uniqueItems: true, items: { type: 'string', minLength: 1 }, description: 'two peers: names, id prefixes or addresses host:port' } },
      param.amount(),
    ],
    exposed: both({
      key: 'doubleSpend', order: 195, caller: 'node', args: { to: 'to', amount: 'amount' }, description: 'A node misbehaves on purpose: two transactions with one seq, one to each of two peers (the fork lesson)',
      example: '- doubleSpend: { node: alice, to: [bob, carol], amount: 100 }',
      notes: ['Each transaction goes only to its recipient, who gossips it on: every node ends up with both, emits fork-detected and voids both.', 'Check it with `logged: { node: all, type: fork-detected }`; the forker cannot send afterwards.'],
    }),
  },
  // ---- files
  {
    name: 'sendFile', group: 'files', signature: 'node.sendFile(to, path)', summary: 'send a file',
    description: 'Offers a file to a peer and streams it over TCP with progress events; resolves once the receiver has checked its SHA-256 and stored it in its inbox.',
    example: "await node.sendFile('bob', 'notes.pdf')", params: [param.peer('to'), param.path('path', 'read')], effect: 'write', result: { shape: 'file-sent' },
    exposed: both({ key: 'sendFile', order: 80, caller: 'from', args: { to: 'to', path: 'path' }, description: 'Send a file (path relative to the playbook)', example: '- sendFile: { from: alice, to: carol, path: fixtures/hello.txt }', notes: ['Ends when the receiver has verified and stored the file.', 'Paths are relative to the playbook\'s folder.'] }),
  },
  {
    name: 'sendWithFile', group: 'files', signature: 'node.sendWithFile(to, amount, path, fields?)', summary: 'send money with a file attached',
    description: 'A transaction that references a file (sha256, name, size); the file goes with it.',
    example: "await node.sendWithFile('bob', 5, 'invoice.pdf', { Memo: 'March' })",
    params: [param.peer('to'), param.amount(), param.path('path', 'read'), param.fields(true)], effect: 'write', result: { shape: 'sent-with-file' },
    exposed: both({ key: 'sendWithFile', order: 90, caller: 'from', args: { to: 'to', amount: 'amount', path: 'path', fields: 'fields' }, description: 'Send money with a file attached', example: '- sendWithFile: { from: alice, to: bob, amount: 3, path: fixtures/hello.txt, fields: { Memo: invoice } }', notes: ['Sends the file, then a payment whose transaction references it.'] }),
  },
  {
    name: 'inbox', group: 'files', signature: 'node.inbox()', summary: 'received files',
    description: 'Files received: stored name, original name, sender, size, sha256, time.',
    example: 'node.inbox()', params: [], effect: 'read', exposed: BOTH, result: { shape: 'inbox', empty: 'the inbox is empty' },
  },
  // ---- faults
  {
    name: 'faults.set', group: 'faults', signature: 'node.faults.set({ drop, dropIn, delay, jitter, duplicate, peer? })', summary: 'inject faults',
    description: 'drop / dropIn: chance each sent / received datagram is lost; delay and jitter as durations (\'20ms\'); duplicate: chance a datagram is sent twice. With peer (a name, id prefix or address), only that link. Decisions come from the seeded PRNG.',
    example: 'node.faults.set({ drop: 0.3 })', params: [param.options('input', FAULT_OPTIONS, false)], effect: 'write', exposed: BOTH, result: { shape: 'faults' },
  },
  {
    name: 'faults.partition', group: 'faults', signature: 'node.faults.partition(addrs)', summary: 'cut this node off from peers',
    description: "Nothing goes to or comes from the listed peers (names, id prefixes or addresses host:port) until heal(); the other nodes' links stay up. A peer removed for silence is still found by name.",
    example: "node.faults.partition(['bob'])", effect: 'write', exposed: BOTH, result: { shape: 'faults' },
    params: [{ ...param.addresses('addrs'), schema: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'peers: names, id prefixes or addresses host:port' } }],
  },
  {
    name: 'faults.heal', group: 'faults', signature: 'node.faults.heal()', summary: 'end partitions', description: 'Removes every partition of this node.',
    example: 'node.faults.heal()', params: [], effect: 'write', exposed: BOTH, result: { shape: 'faults' },
  },
  {
    name: 'faults.reset', group: 'faults', signature: 'node.faults.reset()', summary: 'no faults at all', description: 'Sets every fault back to zero and heals partitions.',
    example: 'node.faults.reset()', params: [], effect: 'write', exposed: BOTH, result: { shape: 'faults' },
  },
  {
    name: 'faults.get', group: 'faults', signature: 'node.faults.get()', summary: 'current faults',
    description: 'The fault settings now in force: node-wide, per link, and partitions.',
    example: 'node.faults.get()', params: [], effect: 'read', exposed: BOTH, result: { shape: 'faults' },
  },
  // ---- heartbeat (the control server answers `heartbeat.get` for the two properties)
  {
    name: 'heartbeat.interval', group: 'heartbeat', signature: 'node.heartbeat.interval', summary: 'probe interval (ms), settable',
    description: 'How often a quiet peer is probed, read in ms. Settable with a duration: node.heartbeat.interval = \'500ms\' (a bare number is refused).',
    example: "node.heartbeat.interval = '500ms'", property: true, params: [], effect: 'read', exposed: { repl: true, control: false },
  },
  {
    name: 'heartbeat.timeout', group: 'heartbeat', signature: 'node.heartbeat.timeout', summary: 'removal timeout (ms), settable',
    description: 'Silence before a peer is removed, probes and suspicion included. Readable and settable.',
    example: "node.heartbeat.timeout = '10s'", property: true, params: [], effect: 'read', exposed: { repl: true, control: false },
  },
  {
    name: 'heartbeat.set', group: 'heartbeat', signature: 'node.heartbeat.set({ interval, timeout })', summary: 'change both at once',
    description: 'Sets interval and/or timeout, as durations with their unit (\'500ms\', \'5s\'); the timeout must be longer than the interval.',
    example: "node.heartbeat.set({ interval: '1s', timeout: '5s' })", params: [param.options('settings', [param.duration('interval'), param.duration('timeout')], false)],
    effect: 'write', exposed: BOTH, result: { shape: 'heartbeat' },
  },
  // ---- robot
  {
    name: 'robot.start', group: 'robot', signature: 'node.robot.start({ every, maxAmount, actions, seed })', summary: 'start seeded random actions',
    description: 'Every `every` the robot picks an action (send, sendCustom, ping, requestBalance, sync) and a peer from a seeded PRNG: the same seed repeats the same choices. actions: a list or { kind: weight }; `for` stops it by itself.',
    example: "node.robot.start({ every: '500ms', maxAmount: 20, seed: 7 })", effect: 'write', exposed: BOTH, result: { shape: 'robot' },
    params: [param.options('opts', [
      param.duration('every'), { ...param.amount('maxAmount'), optional: true },
      param.value('actions', { type: ['array', 'object'], description: 'a list of actions, or action -> weight' }),
      param.number('seed', { type: 'integer', minimum: 0 }), param.duration('for'),
    ])],
  },
  {
    name: 'robot.stop', group: 'robot', signature: 'node.robot.stop()', summary: 'stop the robot', description: 'Stops the robot and reports what it did.',
    example: 'node.robot.stop()', params: [], effect: 'write', exposed: BOTH, result: { shape: 'robot' },
  },
  {
    name: 'robot.status', group: 'robot', signature: 'node.robot.status()', summary: 'what the robot did so far',
    description: 'Whether it runs, its settings, and its actions by kind (ok / failed).',
    example: 'node.robot.status()', params: [], effect: 'read', exposed: BOTH, result: { shape: 'robot' },
  },
  // ---- details, logs
  {
    name: 'details', group: 'logs', signature: 'node.details()', summary: 'identity, address, clock, peers, balances, counts',
    description: 'Everything about this node: name, id, address, Lamport clock, uptime, settings, faults, peers with their state, balances and counters.',
    example: 'node.details()', params: [], effect: 'read', exposed: BOTH, result: { shape: 'details' },
  },
  {
    name: 'stats', group: 'logs', signature: 'node.stats()', summary: 'counters',
    description: 'Messages in/out/dropped/rejected (by reason), bytes, transactions by outcome.',
    example: 'node.stats()', params: [], effect: 'read', exposed: BOTH, result: { shape: 'counters' },
  },
  {
    name: 'log', group: 'logs', signature: 'node.log(type, msg)', summary: 'add a log entry',
    description: 'Adds an entry of your own to the node log (it is also an event).',
    example: "node.log('note', 'partition starts now')", params: [param.text('type'), param.text('msg')], effect: 'write', exposed: BOTH, result: { shape: 'event' },
  },
  {
    name: 'logs', group: 'logs', signature: 'node.logs(filter?)', summary: 'the event log',
    description: "Recent events; filter by type ('peer-added'), or { type, since, peer, limit }.",
    example: "node.logs({ type: 'peer-removed', limit: 5 })", effect: 'read', exposed: BOTH, result: { shape: 'events', empty: 'the log is empty' },
    params: [param.value('filter', { type: ['string', 'object'], description: 'an event type, or { type, since, peer, limit }' })],
  },
  {
    name: 'clearLogs', group: 'logs', signature: 'node.clearLogs()', summary: 'empty the log', description: 'Empties the event log.',
    example: 'node.clearLogs()', params: [], effect: 'write', exposed: BOTH, result: { shape: 'cleared' },
  },
  {
    name: 'on', group: 'logs', signature: 'node.on(type, fn)', summary: 'listen to events',
    description: "Calls fn for every event of a type ('*' for all); returns a function that stops listening.",
    example: "off = node.on('txn-accepted', (e) => console.log(e.data))", effect: 'read', exposed: { repl: true, control: false },
    params: [param.text('type'), param.value('fn', { description: 'a function of the event' }, false)],
  },
  // ---- lifecycle (a control client stops a headless node with stop; the REPL has .exit). The
  // playbook steps `crash:` and `restart:` are the cluster's (with isolation: process a crash is a
  // SIGKILL and a restart a new process); in-process they call these methods.
  {
    name: 'stop', group: 'lifecycle', signature: 'node.stop()', summary: 'stop the node',
    description: 'Stops the node: sockets closed, data flushed. Calling it again does nothing.',
    example: 'await node.stop()', params: [], effect: 'write', exposed: { repl: false, control: true },
  },
  {
    name: 'crash', group: 'lifecycle', signature: 'node.crash()', summary: 'stop abruptly, as a kill would',
    description: 'Stops the node the way a kill does: no goodbye (peers notice only when the heartbeat times out), writes not yet on disk are lost (a send in flight fails), the peer list is not saved. Says how many log writes were lost. node.restart() brings it back; a headless node\'s process ends.',
    example: 'await nodes.bob.crash()', params: [], effect: 'write', exposed: BOTH, result: { shape: 'crashed' },
    confirm: 'Crash this node (no goodbye, unflushed writes lost)?',
  },
  {
    name: 'restart', group: 'lifecycle', signature: 'node.restart()', summary: 'start a stopped or crashed node again',
    description: 'Stops the node if it runs, then starts it again from its data directory: the same port, the same identity, its ledger and its saved peers (greeted again). A --memory node keeps its identity, ledger and peers in memory across a restart (what a crash did not lose).',
    example: 'await nodes.bob.restart()', params: [], effect: 'write', exposed: BOTH, result: { shape: 'restarted' },
  },
] as const satisfies readonly ApiMethod[];

/** Every method, in help() order: by group, then as listed. */
export const API: readonly ApiMethod[] = TABLE;

export type ApiName = (typeof TABLE)[number]['name'];

/** The step keys of the methods that are playbook steps (`send`, `export`, ...). */
export type CallStepKind = Extract<(typeof TABLE)[number], { exposed: { step: unknown } }>['exposed']['step']['key'];

/** Titles of the groups, for listings. */
export const API_GROUPS: Readonly<Record<ApiMethod['group'], string>> = {
  peers: 'Peers', ledger: 'Ledger', files: 'Files', faults: 'Faults', heartbeat: 'Heartbeat', robot: 'Robot',
  logs: 'Details, logs and events', lifecycle: 'Lifecycle', misbehave: 'Misbehaving on purpose (lessons)',
};

/**
 * The methods a robot may call (`node.robot.start`, the playbook `robot` step), in the order it
 * draws them, with their default weights: mostly money moving, some liveness traffic.
 */
export const ROBOT_ACTIONS = { send: 4, sendCustom: 1, ping: 2, requestBalance: 1, sync: 1 } as const satisfies Partial<Record<ApiName, number>>;

const byName = new Map<string, ApiMethod>(API.map((m) => [m.name, m]));
const byStep = new Map<string, ApiMethod>(API.flatMap((m) => (stepOf(m) ? [[stepOf(m)!.key, m] as const] : [])));

/** The row of a method (`send`, `faults.set`), if the table has one. */
export function apiMethod(name: string): ApiMethod | undefined {
  return byName.get(name);
}

/** The method a playbook step key calls (`export` -> exportCsv). */
export function stepMethod(key: string): ApiMethod | undefined {
  return byStep.get(key);
}

export function stepOf(m: ApiMethod): StepSpec | undefined {
  return m.exposed.step;
}

/** The parameters of `m` that a step sets, with their step keys, in parameter order. */
export function stepParams(m: ApiMethod): { param: ApiParam; key: string }[] {
  const step = stepOf(m);
  return step ? m.params.flatMap((p) => (step.args[p.name] ? [{ param: p, key: step.args[p.name]! }] : [])) : [];
}

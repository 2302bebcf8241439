/**
 * playbooks/REFERENCE.md (issue 13 item 9): every step and condition with its fields, units,
 * defaults and an example. The steps, their fields and descriptions come from the playbook schema
 * (itself built from the API table), so the reference cannot drift from what `check` accepts;
 * what a schema cannot say (defaults, semantics, an example) is written here, and a test fails
 * when a step or condition has no entry, an example does not load, or the file is stale.
 */
import { API, ROBOT_ACTIONS } from '../runtime/api.ts';
import { buildPlaybookSchema } from './playbook-schema.ts';

/** The robot's actions with their default weights, as the API table sets them. */
const ROBOT_DEFAULTS = Object.entries(ROBOT_ACTIONS).map(([k, w]) => `${k} ${w}`).join(', ');

type Schema = Record<string, unknown>;

export interface ReferenceEntry {
  /** A YAML step (or condition mapping) that loads in a playbook with nodes alice, bob and carol. */
  readonly example: string;
  /** Defaults and semantics, one point per line. */
  readonly notes?: readonly string[];
  /** Top-level lines the example needs besides name, nodes and steps (e.g. `mode: simulated`). */
  readonly top?: string;
}

/** What the playbook's own steps do beyond their schema, with an example (method-backed steps carry theirs in the API table). */
const CLUSTER_STEP_NOTES: Readonly<Record<string, ReferenceEntry>> = {
  sync: { example: '- sync: all', notes: ['Never fails the run: outcomes are counted in the report.'] },
  robot: {
    example: '- robot: { nodes: [alice, bob], every: 100ms, for: 5s, maxAmount: 50, actions: { send: 3, ping: 1 } }',
    notes: [
      `Actions (default weights): ${ROBOT_DEFAULTS}; a list gives equal weights.`,
      'Planned from the seed (`seed`, else derived from the playbook seed): `--dry-run` prints every action.',
      'The step lasts its `for`; with `background: true` the next step starts at once. Robot actions never fail the run.',
      'A lone robot node acts on every other node; several act on each other.',
    ],
  },
  faults: {
    example: '- faults: { node: carol, drop: 0.3, delay: 20ms, jitter: 80ms }',
    notes: [
      '`drop` / `dropIn`: the chance that each datagram the node sends / receives is lost; `duplicate`: the chance one is sent twice.',
      'With `peer`, only the link to that node changes; `node: all, peer: bob` is every other node\'s link to bob.',
      'Settings not given keep their value; `reset: true` first sets every fault of the node back to zero.',
      'Faults are playbook state: a restarted node gets them again (as it gets the ones under `nodes:`).',
    ],
  },
  partition: {
    example: '- partition: [[alice], [bob, carol]]',
    notes: [
      'Nodes in different groups cannot reach each other, both ways; nodes in one group can.',
      'Nodes that no group lists form one more group together: with nodes alice, bob, carol and dave, `[[alice, bob], [carol]]` is alice+bob | carol | dave.',
      'Replaces any partition or cut in force; `heal: {}` ends it. A restarted node is put back on its side.',
    ],
  },
  cut: {
    example: '- cut: { node: carol, peers: [bob] }',
    notes: [
      'One node stops talking to some peers, both ways, as `node.faults.partition(peers)` does in the REPL; every other link stays up (here alice still reaches both).',
      'Cuts add up; `heal: { node: carol }` ends carol\'s, `heal: {}` ends all. A REPL session\'s cut is recorded as this step.',
    ],
  },
  heal: { example: '- heal: {}', notes: ['`heal: {}` (or `heal:`) ends every partition and cut; `heal: { node: carol }` ends the cuts carol made, as `node.faults.heal()` does.'] },
  crash: {
    example: '- crash: carol',
    notes: [
      '`crash: carol` (a node name) is `node.crash()`: no goodbye (peers notice when the heartbeat times out), writes not yet on disk lost, the peer list not saved; with `isolation: process` a real SIGKILL.',
      'Simulated playbooks only: `crash: { node: carol, midWrite: true }` waits (up to 5s of simulated time) for carol\'s next fsync to start and crashes her while it is in flight: of the bytes it was making durable, nothing, a prefix or all survive (drawn from the seed), so her restart may find a torn tail in her ledger log, truncate it and say so (`log-recovered`).',
    ],
  },
  restart: { example: '- restart: carol', notes: ['`node.restart()`: same port, same data directory, same identity; the node gets its faults, partitions and cuts back.'] },
  wait: { example: '- wait: 2s', notes: ['Scaled by `--speed`.'] },
  waitFor: {
    example: '- waitFor: { converged: all, within: 10s }',
    notes: [
      'Polls the conditions (any of the conditions below) until all hold or `within` passes; `within` is not scaled by `--speed`.',
      'A waitFor that does not hold is reported once, with the conditions that did not hold, and the run goes on to check the rest; it fails the run (exit 1) unless `mayFail: true`.',
    ],
  },
  expect: { example: '- expect: { totalBalance: 3000, noNegativeBalances: true }', notes: ['Checks once; each condition is one test case in the report (JUnit with `--report out.xml`).'] },
  say: { example: '- say: Now the partition heals.', notes: ['Shown in the progress view and written into the trace; `peerlab replay` pauses on it.'] },
  parallel: { example: '- parallel:\n    - send: { from: alice, to: bob, amount: 1 }\n    - send: { from: bob, to: carol, amount: 1 }', notes: ['Ends when all its steps have; its steps cannot have `at`.'] },
  deliver: {
    example: '- at: 1.25s\n  deliver: 6f1c2a4e-0b7d-4f3a-9c1e-2d5b8a7f4e10',
    top: 'mode: simulated',
    notes: [
      'Only in `mode: simulated` playbooks: a hand decision made in `peerlab repl --sim` (`sim.deliver(id)`) and recorded with the session.',
      'The datagram must be in flight at that moment (the same run replays the same ids); otherwise the step fails.',
    ],
  },
  drop: {
    example: '- at: 1.25s\n  drop: 6f1c2a4e-0b7d-4f3a-9c1e-2d5b8a7f4e10',
    top: 'mode: simulated',
    notes: ['Only in `mode: simulated` playbooks: the datagram is lost (`sim.drop(id)` in the REPL); the trace records it as dropped by hand.'],
  },
  diskFull: {
    example: '- at: 2s\n  diskFull: { node: carol, for: 5s }',
    top: 'mode: simulated',
    notes: [
      'Only in `mode: simulated` playbooks: every write to carol\'s disk (her view of the world\'s disk) fails with ENOSPC; reads, renames and syncs still work.',
      'With `for`, the disk has room again after that much simulated time; without it, until `diskFull: { node: carol, off: true }`. A full disk stays full across a crash and restart; the end of a `play --sim` run frees it before the final invariant checks.',
      'A send that fails on it is refused and moves no money (the invariants check that). The trace shows the step as a `world-fault` event.',
    ],
  },
  clockJump: {
    example: '- at: 2s\n  clockJump: { node: carol, by: -30s }',
    top: 'mode: simulated',
    notes: [
      'Only in `mode: simulated` playbooks: carol\'s wall clock (`Date.now()` as the node sees it, and the times in its trace lines) jumps by `by`, forward (`2h`) or back (`-30s`); jumps add up.',
      'Her timers and her Lamport clock are not affected: time in the simulation goes on as before. The trace shows the step as a `world-fault` event.',
    ],
  },
  hostile: {
    example: '- at: 2s\n  hostile: { node: carol, count: 20, kind: mixed }',
    top: 'mode: simulated',
    notes: [
      'Only in `mode: simulated` playbooks: `count` datagrams reach carol from a throwaway address (203.0.113.66), each from a fresh key: `forged` (a hello signed by another key), `oversized` (over the 8 KiB datagram limit), `malformed` (not JSON, not an envelope, a body of the wrong shape, an unknown type), `lamport` (a signed hello with its Lamport time pushed far ahead); `mixed` (the default) sends each kind in turn.',
      'Keys, ids and bytes come from the playbook seed, so a run replays exactly. A correct node refuses each one (`message-rejected` events in the trace) and stays on the network.',
    ],
  },
};

/** Every step kind's entry: the API table's method-backed steps, then the playbook's own. */
export const STEP_NOTES: Readonly<Record<string, ReferenceEntry>> = {
  ...Object.fromEntries(API.flatMap((m) => (m.exposed.step ? [[m.exposed.step.key, { example: m.exposed.step.example, ...(m.exposed.step.notes ? { notes: m.exposed.step.notes } : {}) }]] : []))),
  ...CLUSTER_STEP_NOTES,
};

/** What each condition checks beyond its schema, with an example. Every condition has an entry. */
export const CONDITION_NOTES: Readonly<Record<string, ReferenceEntry>> = {
  converged: { example: 'converged: all', notes: ['Identical ledger digests (same transactions, fork branches included).'] },
  sameOrder: { example: 'sameOrder: [alice, bob]', notes: ['Index i is the same transaction on every listed node; the order checked is printed (index, Lamport time, sender → receiver, amount).'] },
  balances: { example: 'balances: { alice: 974.50, bob: 1025.50 }', notes: ['Every running node is asked for its view of each listed account.'] },
  totalBalance: { example: 'totalBalance: 3000', notes: ["Sum over the playbook's nodes, as each running node sees it."] },
  noNegativeBalances: { example: 'noNegativeBalances: true' },
  transactions: { example: 'transactions: { alice: 3, bob: 3 }', notes: ['A number is that count on every node.'] },
  peers: { example: 'peers: 2', notes: ['A number is that count on every node.'] },
  peerState: { example: 'peerState: { node: alice, peer: carol, state: removed }', notes: ['`alive`: in the peer table, not suspected; `suspected`; `removed`: not in the table.'] },
  fileReceived: { example: 'fileReceived: { node: carol, sha256: 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 }' },
  logged: { example: 'logged: { node: all, type: peer-removed }', notes: ['An event of that type is in the node\'s log (e.g. peer-suspected, fork-detected, file-received).'] },
};

/** Plain words for the schema's named value kinds. */
const KIND_TEXT: Readonly<Record<string, string>> = {
  duration: 'duration (`200ms`, `2s`, `1.5m`, `1h`)',
  amount: 'amount (exact decimal, e.g. `25.50`)',
  size: 'size (`4096`, `10MB`, `256MiB`)',
  probability: 'probability (0 to 1)',
  path: 'path (relative to the playbook)',
  msgId: 'message id (a UUID, as `sim.inflight()` lists it)',
  nodeName: 'node name',
  nodeOrAll: 'node name, or `all`',
  nodeSet: '`all`, or a list of node names',
  peerRef: 'node name, or `host:port`',
  countPerNode: 'count (on every node), or `{node: count}`',
  fields: 'custom fields `{key: value}`',
  robotActions: 'list of actions, or `{action: weight}`',
  seed: 'seed (whole number)',
};

/** The value kinds the Values section explains (with the words used when the schema has none). */
const VALUES: readonly [string, string, string][] = [
  ['duration', 'duration', ''], ['amount', 'amount', ''], ['size', 'size', ''], ['probability', 'probability', ''],
  ['path', 'path', "A file path, relative to the playbook's folder."], ['nodeName', 'node name', ''], ['nodeSet', 'node set', ''],
  ['peerRef', 'peer', ''], ['fields', 'custom fields', ''],
];

const TOP_VALUE: Readonly<Record<string, string>> = {
  description: 'text', settings: 'mapping (below)', nodes: '`{name: node}` (below)', steps: 'list of steps (below)',
};

function refName(s: Schema): string | undefined {
  return typeof s.$ref === 'string' ? s.$ref.replace('#/definitions/', '') : undefined;
}

function typeText(s: Schema): string {
  const ref = refName(s);
  if (ref) return KIND_TEXT[ref] ?? ref;
  if (s.const === true) return '`true`';
  if (Array.isArray(s.enum)) return `one of ${s.enum.map((x) => `\`${String(x)}\``).join(', ')}`;
  if (s.type === 'boolean') return '`true` or `false`';
  if (s.type === 'string') return 'text';
  if (s.type === 'integer') return 'whole number';
  if (s.type === 'array' && s.items) return `list of ${typeText(s.items as Schema)}`;
  if (Array.isArray(s.type) && s.type.includes('object') && s.type.includes('array')) return 'a mapping, or a list of them';
  if (s.propertyNames && s.additionalProperties) return `\`{node: ${typeText(s.additionalProperties as Schema).replace(/ \(.*\)$/, '')}}\``;
  if (s.type === 'object') return 'mapping';
  return Array.isArray(s.type) ? s.type.join(' or ') : String(s.type ?? 'value');
}

/** The object a step's schema describes (following a reference to a shared shape), if any. */
function shape(s: Schema, defs: Schema): Schema | undefined {
  const ref = refName(s);
  const target = ref ? (defs[ref] as Schema) : s;
  return target && (target.type === 'object' || (Array.isArray(target.type) && target.type.includes('object'))) && target.properties ? target : undefined;
}

/** Meanings of fields the schema leaves undescribed, by field name. */
const FIELD_TEXT: Readonly<Record<string, string>> = {
  from: 'The node that acts (sends, pings, asks).',
  to: 'The node it sends to or asks.',
  node: 'The node that acts.',
  peer: 'The peer it acts on.',
  peers: 'The peers (default: every peer of the node).',
  amount: 'Exact, at the network scale.',
  path: "Relative to the playbook's folder.",
  fields: 'Custom fields (default: none).',
  nodes: 'The nodes that run a robot.',
  every: 'How often each robot node acts.',
  for: 'How long the robot runs.',
  maxAmount: 'Each send moves a random amount up to this.',
  actions: `Default: ${ROBOT_DEFAULTS}.`,
  background: 'Default false: the step lasts its `for`. True: the next step starts at once.',
  seed: 'Default: derived from the playbook seed.',
  drop: 'Chance each sent datagram is lost.',
  dropIn: 'Chance each received datagram is lost.',
  delay: 'Added to each datagram.',
  jitter: 'A random extra delay up to this.',
  duplicate: 'Chance a datagram is sent twice.',
  state: 'As the node sees the peer.',
  sha256: 'The file\'s SHA-256, in hex.',
  type: 'An event type.',
  midWrite: 'Crash inside the next fsync of the node (simulated only).',
};

function fieldRows(obj: Schema): string[] {
  const required = new Set((obj.required as string[] | undefined) ?? []);
  const rows = ['| field | value | required | meaning |', '|---|---|---|---|'];
  for (const [name, v] of Object.entries(obj.properties as Record<string, Schema>)) {
    const d = typeof v.description === 'string' ? v.description : (FIELD_TEXT[name] ?? '');
    rows.push(`| \`${name}\` | ${typeText(v)} | ${required.has(name) ? 'yes' : 'no'} | ${d} |`);
  }
  return rows;
}

function entry(title: string, description: string, s: Schema | undefined, defs: Schema, notes: ReferenceEntry, valueLine?: string): string[] {
  const out = [`### \`${title}\``, '', description, ''];
  const obj = s ? shape(s, defs) : undefined;
  if (obj && Array.isArray(obj.type) && obj.type.includes('array')) out.push('One mapping, or a list of them:', '');
  if (obj) out.push(...fieldRows(obj), '');
  else if (valueLine) out.push(valueLine, '');
  for (const n of notes.notes ?? []) out.push(`- ${n}`);
  if (notes.notes?.length) out.push('');
  out.push('```yaml', notes.example, '```', '');
  return out;
}

const stripShape = (d: string): string => d.replace(/: \{[^}]*\}\.$/, '.').replace(/: \[\[.*\]\]\. /, '. ');

/** The whole reference, as markdown. */
export function playbookReference(): string {
  const schema = buildPlaybookSchema();
  const defs = schema.definitions as Schema;
  const step = defs.step as Schema;
  const stepProps = step.properties as Record<string, Schema>;
  const modifiers = ['at', 'mayFail', 'name'];
  const kinds = Object.keys(stepProps).filter((k) => !modifiers.includes(k));
  const conditions = (stepProps.expect!.properties as Record<string, Schema>);
  const props = schema.properties as Record<string, Schema>;
  const out: string[] = [
    '# Playbook reference',
    '',
    '<!-- Generated by `npm run schema` from src/playbooks/reference.ts, the playbook schema and the API table (src/runtime/api.ts). A test fails when it is stale: edit those, not this file. -->',
    '',
    'A playbook is YAML: a `name`, `nodes` and `steps`. `peerlab check FILE` validates one (every error with line:column);',
    '`peerlab play FILE` runs it. Editors validate against `schema.json`: `# yaml-language-server: $schema=./schema.json`.',
    '',
    '## Values',
    '',
    ...VALUES.map(([k, label, what]) => `- **${label}**: ${typeof (defs[k] as Schema).description === 'string' ? String((defs[k] as Schema).description) : what}`),
    '',
    '## The playbook',
    '',
    '| key | value | meaning |',
    '|---|---|---|',
    ...Object.entries(props).filter(([k]) => k !== '$schema').map(([k, v]) => `| \`${k}\` | ${TOP_VALUE[k] ?? typeText(v)} | ${String(v.description ?? '')} |`),
    '',
    'Settings (all optional; defaults in brackets): `heartbeat: { interval [5s], timeout [15s] }`,',
    '`network: { initialBalance [1000], scale [2] }` (network parameters every node must share),',
    '`files: { maxBytes [256MiB] }`, `speed [1]` (the schedule runs this many times faster; `--speed` overrides it),',
    '`simulation: { latency [1ms], jitter [0.5ms], bandwidth [125MB], fsync [3ms] }` (simulated runs only: one-way latency of every link,',
    'extra latency drawn per datagram, stream bytes per second, mean time an fsync of the disk takes — each drawn between half and',
    'one and a half of it, so a crash can land mid-write and tear the bytes in flight; `0ms`: the disk answers at once).',
    '',
    '`mode: simulated` (or `play --sim`) runs the playbook on simulated time: every node in this process on a virtual clock',
    'and a simulated network, identities and ids derived from the seed, so one seed gives one run, byte for byte, as fast',
    'as it can (`--pace X` to watch it at X times real time). Not with `isolation: process`.',
    '',
    '### A node: `nodes.<name>`',
    '',
    ...fieldRows(defs.node as Schema),
    '',
    '`faults` takes the keys of the `faults` step: `drop`, `dropIn`, `delay`, `jitter`, `duplicate`.',
    '',
    'A name starts with a letter (letters, digits, `-`, `_`; `all` is reserved). `nodes: { alice: {}, bob: {} }` is enough.',
    '',
    '## Steps',
    '',
    'Steps run one after another; each is a mapping with exactly one action key, plus these:',
    '',
    ...fieldRows({ properties: Object.fromEntries(modifiers.map((m) => [m, stepProps[m]])) }),
    '',
    'A step with `at` runs at that time from the start, alongside the sequence (late: at once, with a warning).',
    'A failed action stops the run (the rest is skipped) unless it has `mayFail: true`; `sync` and robot actions never fail it.',
    '',
  ];
  for (const k of kinds) {
    const s = stepProps[k]!;
    const notes = STEP_NOTES[k];
    if (!notes) throw new Error(`no reference entry for step ${k}: add it to STEP_NOTES in src/playbooks/reference.ts`);
    const value = shape(s, defs) ? undefined : `Value: ${k === 'partition' ? 'a list of groups, each a list of node names' : k === 'parallel' ? 'a list of steps' : typeText(s)}.`;
    out.push(...entry(k, stripShape(String(s.description ?? '')), s, defs, notes, value));
  }
  out.push('## Conditions', '', 'Used by `expect` (checked once) and `waitFor` (polled until all hold or `within` passes).', '');
  for (const [k, s] of Object.entries(conditions)) {
    const notes = CONDITION_NOTES[k];
    if (!notes) throw new Error(`no reference entry for condition ${k}: add it to CONDITION_NOTES in src/playbooks/reference.ts`);
    const obj = shape(s, defs);
    out.push(...entry(k, String(s.description ?? ''), obj ? s : undefined, defs, notes, obj ? undefined : `Value: ${typeText(s)}.`));
  }
  return `${out.join('\n').trimEnd()}\n`;
}

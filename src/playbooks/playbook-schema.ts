/**
 * The playbook JSON Schema (DESIGN.md §2.3), built here: the playbook's own parts and cluster steps
 * (timing, checks, faults and robots across nodes), plus one step per method of the API table that
 * has a playbook step. `npm run schema` writes it to playbooks/schema.json for editors; a test
 * checks that the shipped file is what this builds.
 */
import { PLANT_NAMES, PLANT_TEXT } from '../runtime/plants.ts';
import { API, ROBOT_ACTIONS, stepParams, type ApiMethod, type ApiParam, type StepSpec } from '../runtime/api.ts';

type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });
const described = (description: string, schema: Schema): Schema => ({ description, ...schema });

/** The playbook's own steps, with their place among all steps (see `StepSpec.order`). */
export const CLUSTER_STEPS = {
  sync: 120, robot: 130, faults: 140, partition: 150, cut: 155, heal: 160, crash: 170, restart: 180, wait: 200, waitFor: 210, expect: 220, say: 240, parallel: 250,
  deliver: 260, drop: 261, diskFull: 262, clockJump: 263, hostile: 264,
} as const;

/** Kinds of hostile datagram a `hostile` step sends (`mixed`: each kind in turn). */
export const HOSTILE_KINDS = ['forged', 'oversized', 'malformed', 'lamport', 'mixed'] as const;

export type ClusterStepKind = keyof typeof CLUSTER_STEPS;

const FAULT_KEYS: Schema = { drop: ref('probability'), dropIn: ref('probability'), delay: ref('duration'), jitter: ref('duration'), duplicate: ref('probability') };

function clusterStep(kind: ClusterStepKind): Schema {
  switch (kind) {
    case 'sync':
      return described('Synchronise a node (or all) with its peers.', ref('nodeOrAll'));
    case 'robot':
      return described('Seeded random actions: {nodes, every, for, maxAmount, actions?, background?, seed?}.', {
        ...closed(['nodes', 'every', 'for', 'maxAmount']),
        properties: {
          nodes: ref('nodeSet'), every: ref('duration'), for: ref('duration'), maxAmount: ref('amount'), actions: ref('robotActions'), background: { type: 'boolean' }, seed: ref('seed'),
        },
      });
    case 'faults':
      return described('Change fault injection during the run: {node, drop?, dropIn?, delay?, jitter?, duplicate?, peer?, reset?}.', {
        ...closed(['node']),
        properties: {
          node: ref('nodeOrAll'),
          peer: described('Only the link to this node changes.', ref('nodeName')),
          ...FAULT_KEYS,
          reset: described('First set every fault back to zero, node-wide and per link (as node.faults.reset() does; cuts stay).', { const: true }),
        },
        minProperties: 2,
      });
    case 'partition':
      return described(
        'Split the network into groups that cannot reach each other: [[a, b], [c]]. Unlisted nodes form one more group. Replaces any partition or cut in force.',
        { type: 'array', minItems: 1, items: { type: 'array', minItems: 1, items: ref('nodeName') } },
      );
    case 'cut':
      return described('Cut single links: {node, peers}. The node stops talking to each peer, both ways (node.faults.partition(peers)); other links are untouched. Cuts add up.', {
        ...closed(['node', 'peers']),
        properties: { node: ref('nodeName'), peers: ref('nodeSet') },
      });
    case 'heal':
      return described('End partitions: {} ends every partition and cut; {node} ends the cuts of that node (node.faults.heal()).', {
        type: ['object', 'null'], additionalProperties: false, properties: { node: ref('nodeName') },
      });
    case 'crash':
      return described('Stop a node abruptly, as a kill would: no goodbye, unflushed writes lost (node.crash(); a SIGKILL with isolation: process). Simulated runs: {node, midWrite: true} crashes it inside its next fsync (waiting up to 5s for one), tearing the bytes in flight.', {
        type: ['string', 'object'], minLength: 1, additionalProperties: false, required: ['node', 'midWrite'],
        properties: { node: ref('nodeName'), midWrite: { const: true } },
      });
    case 'restart':
      return described('Start a crashed or stopped node again from its data, on the same port (node.restart(); a new process with isolation: process).', ref('nodeName'));
    case 'wait':
      return described('Pause the sequence.', ref('duration'));
    case 'waitFor':
      return described('Poll conditions until they hold or `within` passes.', {
        ...closed(['within']), properties: { ...conditions(), within: ref('duration') }, minProperties: 2,
      });
    case 'expect':
      return described('Check conditions now (each is a test case in the report).', {
        type: 'object', additionalProperties: false, properties: conditions(), minProperties: 1,
      });
    case 'say':
      return described('Print a line in the progress view.', { type: 'string' });
    case 'parallel':
      return described('Run these steps at the same time; ends when all have ended.', { type: 'array', minItems: 1, items: ref('step') });
    case 'deliver':
      return described('mode: simulated only. Deliver this datagram in flight now, by its message id (a hand decision recorded from a REPL on simulated time).', ref('msgId'));
    case 'drop':
      return described('mode: simulated only. Lose this datagram in flight, by its message id (a hand decision recorded from a REPL on simulated time).', ref('msgId'));
    case 'diskFull':
      return described('mode: simulated only. The node\'s disk refuses writes with ENOSPC: {node, for?} (until `for` passes, or until {node, off: true}).', {
        ...closed(['node']),
        properties: {
          node: ref('nodeName'),
          for: described('How long the disk stays full (default: until a diskFull step with off: true).', ref('duration')),
          off: described('The disk has room again.', { const: true }),
        },
      });
    case 'clockJump':
      return described('mode: simulated only. The node\'s wall clock jumps by a signed duration: {node, by} (by: -30s, by: 2h). Lamport time and timers are not affected.', {
        ...closed(['node', 'by']),
        properties: { node: ref('nodeName'), by: ref('signedDuration') },
      });
    case 'hostile':
      return described('mode: simulated only. `count` hostile datagrams sent to the node from fresh keys at a throwaway address: {node, count, kind?} (forged signatures, oversized, malformed, pushed Lamport clocks; default mixed).', {
        ...closed(['node', 'count']),
        properties: { node: ref('nodeName'), count: { type: 'integer', minimum: 1, maximum: 10000 }, kind: { enum: [...HOSTILE_KINDS] } },
      });
  }
}

function closed(required: string[]): Schema {
  return { type: 'object', additionalProperties: false, required };
}

/** A condition written as one mapping, or as a list of them. */
function oneOrList(required: string[], properties: Schema): Schema {
  return { type: ['object', 'array'], additionalProperties: false, required, properties, minItems: 1, items: { ...closed(required), properties } };
}

function conditions(): Schema {
  const countDescription = (what: string): string => `${what} count on every node, or per node.`;
  return {
    converged: described('Every listed node (or all) holds the same ledger (identical digests).', ref('nodeSet')),
    sameOrder: described('Every listed node (or all) lists the same transactions in the same order (index, Lamport time, sender, receiver); the order is printed.', ref('nodeSet')),
    balances: described('Shown balance per node, as seen by every node.', {
      type: 'object', minProperties: 1, propertyNames: ref('nodeName'), additionalProperties: ref('amount'),
    }),
    totalBalance: described("Sum of the playbook nodes' shown balances, as seen by every node.", ref('amount')),
    noNegativeBalances: described('No node shows a negative balance.', { type: 'boolean' }),
    transactions: described(countDescription('Transaction'), ref('countPerNode')),
    peers: described(countDescription('Peer'), ref('countPerNode')),
    peerState: described('The state of a peer as seen by a node: alive, suspected or removed.', oneOrList(['node', 'peer', 'state'], {
      node: ref('nodeName'), peer: ref('nodeName'), state: { enum: ['alive', 'suspected', 'removed'] },
    })),
    fileReceived: described('A node has verified and stored a file with this SHA-256.', oneOrList(['node', 'sha256'], {
      node: ref('nodeName'), sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' },
    })),
    logged: described('An event type was seen on a node (or on all).', oneOrList(['node', 'type'], {
      node: ref('nodeOrAll'), type: { type: 'string', minLength: 1 },
    })),
  };
}

/** How a step writes a parameter of each kind: playbook node names stand for peers. */
function stepValue(p: ApiParam): Schema {
  switch (p.kind) {
    case 'address':
      return ref('peerRef');
    case 'addresses': {
      // How many the method takes (doubleSpend: exactly two, different), else at least one.
      const { minItems = 1, maxItems, uniqueItems } = p.schema as { minItems?: number; maxItems?: number; uniqueItems?: boolean };
      return { type: 'array', minItems, ...(maxItems !== undefined ? { maxItems } : {}), ...(uniqueItems ? { uniqueItems } : {}), items: ref('peerRef') };
    }
    case 'account':
    case 'peer':
      return ref('nodeName');
    case 'amount':
    case 'fields':
    case 'path':
      return ref(p.kind);
    default:
      throw new Error(`a playbook step cannot set parameter ${p.name} of kind ${p.kind}`);
  }
}

/** A method's step: `{from, to, amount}`, or the calling node alone (`leave: carol`). */
function callStep(m: ApiMethod, step: StepSpec, definitions: Schema): Schema {
  if (step.caller === 'value') return described(`${step.description}.`, ref('nodeName'));
  const params = stepParams(m);
  const keys = [step.caller, ...params.map(({ param, key }) => `${key}${param.optional ? '?' : ''}`)];
  const shape: Schema = {
    ...closed([step.caller, ...params.filter(({ param }) => !param.optional).map(({ key }) => key)]),
    properties: Object.fromEntries([[step.caller, ref('nodeName')], ...params.map(({ param, key }) => [key, stepValue(param)])]),
  };
  // A shape the definitions already name ({node, peer}, {from, to}) is written as a reference to it.
  const same = Object.keys(definitions).find((name) => JSON.stringify(definitions[name]) === JSON.stringify(shape));
  return described(`${step.description}: {${keys.join(', ')}}.`, same ? ref(same) : shape);
}

function stepSchema(definitions: Schema): Schema {
  const steps: [string, number, Schema][] = [
    ...Object.entries(CLUSTER_STEPS).map(([kind, order]): [string, number, Schema] => [kind, order, clusterStep(kind as ClusterStepKind)]),
    ...API.flatMap((m): [string, number, Schema][] => (m.exposed.step ? [[m.exposed.step.key, m.exposed.step.order, callStep(m, m.exposed.step, definitions)]] : [])),
  ];
  steps.sort((a, b) => a[1] - b[1]);
  return {
    description: 'One step: exactly one action key, plus optional at, mayFail and name.',
    type: 'object',
    additionalProperties: false,
    properties: {
      at: described('Run at this time from the start of the playbook, alongside the sequence.', ref('duration')),
      mayFail: described('A failure of this step does not fail the run.', { type: 'boolean' }),
      name: described('Label shown in the progress view and reports.', { type: 'string', minLength: 1 }),
      ...Object.fromEntries(steps.map(([kind, , schema]) => [kind, schema])),
    },
    oneOf: steps.map(([kind]) => ({ properties: { [kind]: true }, required: [kind] })),
  };
}

function definitions(): Schema {
  const actions = Object.keys(ROBOT_ACTIONS);
  const nodeText = (description: string): Schema => described(description, { type: 'string', minLength: 1 });
  return {
    seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
    duration: described('A duration with its unit: 200ms, 2s, 1.5m or 1h, at most 596h (a bare number is refused: 3 could mean 3s or 3ms).', {
      type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h)\\s*$',
    }),
    signedDuration: described('A duration with its unit and an optional sign: -30s, 2h, +500ms.', {
      type: 'string', pattern: '^\\s*[+-]?\\d+(\\.\\d+)?\\s*(ms|s|m|h)\\s*$',
    }),
    amount: described('An exact decimal amount like 25.50.', { type: ['string', 'number'], minimum: 0, pattern: '^\\s*\\d+(\\.\\d+)?\\s*$' }),
    size: described('A size in bytes like 4096, 10MB or 256MiB.', {
      type: ['string', 'integer'], minimum: 0, pattern: '^\\s*\\d+(\\.\\d+)?\\s*([Bb]|[KkMmGgTt][Ii]?[Bb])?\\s*$',
    }),
    probability: described('A probability between 0 and 1.', { type: 'number', minimum: 0, maximum: 1 }),
    path: { type: 'string', minLength: 1 },
    msgId: described('A message id (a UUID), as sim.inflight() lists it.', { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' }),
    nodeName: nodeText('A node named under `nodes`.'),
    nodeOrAll: nodeText('A node named under `nodes`, or `all`.'),
    nodeSet: described('`all` or a list of node names.', {
      type: ['string', 'array'], minLength: 1, minItems: 1, uniqueItems: true, items: ref('nodeName'),
    }),
    peerRef: nodeText('A node named under `nodes`, or an address host:port.'),
    countPerNode: {
      type: ['integer', 'object'], minimum: 0, minProperties: 1, propertyNames: ref('nodeName'), additionalProperties: { type: 'integer', minimum: 0 },
    },
    nodePeer: { ...closed(['node', 'peer']), properties: { node: ref('nodeName'), peer: ref('peerRef') } },
    fromTo: { ...closed(['from', 'to']), properties: { from: ref('nodeName'), to: ref('nodeName') } },
    fields: described('Custom fields: string keys, scalar values (at most 16; ledger keys are reserved).', {
      type: 'object',
      maxProperties: 16,
      propertyNames: {
        type: 'string', minLength: 1, maxLength: 64,
        not: { enum: ['id', 'from', 'to', 'sender', 'receiver', 'amount', 'seq', 'prev', 'claims', 'timestamp', 'time', 'lamport', 'sig', 'signature', 'file'] },
      },
      additionalProperties: { type: ['string', 'number', 'boolean', 'null'] },
    }),
    robotActions: described('Which actions the robot takes: a list (equal weights) or action -> weight.', {
      type: ['array', 'object'], minItems: 1, uniqueItems: true, items: { enum: actions },
      minProperties: 1, propertyNames: { enum: actions }, additionalProperties: { type: 'number', minimum: 0 },
    }),
    node: described('A node: {port?, host?, data?, seed?, faults?}.', {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: {
        port: described('Port to bind; a free one when absent.', { type: 'integer', minimum: 1, maximum: 65535 }),
        host: described('Bind address (default 127.0.0.1).', { type: 'string', minLength: 1 }),
        data: described('Data directory (relative to the playbook); a temp dir when absent.', ref('path')),
        seed: described("Seed of this node's fault decisions; derived from the playbook seed when absent.", ref('seed')),
        faults: described("Faults from the node's start.", { type: 'object', additionalProperties: false, properties: FAULT_KEYS }),
      },
    }),
  };
}

/** The whole schema, as plain JSON data. */
export function buildPlaybookSchema(): Schema {
  const defs = definitions();
  defs.step = stepSchema(defs);
  const settings = (properties: Schema): Schema => ({ type: 'object', additionalProperties: false, properties });
  return JSON.parse(JSON.stringify({
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'peerlab playbook',
    description: 'A peerlab playbook (DESIGN.md §2.3): nodes and the steps run against them.',
    type: 'object',
    additionalProperties: false,
    required: ['name', 'nodes', 'steps'],
    properties: {
      $schema: { type: 'string' },
      name: described('Title shown in reports.', { type: 'string', minLength: 1 }),
      description: { type: 'string' },
      seed: described('Drives robots and fault decisions; --seed overrides it.', ref('seed')),
      isolation: described('in-process (default) or process: each node its own OS process.', { enum: ['in-process', 'process'] }),
      mode: described('real (default): sockets and wall time; simulated: virtual time and a simulated network, one seed one run (--sim overrides).', { enum: ['real', 'simulated'] }),
      plant: described(`mode: simulated only. A bug planted on purpose, for labs: ${PLANT_NAMES.map((p) => `${p} (${PLANT_TEXT[p]})`).join('; ')}.`, { enum: [...PLANT_NAMES] }),
      settings: settings({
        heartbeat: settings({ interval: ref('duration'), timeout: ref('duration') }),
        network: settings({ initialBalance: ref('amount'), scale: { type: 'integer', minimum: 0, maximum: 8 } }),
        files: settings({ maxBytes: ref('size') }),
        speed: described('Default schedule speed factor; --speed overrides it.', { type: 'number', exclusiveMinimum: 0 }),
        simulation: described('The simulated world (simulated runs only): one-way latency and jitter of every link, stream bandwidth per second, mean time an fsync of the disk takes.', settings({
          latency: ref('duration'), jitter: ref('duration'), bandwidth: ref('size'), fsync: ref('duration'),
        })),
      }),
      nodes: described('The nodes, by name.', {
        type: 'object', minProperties: 1,
        propertyNames: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_-]{0,31}$', not: { const: 'all' } },
        additionalProperties: ref('node'),
      }),
      steps: { type: 'array', minItems: 1, items: ref('step') },
    },
    definitions: defs,
  })) as Schema;
}

/** The file's text: what `npm run schema` writes. */
export function playbookSchemaText(): string {
  return `${JSON.stringify(buildPlaybookSchema(), null, 2)}\n`;
}

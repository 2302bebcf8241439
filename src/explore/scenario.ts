/**
 * A generated scenario (issue 16): a playbook document as plain data — the same keys a person
 * writes in YAML — so that it can be written as a file that `play --sim` replays, and shrunk step
 * by step (delta debugging works on this structure, never on bytes). Steps are kept as their YAML
 * objects; a scenario is checked by loading its text through the playbook loader, like any file.
 */
import { stringify } from 'yaml';
import { PeerlabError } from '../runtime/errors.ts';
import { formatErrors } from '../playbooks/errors.ts';
import { loadPlaybook } from '../playbooks/load.ts';
import { planPlaybook, type Plan } from '../playbooks/plan.ts';

/** A step as written in a playbook: one step key (`send`, `crash`, ...) plus modifiers (`at`, `mayFail`). */
export type StepDoc = Readonly<Record<string, unknown>>;

/** A node's entry under `nodes:`. */
export interface NodeDoc {
  readonly faults?: Readonly<Record<string, number | string>>;
}

export interface Scenario {
  /** The seed it was generated from (also the playbook's `seed`, so one seed is one run). */
  readonly seed: number;
  /** A planted lab bug, when one is on (`plant: NAME`). */
  readonly plant?: string;
  readonly settings: Readonly<Record<string, unknown>>;
  /** Node names in order (`n1`, `n2`, ...), each with its starting faults. */
  readonly nodes: Readonly<Record<string, NodeDoc>>;
  readonly steps: readonly StepDoc[];
}

/** The playbook document of a scenario, keys in the order a person would write them. */
export function scenarioDocument(s: Scenario, name = `explore seed ${s.seed}`): Record<string, unknown> {
  return {
    name,
    mode: 'simulated',
    seed: s.seed,
    ...(s.plant !== undefined ? { plant: s.plant } : {}),
    settings: s.settings,
    nodes: Object.fromEntries(Object.entries(s.nodes).map(([n, d]) => [n, d.faults && Object.keys(d.faults).length ? { faults: d.faults } : {}])),
    steps: s.steps,
  };
}

/** The scenario as playbook YAML, with a comment saying where it came from and how to replay it. */
export function scenarioYaml(s: Scenario, header: readonly string[] = []): string {
  const doc = scenarioDocument(s);
  const top = stringify({ name: doc.name, mode: doc.mode, seed: doc.seed, ...(doc.plant !== undefined ? { plant: doc.plant } : {}) }, { lineWidth: 0 });
  // One line per setting, node and step, the way the shipped playbooks read: `- send: { from: n1, to: n2, amount: 3 }`.
  const settings = Object.entries(s.settings).map(([k, v]) => `  ${k}: ${flow(v)}\n`).join('');
  const nodes = Object.entries(s.nodes).map(([k, v]) => `  ${k}: ${v.faults && Object.keys(v.faults).length ? flow({ faults: v.faults }) : '{}'}\n`).join('');
  const steps = s.steps.map((step) => Object.entries(step).map(([k, v], i) => `${i === 0 ? '  - ' : '    '}${k}: ${flow(v)}\n`).join('')).join('');
  return [...header.map((l) => `# ${l}\n`), top, `settings:\n${settings}`, `nodes:\n${nodes}`, `steps:\n${steps}`].join('');
}

function flow(v: unknown): string {
  return stringify(v, { collectionStyle: 'flow', flowCollectionPadding: true, lineWidth: 0 }).trimEnd();
}

/** Counts what a scenario holds, for messages and the shrinker's progress. */
export function scenarioSize(s: Scenario): { nodes: number; steps: number } {
  return { nodes: Object.keys(s.nodes).length, steps: s.steps.length };
}

/**
 * Loads a scenario's text as any playbook file is loaded, and plans it. A generated scenario that
 * does not load is a bug in the generator (or, while shrinking, a candidate to skip): the error
 * says every problem with its line:column in the text.
 */
export function planScenario(s: Scenario, file = `seed-${s.seed}.yaml`): Plan {
  const text = scenarioYaml(s);
  const { playbook, errors } = loadPlaybook(text, file, { baseDir: process.cwd() });
  if (!playbook) throw new PeerlabError('BAD_ARGUMENT', `the scenario of seed ${s.seed} is not a valid playbook:\n${formatErrors(errors)}`);
  return planPlaybook(playbook);
}

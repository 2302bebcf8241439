/**
 * A failure is a file (issue 16 item 3): under the output folder, the failing seed's playbook
 * `seed-<S>.yaml` (it replays with `peerlab play` and fails the same way: it carries `mode:
 * simulated`, its seed and its plant), the run's trace `seed-<S>.jsonl` and its space-time diagram
 * `seed-<S>.html`; after shrinking, `seed-<S>.min.yaml` beside it with its own trace and diagram.
 * The comment on top of each playbook says what broke and how to replay it.
 */
import { join } from 'node:path';
import { nodeFileSystem } from '../runtime/fs/node-file-system.ts';
import { writeHtmlReport } from '../trace/html-report.ts';
import type { TraceRecord } from '../runtime/trace.ts';
import { pathFrom, peerlabCommand } from '../repl/peerlab-command.ts';
import { scenarioYaml, type Scenario } from './scenario.ts';
import type { SeedVerdict } from './seed-run.ts';

export interface FailureFiles {
  readonly playbook: string;
  readonly trace: string;
  readonly html: string;
  /** The command that replays it, as the user would type it from the working folder. */
  readonly reproduce: string;
}

/** The lines a failure's playbook starts with (as YAML comments). */
export function failureHeader(v: Pick<SeedVerdict, 'seed' | 'violation' | 'divergence' | 'error'>, what: string): string[] {
  const lines = [`${what} by peerlab explore from seed ${v.seed}.`];
  if (v.violation) {
    const where = v.violation.traceLine !== undefined ? `, trace line ${v.violation.traceLine}` : '';
    lines.push(`It breaks the invariant ${v.violation.invariant} at ${(v.violation.atMs / 1000).toFixed(3)}s simulated${where}:`, `  ${v.violation.message}`);
  }
  if (v.error !== undefined) lines.push(`Running it throws: ${v.error.split('\n')[0]}`);
  if (v.divergence) lines.push(`Two runs of it differ first at trace line ${v.divergence.line} (it is not deterministic).`);
  lines.push('Replay it with: peerlab play <this file> (add --trace / --html to look inside).');
  return lines;
}

/** Writes a scenario as `<stem>.yaml`, its trace as `<stem>.jsonl` and its diagram as `<stem>.html`. */
export async function writeFailure(dir: string, stem: string, s: Scenario, header: readonly string[], trace: readonly TraceRecord[]): Promise<FailureFiles> {
  // Through the disk seam, after the runs: the real disk (a failure is for people to open).
  const fs = nodeFileSystem;
  await fs.mkdir(dir, { recursive: true });
  const playbook = join(dir, `${stem}.yaml`);
  const tracePath = join(dir, `${stem}.jsonl`);
  const html = join(dir, `${stem}.html`);
  await fs.writeFile(playbook, scenarioYaml(s, header));
  await fs.writeFile(tracePath, trace.map((r) => JSON.stringify(r) + '\n').join(''));
  await writeHtmlReport(trace, html, { title: `explore seed ${s.seed}${stem.endsWith('.min') ? ' (shrunk)' : ''}`, initialBalance: String((s.settings.network as { initialBalance?: number } | undefined)?.initialBalance ?? 1000), lanes: Object.keys(s.nodes) });
  return { playbook, trace: tracePath, html, reproduce: `${peerlabCommand()} play ${pathFrom(process.cwd(), playbook)}` };
}

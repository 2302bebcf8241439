import chalk from 'chalk';
import { clusterProblem, machineCapacity } from '../playbooks/capacity.ts';
import { InProcessCluster, type Cluster } from '../playbooks/cluster.ts';
import { formatErrors } from '../playbooks/errors.ts';
import { loadPlaybookFile } from '../playbooks/load.ts';
import { guardPaths, PathRule } from '../playbooks/path-rule.ts';
import type { Playbook } from '../playbooks/playbook.ts';
import { formatPlan, planPlaybook, type Plan } from '../playbooks/plan.ts';
import { buildReport, writeReport, type NodeSummary, type PlaybookReport } from '../playbooks/report.ts';
import { InvariantMonitor } from '../playbooks/invariants-monitor.ts';
import { Runner } from '../playbooks/runner.ts';
import { sayRecord } from '../playbooks/sim-play.ts';
import type { PeerlabEvent } from '../runtime/events.ts';
import { wallNow } from '../runtime/sim/real-time.ts';
import { MemoryTrace, TraceWriter, type TraceRecord, type TraceSink } from '../runtime/trace.ts';
import { formatUnits } from '../runtime/ledger/amount.ts';
import { pathFrom, peerlabCommand } from '../repl/peerlab-command.ts';
import { EventPrinter, PlayProgress, renderSummary, type EventChoice } from './play-output.ts';
import { firstDivergence, simRun, withoutWall, type SimRun } from './play-sim.ts';
import { prepareView, wantsUi, type UiCliOptions } from './live-view.ts';
import { rm } from 'node:fs/promises';

export interface PlayOptions extends UiCliOptions {
  seed?: number;
  speed?: number;
  report?: string;
  trace?: string;
  html?: string;
  dryRun?: boolean;
  /** Print node events as they happen: every kind (true) or these (`txn-*,peer-added`). */
  events?: EventChoice;
  /** Same as `events: true`. */
  verbose?: boolean;
  /** Folders file steps may reach besides the playbook's and the working folder. */
  allowPaths?: string[];
  /** Simulated time, whatever the playbook's `mode` (DESIGN.md §6). */
  sim?: boolean;
  /** Simulated time paced at this many times real time (default: as fast as it can). */
  pace?: number;
  /** Runs twice and compares the traces (simulated runs only). */
  checkDeterminism?: boolean;
}

/** Writes to several trace sinks at once (a file and the in-memory copy the HTML report reads). */
class TeeTrace implements TraceSink {
  constructor(private readonly sinks: TraceSink[]) {}
  write(r: TraceRecord): void {
    for (const s of this.sinks) s.write(r);
  }
  async close(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.close()));
  }
}

/** Runs a playbook file; returns the exit code (0, 1 or 2). */
export async function play(file: string, o: PlayOptions, out: (s: string) => void): Promise<number> {
  const { playbook, errors } = await loadPlaybookFile(file, { allowPaths: o.allowPaths ?? [] });
  if (!playbook || errors.length) {
    process.stderr.write(formatErrors(errors) + '\n');
    return 2;
  }
  let plan: Plan;
  try {
    plan = planPlaybook(playbook, { ...(o.seed !== undefined ? { seed: o.seed } : {}), ...(o.speed !== undefined ? { speed: o.speed } : {}), ...(o.sim ? { sim: true } : {}) });
  } catch (err) {
    process.stderr.write(`peerlab play: ${(err as Error).message}\n`);
    return 2;
  }
  const misuse = modeMisuse(plan, o);
  if (misuse) {
    process.stderr.write(`peerlab play: ${misuse}\n`);
    return 2;
  }
  if (o.dryRun) {
    out(formatPlan(plan));
    return 0;
  }
  // Before anything starts: a cluster this machine cannot open would die half-way (issue 15 item 8).
  const tooBig = plan.mode === 'real' ? clusterProblem(plan.nodes.length, plan.isolation, machineCapacity()) : undefined;
  if (tooBig) {
    process.stderr.write(`peerlab play: ${tooBig}\n`);
    return 2;
  }
  const flags = [plan.mode === 'simulated' && playbook.mode !== 'simulated' ? ' --sim' : '', o.speed !== undefined ? ` --speed ${o.speed}` : ''].join('');
  const reproduce = `${peerlabCommand()} play ${pathFrom(process.cwd(), file)} --seed ${plan.seed}${flags}`;
  const how = plan.mode === 'simulated' ? `, simulated time${o.pace !== undefined ? ` paced ${o.pace}x` : ''}` : '';
  out(`${chalk.bold(plan.name)} — ${plan.nodes.length} nodes, seed ${plan.seed}${how} (reproduce with: ${reproduce})\n`);

  const first = await runOnce(playbook, plan, o, out, reproduce, o.checkDeterminism === true, true);
  if (!first) return 130;
  const { report, memory } = first;
  out(renderSummary(report));
  if (o.report) {
    await writeReport(o.report, report);
    out(chalk.gray(`report written to ${o.report}\n`));
  }
  if (o.trace) out(chalk.gray(`trace written to ${o.trace}\n`));
  const v = report.violation;
  if (v?.traceLine !== undefined) out(chalk.red(`invariant ${v.invariant}: see line ${v.traceLine} of the trace${o.trace ? ` (${o.trace})` : ' (write it with --trace FILE)'}\n`));
  if (o.html && memory) {
    const { writeHtmlReport } = await import('../trace/html-report.ts');
    const net = plan.settings.network;
    const s = await writeHtmlReport(memory.records, o.html, {
      title: plan.name,
      ...(net.initialBalance !== undefined ? { initialBalance: formatUnits(net.initialBalance, net.scale) } : {}),
      lanes: plan.nodes.map((n) => n.name),
    });
    out(chalk.gray(`diagram written to ${o.html} (${s.nodes} nodes, ${s.delivered} messages, ${s.events} events)\n`));
  }
  if (o.checkDeterminism && memory) {
    out(chalk.gray('checking determinism: running it again with the same seed...\n'));
    const again = await runOnce(playbook, plan, { ...o, report: undefined, trace: undefined, html: undefined, events: undefined, verbose: false }, () => {}, reproduce, true, false);
    if (!again) return 130;
    const diverged = firstDivergence(memory.records, again.memory!.records);
    if (diverged) {
      out(chalk.red(`NOT DETERMINISTIC: the traces differ first at line ${diverged.line}\n`));
      out(`  first run:  ${diverged.first}\n  second run: ${diverged.second}\n`);
      return 1;
    }
    if (withoutWall(report) !== withoutWall(again.report)) {
      out(chalk.red('NOT DETERMINISTIC: the traces are identical but the reports differ\n'));
      return 1;
    }
    out(chalk.green(`deterministic: both runs wrote the same ${memory.records.length} trace lines and the same report\n`));
  }
  return report.exitCode;
}

/** What the mode forbids: `--speed` in simulation, `--pace` or `--check-determinism` on real time. */
function modeMisuse(plan: Plan, o: PlayOptions): string | undefined {
  const sim = plan.mode === 'simulated';
  if (sim && o.speed !== undefined) return '--speed runs a real-time schedule faster; simulated time already runs as fast as it can: use --pace X to watch it at X times real time';
  if (!sim && o.pace !== undefined) return '--pace paces simulated time: add --sim (or mode: simulated), or use --speed on real time';
  if (!sim && o.checkDeterminism) return '--check-determinism compares two runs on simulated time, where one seed gives one run: add --sim (or mode: simulated)';
  return undefined;
}

interface RunOutcome {
  report: PlaybookReport;
  memory: MemoryTrace | undefined;
}

/**
 * One run of the plan: nodes up, steps, summary, nodes down. Undefined when interrupted. With
 * `withView` and --ui, the live view watches it (on simulated time: the world's clock, paced).
 */
async function runOnce(playbook: Playbook, plan: Plan, o: PlayOptions, out: (s: string) => void, reproduce: string, keepTrace: boolean, withView: boolean): Promise<RunOutcome | undefined> {
  const memory = o.html || keepTrace ? new MemoryTrace() : undefined;
  const sinks: TraceSink[] = [];
  if (o.trace) {
    // A new run, a new trace (TraceWriter appends, so that several nodes can share one file).
    await rm(o.trace, { force: true });
    sinks.push(new TraceWriter(o.trace));
  }
  if (memory) sinks.push(memory);
  // --ui: the live view reads the same trace and events, and drives the nodes through their handles.
  const folders = [
    { dir: playbook.baseDir, label: "the playbook's folder" },
    { dir: process.cwd(), label: 'the working folder' },
    ...(o.allowPaths ?? []).map((dir) => ({ dir, label: 'the allowed folder' })),
  ];
  const simulated = plan.mode === 'simulated';
  const watched = withView && wantsUi(o);
  // Watched, simulated time runs at real time unless --pace says otherwise.
  const pace = simulated && watched ? (o.pace ?? 1) : o.pace;
  let world: SimRun['world'] | undefined;
  const view = watched
    ? await prepareView(o, { title: plan.name, folders, ...(simulated ? { clock: () => ({ now: world ? world.control.now() : 0, rate: pace ?? 1 }) } : {}) })
    : undefined;
  if (view) sinks.push(view.trace);
  // On simulated time every invariant is checked throughout (issue 16); the monitor sees each
  // trace line first, so the line it names is the line in the file.
  const monitor = simulated ? new InvariantMonitor(plan) : undefined;
  if (monitor) sinks.unshift(monitor);
  const trace = sinks.length ? new TeeTrace(sinks) : undefined;
  const sim: SimRun | undefined = simulated ? simRun(plan, trace, undefined, pace) : undefined;
  world = sim?.world;
  if (sim) monitor?.attach(sim.world, sim.cluster);
  const clock = sim ? () => sim.world.control.now() : () => Date.now();
  const events = o.events || o.verbose ? new EventPrinter(o.events || true, out, clock, sim !== undefined) : undefined;
  const listeners = [events?.onEvent, view?.listen].filter((f): f is (e: PeerlabEvent) => void => f !== undefined);
  const listen = listeners.length ? (e: PeerlabEvent): void => listeners.forEach((f) => f(e)) : undefined;
  if (sim && listen) sim.cluster.listen(listen);
  const drive = <T>(p: Promise<T>): Promise<T> => (sim ? sim.drive(p) : p);
  const raw = sim ? undefined : await makeCluster(plan, trace, listen);
  // File steps are checked against the path rule again right before each call (a link may change).
  const cluster: Cluster = sim ? sim.cluster : guardPaths(raw!, PathRule.forPlaybook(playbook.baseDir, process.cwd(), o.allowPaths ?? []));
  let started: Promise<void> | undefined;
  let interrupted = false;
  const offSignals = onInterrupt(out, async () => {
    interrupted = true;
    sim?.world.driver.stop();
    await started?.catch(() => undefined);
    await cluster.stop();
    await trace?.close();
    await view?.close();
  });
  let report: PlaybookReport | undefined;
  const wall0 = wallNow();
  try {
    await sim?.prepare();
    started = drive(cluster.start());
    await started;
    for (const h of cluster.all()) events?.learn(h.id, h.name, h.address);
    out(chalk.gray(`nodes: ${cluster.all().map((h) => `${h.name} ${h.address}`).join(', ')}\n`));
    // The view checks typed paths itself (and lets through the uploads it keeps in its own folder).
    await view?.openHandles(() => (raw ?? cluster).all(), (line) => out(`${line}\n`));
    const progress = new PlayProgress();
    const runner = new Runner(plan, monitor?.cluster ?? cluster, (e) => {
      monitor?.onRunEvent(e);
      // say: markers go into the trace too, so replay pauses on them and the diagram shows them.
      if (e.type === 'say') trace?.write(sayRecord(e.text, clock()));
      out(progress.render(e));
    }, sim && monitor ? monitor.time(sim.time) : sim?.time);
    events?.startClock();
    monitor?.start();
    const ran = await drive(runner.run());
    const result = monitor ? monitor.settled(ran) : ran;
    if (monitor) await drive(monitor.finish());
    for (const k of events?.unseen() ?? []) out(chalk.gray(`(no ${k} events in this run)\n`));
    const nodes = await drive(summarise(cluster));
    report = buildReport(plan, result, nodes, reproduce, sim ? { wallMs: Math.round(wallNow() - wall0), violation: monitor?.violation } : undefined);
  } finally {
    monitor?.stop();
    if (!interrupted) await drive(cluster.stop());
    await trace?.close();
    await view?.close();
    offSignals();
  }
  if (interrupted) return undefined;
  return { report, memory };
}

const SIGNAL_EXIT: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * SIGINT / SIGTERM during a run (issue 15 item 11): stop the nodes (a process cluster's children
 * included), remove the run's temp dir with its keys and ledgers, then exit 128 + the signal's
 * number. A second signal exits at once. Returns the function that removes the handlers.
 */
function onInterrupt(out: (s: string) => void, stopAll: () => Promise<void>): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    const code = SIGNAL_EXIT[signal] ?? 1;
    if (stopping) process.exit(code);
    stopping = true;
    out(`\n${signal}: stopping the nodes and removing the run's temporary files (again to quit at once)\n`);
    void stopAll().finally(() => process.exit(code));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

async function makeCluster(plan: Plan, trace: TraceSink | undefined, listen: ((e: PeerlabEvent) => void) | undefined): Promise<Cluster> {
  if (plan.isolation === 'process') {
    const { ProcessCluster } = await import('../playbooks/process-cluster.ts');
    return new ProcessCluster(plan, trace, listen);
  }
  return new InProcessCluster(plan, trace, listen);
}

async function summarise(cluster: Cluster): Promise<NodeSummary[]> {
  return Promise.all(
    cluster.all().map(async (h) => {
      const s: NodeSummary = { name: h.name, address: h.address, id: h.id, running: h.running };
      if (!h.running) return s;
      try {
        s.balance = (await h.call<{ balance: string }>('balance')).balance;
        s.transactions = (await h.call<unknown[]>('transactions')).length;
        s.peers = (await h.call<unknown[]>('peers')).length;
        s.digest = await h.call<string>('digest');
      } catch {
        // A node that cannot answer is reported as it is.
      }
      return s;
    }),
  );
}

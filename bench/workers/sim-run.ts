/**
 * Runs one simulated playbook in this process alone (bench/sim-1000.ts), as `play --sim` does,
 * and reports what a simulation benchmark needs besides the report: datagrams delivered, events
 * run, simulated and wall time, CPU time, peak RSS. Prints `baseline` (RSS once the modules are
 * loaded) and `result`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { simRun } from '../../src/cli/play-sim.ts';
import { loadPlaybookFile } from '../../src/playbooks/load.ts';
import { planPlaybook } from '../../src/playbooks/plan.ts';
import { Runner } from '../../src/playbooks/runner.ts';
import { now, out } from './rpc.ts';

const { values: a } = parseArgs({ options: { file: { type: 'string' } } });
const status = (field: string): number => {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
};
out({ type: 'baseline', rss: status('VmRSS'), hwm: status('VmHWM'), pid: process.pid });
const { playbook, errors } = await loadPlaybookFile(a.file!);
if (!playbook || errors.length) {
  out({ type: 'result', error: errors.map((e) => e.message).join('; ') });
  process.exit(0);
}
const plan = planPlaybook(playbook, { sim: true });
const run = simRun(plan, undefined, undefined);
const t0 = now();
const cpu0 = process.cpuUsage();
await run.prepare();
await run.drive(run.cluster.start());
const startedMs = now() - t0;
const result = await run.drive(new Runner(plan, run.cluster, (e) => {
  if (e.type === 'step-end') out({ type: 'step', id: e.record.id, name: e.record.name, status: e.record.status, startMs: e.record.startMs, ms: e.record.ms, wallMs: Math.round(now() - t0) });
}, run.time).run());
const digests = await run.drive(Promise.all(run.cluster.all().map((h) => h.call<string>('digest').catch(() => '?'))));
const wallMs = now() - t0;
const cpu = process.cpuUsage(cpu0);
const { world } = run;
const stats = { delivered: world.datagrams.delivered, sent: world.datagrams.sent, events: world.scheduler.executed, simulatedMs: world.now() };
await run.drive(run.cluster.stop());
out({
  type: 'result', ok: result.ok, wallMs, startedMs, cpuMs: (cpu.user + cpu.system) / 1000, hwm: status('VmHWM'), ...stats,
  nodes: plan.nodes.length, distinctDigests: new Set(digests).size, steps: result.steps.map((s) => ({ id: s.id, name: s.name, status: s.status, startMs: s.startMs, ms: s.ms, error: s.error })),
  expectations: result.expectations.map((e) => ({ ok: e.ok, text: e.text, actual: e.ok ? undefined : e.actual })),
});
process.exit(0);

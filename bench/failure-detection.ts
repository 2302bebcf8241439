/**
 * Failure detection (DESIGN.md §4, issue 2 acceptance): five real `peerlab node` processes on
 * 127.0.0.1, `--drop 0.3` on every node, heartbeat interval 200 ms and timeout 2 s, four joined
 * through the first.
 *
 * 1. Stable run (60 s; 15 s with --quick): any peer-removed for a live peer is a false removal.
 * 2. SIGKILL one node: time until every other node has emitted peer-removed for it (goal <= 3 s).
 * 3. Restart it on the same port with the same --data dir (same identity): time until every other
 *    node has emitted peer-added for it again.
 *
 * Times come from the nodes' own event timestamps (wall clock, same machine) against the moment
 * the bench sent the signal / saw the restarted node start.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFigure, type Benchmark, type BenchOptions, type Figure } from './benchmark.ts';
import { freePort, isMessageDropped, mean, PeerlabProcess, RssSampler, sleep, type JsonLine } from './lib.ts';

const NAME = 'failure-detection';
const NAMES = ['a', 'b', 'c', 'd', 'e'];
const VICTIM = 2;
const DROP = 0.3;
const INTERVAL_MS = 200;
const TIMEOUT_MS = 2000;
const DETECTION_GOAL_MS = 3000;
const READMIT_WAIT_MS = 20_000;

/** Event time (the node's wall clock) of a JSON event line. */
const timeOf = (l: JsonLine): number => l.time as number;

/** Time (event clock) at which `p` first listed `n` peers, or undefined. */
function fullAt(p: PeerlabProcess, n: number, after = 0): number | undefined {
  const set = new Set<string>();
  for (const e of p.lines) {
    if (e.type === 'peer-added') set.add(e.peer as string);
    else if (e.type === 'peer-removed') set.delete(e.peer as string);
    else continue;
    if (set.size >= n && timeOf(e) >= after) return timeOf(e);
  }
  return undefined;
}

/** Event lines of `p` about `peer` around `t` (drops summarised as a count), for the report. */
function context(p: PeerlabProcess, peer: string, t: number): string[] {
  const near = p.lines.filter((l) => timeOf(l) >= t - TIMEOUT_MS - 500 && timeOf(l) <= t + 300);
  const drops = near.filter((l) => isMessageDropped(l) && l.peer === peer).length;
  const lines = near
    .filter((l) => !isMessageDropped(l) && (l.peer === peer || l.type.startsWith('node-')))
    .map(({ at: _at, ...rest }) => JSON.stringify(rest));
  return [...lines, `(${drops} message-dropped lines from ${p.label} to ${peer} in that span)`];
}

const safeMax = (xs: number[]): number => (xs.length ? Math.max(...xs) : NaN);

export const failureDetection: Benchmark = {
  name: NAME,
  description: '5 peerlab node processes, drop 0.3, interval 200 ms, timeout 2 s: false removals, crash detection, readmission',
  async run(opts: BenchOptions): Promise<Figure[]> {
    const stableMs = opts.quick ? 15_000 : 60_000;
    const dir = await mkdtemp(join(tmpdir(), 'peerlab-bench-fd-'));
    const ports: number[] = [];
    while (ports.length < NAMES.length) {
      const p = await freePort();
      if (!ports.includes(p)) ports.push(p);
    }
    const addrs = ports.map((p) => `127.0.0.1:${p}`);
    const args = (i: number, seed: number): string[] => [
      '--port', String(ports[i]), '--data', join(dir, NAMES[i]!), '--seed', String(seed), '--drop', String(DROP),
      '--heartbeat-interval', `${INTERVAL_MS}ms`, '--heartbeat-timeout', `${TIMEOUT_MS / 1000}s`,
      ...(i > 0 ? ['--join', addrs[0]!] : []),
    ];
    const everyone: PeerlabProcess[] = [];
    const rss = new RssSampler(() => everyone.filter((p) => p.alive).map((p) => p.pid), 500);
    const spawnNode = (i: number, seed: number): PeerlabProcess => {
      const p = new PeerlabProcess(NAMES[i]!, args(i, seed));
      everyone.push(p);
      return p;
    };

    try {
      // ---- start and mesh ----------------------------------------------------------------
      const first = spawnNode(0, 101);
      await first.started();
      const procs = [first, ...[1, 2, 3, 4].map((i) => spawnNode(i, 101 + i))];
      const started = await Promise.all(procs.map((p) => p.started()));
      const ids = started.map((s) => s.id as string);
      for (const [i, s] of started.entries()) {
        if (s.address !== addrs[i]) throw new Error(`${NAMES[i]} bound ${String(s.address)}, expected ${addrs[i]}`);
      }
      const allStarted = Math.max(...started.map(timeOf));
      await Promise.all(procs.map((p) => p.waitFor(() => fullAt(p, 4), `${p.label} lists four peers`, 20_000)));
      const meshMs = Math.max(...procs.map((p) => fullAt(p, 4)!)) - allStarted;
      opts.log(`failure-detection: 5 nodes meshed ${Math.round(meshMs)} ms after the last start; running ${stableMs / 1000} s with drop ${DROP}`);

      // ---- stable run ----------------------------------------------------------------------
      const stableFrom = Date.now();
      await sleep(stableMs);

      // ---- crash -----------------------------------------------------------------------------
      const victim = procs[VICTIM]!;
      const victimAddr = addrs[VICTIM]!;
      const survivors = procs.filter((p) => p !== victim);
      const tKill = Date.now();
      victim.child.kill('SIGKILL');
      await victim.exited;
      const removalOf = (p: PeerlabProcess): JsonLine | undefined =>
        p.lines.find((l) => l.type === 'peer-removed' && l.peer === victimAddr && timeOf(l) >= tKill);
      await Promise.allSettled(survivors.map((p) => p.waitFor(() => removalOf(p), `${p.label} removes ${victim.label}`, 15_000)));
      const detections = survivors.map((p) => {
        const e = removalOf(p);
        return { node: p.label, ms: e ? timeOf(e) - tKill : NaN, reason: e?.reason ?? null };
      });
      opts.log(`failure-detection: SIGKILL ${victim.label}; removed after ${detections.map((d) => `${d.node} ${Math.round(d.ms)} ms`).join(', ')}`);

      // ---- restart -------------------------------------------------------------------------
      const tRestart = Date.now();
      const again = spawnNode(VICTIM, 201);
      const againStarted = await again.started();
      const tStarted = timeOf(againStarted);
      const sameIdentity = againStarted.id === ids[VICTIM];
      const readmitOf = (p: PeerlabProcess): JsonLine | undefined =>
        p.lines.find((l) => l.type === 'peer-added' && l.peer === victimAddr && timeOf(l) >= tRestart);
      await Promise.allSettled([
        ...survivors.map((p) => p.waitFor(() => readmitOf(p), `${p.label} readmits ${victim.label}`, READMIT_WAIT_MS)),
        again.waitFor(() => fullAt(again, 4), `restarted ${victim.label} lists four peers`, READMIT_WAIT_MS),
      ]);
      const readmissions = survivors.map((p) => {
        const e = readmitOf(p);
        return { node: p.label, msFromStart: e ? timeOf(e) - tStarted : NaN, msFromSpawn: e ? timeOf(e) - tRestart : NaN, via: e?.via ?? null };
      });
      const againFull = fullAt(again, 4);
      opts.log(`failure-detection: restarted ${victim.label} (same identity: ${sameIdentity}); readmitted after ${readmissions.map((r) => `${r.node} ${Math.round(r.msFromStart)} ms`).join(', ')}`);
      // A little longer, to catch removals the restart might cause.
      await sleep(2000);
      const tEnd = Date.now();

      // ---- analysis ----------------------------------------------------------------------------
      const falseRemovals: Array<{ node: string; line: JsonLine; phase: string }> = [];
      for (const p of procs) {
        for (const l of p.of('peer-removed')) {
          const t = timeOf(l);
          if (t < tKill) falseRemovals.push({ node: p.label, line: l, phase: t < stableFrom ? 'joining' : 'stable' });
          else if (p !== victim && l.peer !== victimAddr) falseRemovals.push({ node: p.label, line: l, phase: 'after kill' });
        }
      }
      for (const l of again.of('peer-removed')) falseRemovals.push({ node: `${again.label} (restarted)`, line: l, phase: 'after restart' });
      // The victim removed a second time after its readmission would also be a mistake.
      for (const p of survivors) {
        const back = readmitOf(p);
        if (!back) continue;
        for (const l of p.of('peer-removed')) if (l.peer === victimAddr && timeOf(l) > timeOf(back)) falseRemovals.push({ node: p.label, line: l, phase: 'after readmission' });
      }
      const byReason: Record<string, number> = {};
      for (const f of falseRemovals) byReason[String(f.line.reason)] = (byReason[String(f.line.reason)] ?? 0) + 1;
      const falseContext = falseRemovals.slice(0, 10).map((f) => {
        const p = everyone.find((x) => x.lines.includes(f.line))!;
        return { node: f.node, phase: f.phase, removed: f.line.peer, reason: f.line.reason, lines: context(p, f.line.peer as string, timeOf(f.line)) };
      });
      for (const c of falseContext) {
        opts.log(`failure-detection: FALSE REMOVAL on ${c.node} of ${String(c.removed)} (${String(c.reason)}, ${c.phase}):\n    ${c.lines.join('\n    ')}`);
      }
      const inStable = (p: PeerlabProcess, pred: (l: JsonLine) => boolean): number =>
        p.lines.filter((l) => l.at >= stableFrom && l.at < tKill && pred(l)).length;
      const sum = (pred: (l: JsonLine) => boolean): number => procs.reduce((a, p) => a + inStable(p, pred), 0);
      const ofType = (type: string) => (l: JsonLine): boolean => l.type === type && !isMessageDropped(l);
      const stableStats = {
        seconds: Math.round((tKill - stableFrom) / 100) / 10,
        suspicions: sum(ofType('peer-suspected')),
        refutations: sum(ofType('peer-refuted')),
        messagesDroppedOut: sum(isMessageDropped),
        messagesRejected: sum(ofType('message-rejected')),
      };
      const stderrTail = Object.fromEntries(everyone.filter((p) => p.stderr.length).map((p) => [p.label, p.stderr.slice(-5)]));

      const detected = detections.filter((d) => Number.isFinite(d.ms));
      const detectMs = detected.map((d) => d.ms);
      const allDetected = detected.length === survivors.length;
      const readmitted = readmissions.filter((r) => Number.isFinite(r.msFromStart));
      const allReadmitted = readmitted.length === survivors.length && againFull !== undefined;
      const timeoutLimit = { name: 'configured timeout', value: TIMEOUT_MS, unit: 'ms' as const };
      const peaks = everyone.map((p) => rss.peak(p.pid) ?? 0);

      return [
        makeFigure(NAME, {
          name: `false removals (${stableStats.seconds} s stable, drop ${DROP})`,
          value: falseRemovals.length,
          unit: 'count',
          goal: { on: 'value', op: '==', target: 0 },
          details: { byReason, stable: stableStats, falseRemovals: falseContext, stderr: stderrTail },
        }),
        makeFigure(NAME, {
          name: 'crash detection, slowest of 4 nodes',
          value: allDetected ? safeMax(detectMs) : NaN,
          unit: 'ms',
          limit: timeoutLimit,
          goal: { on: 'value', op: '<=', target: DETECTION_GOAL_MS, text: `<= ${DETECTION_GOAL_MS} ms, by all` },
          pass: allDetected && safeMax(detectMs) <= DETECTION_GOAL_MS,
          details: { perNode: detections.map((d) => ({ ...d, ms: Math.round(d.ms) })) },
        }),
        makeFigure(NAME, {
          name: 'crash detection, mean of 4 nodes',
          value: mean(detectMs),
          unit: 'ms',
          limit: timeoutLimit,
        }),
        makeFigure(NAME, {
          name: 'readmission after restart, slowest of 4 nodes',
          value: allReadmitted ? safeMax(readmitted.map((r) => r.msFromStart)) : NaN,
          unit: 'ms',
          limit: { name: 'initial 5-node mesh, same run', value: meshMs, unit: 'ms' },
          goal: { on: 'value', op: '<=', target: READMIT_WAIT_MS, text: `readmitted by all, same id` },
          pass: allReadmitted && sameIdentity,
          details: {
            measuredFrom: 'the restarted node\'s node-started event (msFromSpawn includes process start)',
            sameIdentity,
            restartedListsAllMs: againFull === undefined ? null : Math.round(againFull - tStarted),
            processStartMs: Math.round(tStarted - tRestart),
            perNode: readmissions.map((r) => ({ ...r, msFromStart: Math.round(r.msFromStart), msFromSpawn: Math.round(r.msFromSpawn) })),
          },
        }),
        makeFigure(NAME, {
          name: 'peak RSS of one peerlab node process',
          value: Math.max(...peaks),
          unit: 'bytes',
          details: { perProcess: everyone.map((p, i) => ({ node: p.label, peakRssBytes: peaks[i] })), totalRunMs: tEnd - procs[0]!.spawnedAt },
        }),
      ];
    } finally {
      rss.stop();
      await Promise.all(everyone.map((p) => p.kill('SIGTERM', 3000)));
      await rm(dir, { recursive: true, force: true });
    }
  },
};

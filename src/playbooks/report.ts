import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatViolation, type InvariantViolation } from './invariants.ts';
import type { Plan } from './plan.ts';
import type { RunResult } from './runner.ts';

export interface NodeSummary {
  name: string;
  address: string;
  id: string;
  running: boolean;
  balance?: string;
  transactions?: number;
  peers?: number;
  digest?: string;
}

/** Everything a grader reads: the run, its seed, each expectation with expected and actual. */
export interface PlaybookReport {
  playbook: string;
  file: string;
  seed: number;
  speed: number;
  reproduce: string;
  /** `simulated`: `durationMs` and every step time are virtual; wall-clock figures are under `wall*` keys. */
  mode: 'real' | 'simulated';
  ok: boolean;
  exitCode: 0 | 1;
  durationMs: number;
  /** Simulated runs: how long the run took in real time. */
  wallMs?: number;
  /** Simulated runs: the first invariant the run broke (it fails the run). */
  violation?: InvariantViolation & { text: string };
  passed: number;
  failed: number;
  /** Failed inside a `mayFail` step: reported, not failing the run. */
  tolerated: number;
  steps: RunResult['steps'];
  expectations: RunResult['expectations'];
  robots: RunResult['robots'];
  syncs: RunResult['syncs'];
  nodes: NodeSummary[];
}

export function buildReport(
  plan: Plan, result: RunResult, nodes: NodeSummary[], reproduce: string, sim?: { wallMs: number; violation?: InvariantViolation | undefined },
): PlaybookReport {
  const passed = result.expectations.filter((e) => e.ok).length;
  const tolerated = result.expectations.filter((e) => !e.ok && e.tolerated).length;
  const v = sim?.violation;
  const ok = result.ok && !v;
  return {
    playbook: plan.name, file: plan.file, seed: plan.seed, speed: plan.speed, reproduce, mode: plan.mode, ok, exitCode: ok ? 0 : 1,
    durationMs: result.durationMs, ...(sim ? { wallMs: sim.wallMs } : {}), ...(v ? { violation: { ...v, text: formatViolation(v) } } : {}), passed, failed: result.expectations.length - passed - tolerated, tolerated,
    steps: result.steps, expectations: result.expectations, robots: result.robots, syncs: result.syncs, nodes,
  };
}

const xml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/** JUnit XML: one test case per expectation, plus one per failed step (so a crash is visible). */
export function junitXml(r: PlaybookReport): string {
  const cases: string[] = [];
  for (const e of r.expectations) {
    const name = `${e.name ? `${e.name}: ` : ''}${e.text}`;
    const body = e.ok ? '' : e.tolerated ? `\n      <skipped message="${xml(`tolerated (mayFail): expected ${e.expected}, got ${e.actual}`)}"/>\n    ` : `\n      <failure message="${xml(`expected ${e.expected}, got ${e.actual}`)}" type="expectation">expected: ${xml(e.expected)}\nactual: ${xml(e.actual)}</failure>\n    `;
    cases.push(`    <testcase classname="${xml(r.playbook)}" name="${xml(name)}" file="${xml(r.file)}" id="${xml(e.id)}" time="${((e.ms ?? 0) / 1000).toFixed(3)}">${body}</testcase>`);
  }
  for (const s of r.steps.filter((x) => x.status === 'failed')) {
    cases.push(`    <testcase classname="${xml(r.playbook)}" name="${xml(`step ${s.id}: ${s.text}`)}" time="${(s.ms / 1000).toFixed(3)}">\n      <error message="${xml(s.error ?? 'failed')}" type="step"/>\n    </testcase>`);
  }
  if (r.violation) {
    cases.push(`    <testcase classname="${xml(r.playbook)}" name="${xml(`invariant ${r.violation.invariant}`)}" time="${(r.violation.atMs / 1000).toFixed(3)}">\n      <failure message="${xml(r.violation.text)}" type="invariant"/>\n    </testcase>`);
  }
  const failures = r.expectations.filter((e) => !e.ok && !e.tolerated).length + (r.violation ? 1 : 0);
  const errors = r.steps.filter((x) => x.status === 'failed').length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="peerlab" tests="${cases.length}" failures="${failures}" errors="${errors}" time="${(r.durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="${xml(r.playbook)}" tests="${cases.length}" failures="${failures}" errors="${errors}" time="${(r.durationMs / 1000).toFixed(3)}">`,
    `    <properties><property name="seed" value="${r.seed}"/><property name="reproduce" value="${xml(r.reproduce)}"/></properties>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

export async function writeReport(path: string, r: PlaybookReport): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, path.endsWith('.xml') ? junitXml(r) : JSON.stringify(r, null, 2) + '\n');
}

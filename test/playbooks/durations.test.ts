/**
 * Durations in playbooks need a unit (issue 13 item 3: `wait: 3` silently meant 3 ms) and must fit
 * a timer (issue 15 item 9: `at: 597h` ran at once with a TimeoutOverflowWarning).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlaybook } from '../../src/playbooks/load.ts';
import { playbookSchema } from '../../src/playbooks/schema.ts';
import { runCli } from '../cli/spawn.ts';

const HEAD = 'name: t\nnodes:\n  alice: {}\n  bob: {}\nsteps:\n';

function problems(text: string): string[] {
  const r = loadPlaybook(text, 'p.yaml');
  expect(r.playbook).toBeUndefined();
  return r.errors.map((e) => `${e.code} ${e.line}:${e.column} ${e.path}: ${e.message}`);
}

describe('a bare number where a duration goes is an error with a hint', () => {
  it('wait: 3', () => {
    expect(problems(`${HEAD}  - wait: 3\n`)).toEqual(['BAD_DURATION 6:11 steps[0].wait: needs a unit: 3 → did you mean 3s or 3ms?']);
    expect(problems(`${HEAD}  - wait: "3"\n`)).toEqual(['BAD_DURATION 6:11 steps[0].wait: needs a unit: 3 → did you mean 3s or 3ms?']);
  });

  it('in every place a duration goes: at, robot every and for, within, heartbeat settings, fault delays', () => {
    const text = [
      'name: t',
      'settings:',
      '  heartbeat: { interval: 200, timeout: 2 }',
      'nodes:',
      '  alice: { faults: { delay: 20 } }',
      '  bob: {}',
      'steps:',
      '  - { at: 5, say: hi }',
      '  - robot: { nodes: all, every: 100, for: 2, maxAmount: 1 }',
      '  - waitFor: { converged: all, within: 10 }',
      '  - faults: { node: alice, jitter: 5 }',
      '  - parallel:',
      '      - wait: 1',
    ].join('\n');
    expect(problems(text)).toEqual([
      'BAD_DURATION 3:26 settings.heartbeat.interval: needs a unit: 200 → did you mean 200ms or 200s?',
      'BAD_DURATION 3:40 settings.heartbeat.timeout: needs a unit: 2 → did you mean 2s or 2ms?',
      'BAD_DURATION 5:29 nodes.alice.faults.delay: needs a unit: 20 → did you mean 20s or 20ms?',
      'BAD_DURATION 8:11 steps[0].at: needs a unit: 5 → did you mean 5s or 5ms?',
      'BAD_DURATION 9:33 steps[1].robot.every: needs a unit: 100 → did you mean 100ms or 100s?',
      'BAD_DURATION 9:43 steps[1].robot.for: needs a unit: 2 → did you mean 2s or 2ms?',
      'BAD_DURATION 10:40 steps[2].waitFor.within: needs a unit: 10 → did you mean 10s or 10ms?',
      'BAD_DURATION 11:36 steps[3].faults.jitter: needs a unit: 5 → did you mean 5s or 5ms?',
      'BAD_DURATION 13:15 steps[4].parallel[0].wait: needs a unit: 1 → did you mean 1s or 1ms?',
    ]);
  });

  it('zero needs a unit too, and gets a plain hint', () => {
    expect(problems(`${HEAD}  - waitFor: { converged: all, within: 0 }\n`)).toEqual([
      'BAD_DURATION 6:40 steps[0].waitFor.within: needs a unit: 0 → write 0s',
    ]);
  });

  it('the shipped schema says so to editors: a duration is text with a unit', () => {
    const d = (playbookSchema().definitions as Record<string, Record<string, unknown>>).duration!;
    expect(d.type).toBe('string');
    expect(new RegExp(d.pattern as string).test('3')).toBe(false);
    expect(new RegExp(d.pattern as string).test('200ms')).toBe(true);
  });
});

describe('durations past what a timer can hold are refused', () => {
  it('at: 597h, wait: 2400h, within: 2147483648ms', () => {
    expect(problems(`${HEAD}  - { at: 597h, say: late }\n  - wait: 2400h\n  - waitFor: { converged: all, within: 2147483648ms }\n`)).toEqual([
      'BAD_DURATION 6:11 steps[0].at: must be at most 24.8 days (2147483647ms, the longest a timer can wait), got "597h"',
      'BAD_DURATION 7:11 steps[1].wait: must be at most 24.8 days (2147483647ms, the longest a timer can wait), got "2400h"',
      'BAD_DURATION 8:40 steps[2].waitFor.within: must be at most 24.8 days (2147483647ms, the longest a timer can wait), got "2147483648ms"',
    ]);
  });

  it('the longest a timer can hold is fine', () => {
    const r = loadPlaybook(`${HEAD}  - waitFor: { converged: all, within: 596h }\n`, 'p.yaml');
    expect(r.errors).toEqual([]);
  });
});

describe('peerlab check', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerlab-durations-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 2 on wait: 3 with the hint, at line:column', async () => {
    await writeFile(join(dir, 'lesson.yaml'), `${HEAD}  - wait: 3\n`);
    const r = await runCli(['check', 'lesson.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('lesson.yaml:6:11: steps[0].wait: needs a unit: 3 → did you mean 3s or 3ms?');
  });
});

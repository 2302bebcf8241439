/**
 * One seed, one run (issue 10 item 4, acceptance): every shipped playbook passes on simulated time,
 * twice per seed with byte-identical traces, JSON and JUnit reports (and so final digests), and
 * runs differently for another seed. The trace does not depend on the time zone, the locale or the
 * working folder either (a run in another process, folder, TZ and LANG writes the same trace).
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { play } from '../../src/cli/play.ts';
import { withoutWall } from '../../src/cli/play-sim.ts';
import { runCli } from '../cli/spawn.ts';

let out = '';
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'peerlab-sim-det-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

const shipped = (await readdir('playbooks')).filter((f) => f.endsWith('.yaml')).map((f) => join('playbooks', f));

interface Run {
  code: number;
  text: string;
  trace: string;
  json: string;
  xml: string;
}

async function run(file: string, tag: string, seed?: number): Promise<Run> {
  const base = join(out, `${file.replace(/\W/g, '_')}-${tag}`);
  let text = '';
  const code = await play(file, { sim: true, trace: `${base}.jsonl`, report: `${base}.json`, ...(seed !== undefined ? { seed } : {}) }, (s) => (text += s));
  // The JUnit report of the same run: written from the JSON one, as play does.
  const { junitXml } = await import('../../src/playbooks/report.ts');
  const json = await readFile(`${base}.json`, 'utf8');
  return { code, text, trace: await readFile(`${base}.jsonl`, 'utf8'), json, xml: junitXml(JSON.parse(json)) };
}

describe('every shipped playbook on simulated time: one seed, one run', () => {
  for (const file of shipped) {
    it(file, async () => {
      const a = await run(file, 'a');
      expect(a.code, a.text).toBe(0);
      const b = await run(file, 'b');
      expect(b.trace).toBe(a.trace);
      expect(withoutWall(JSON.parse(b.json))).toBe(withoutWall(JSON.parse(a.json)));
      expect(b.xml).toBe(a.xml);
      const report = JSON.parse(a.json) as { seed: number; nodes: Array<{ digest?: string }> };
      expect(JSON.parse(b.json).nodes).toEqual(report.nodes);
      const c = await run(file, 'c', report.seed + 1);
      expect(c.trace).not.toBe(a.trace);
    }, 120_000);
  }

  it('writes the same trace in another process, working folder, time zone and locale', async () => {
    const file = resolve('playbooks/partition-heal.yaml');
    const traces: string[] = [];
    for (const [i, env] of [{ TZ: 'UTC', LANG: 'C' }, { TZ: 'Pacific/Kiritimati', LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8' }].entries()) {
      const trace = join(out, `env-${i}.jsonl`);
      const r = await runCli(['play', file, '--sim', '--trace', trace], { cwd: i === 0 ? process.cwd() : tmpdir(), env: { ...process.env, ...env }, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      traces.push(await readFile(trace, 'utf8'));
    }
    expect(traces[1]).toBe(traces[0]);
  }, 120_000);
});

import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { play } from '../../src/cli/play.ts';
import { runCli } from '../cli/spawn.ts';

let out = '';
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'peerlab-play-test-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

const shipped = (await readdir('playbooks')).filter((f) => f.endsWith('.yaml')).map((f) => join('playbooks', f));
const broken = (await readdir('test/playbooks/fixtures/broken')).map((f) => join('test/playbooks/fixtures/broken', f));

describe('shipped playbooks', () => {
  it('are all there', () => {
    expect(shipped.length).toBeGreaterThanOrEqual(6);
  });
  for (const file of shipped) {
    it(`${file} passes check and play`, async () => {
      const check = await runCli(['check', file]);
      expect(check.code, check.stderr).toBe(0);
      let text = '';
      const code = await play(file, { report: join(out, `${file.replace(/\W/g, '_')}.json`) }, (s) => (text += s));
      expect(code, text).toBe(0);
      const report = JSON.parse(await readFile(join(out, `${file.replace(/\W/g, '_')}.json`), 'utf8')) as { ok: boolean; failed: number; passed: number };
      expect(report).toMatchObject({ ok: true, failed: 0 });
      expect(report.passed).toBeGreaterThan(0);
    }, 60_000);
  }
});

describe('exit codes and reports', () => {
  it('the broken fixtures are all there', () => {
    expect(broken.length).toBeGreaterThanOrEqual(6);
  });
  // One test per file (two CLI runs each), so a loaded machine does not add them up against one limit.
  for (const file of broken) {
    it(`${file}: play and check exit 2 with file:line:column errors`, async () => {
      const r = await runCli(['play', file]);
      expect(r.code, `${file}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(:\\d+:\\d+)?: `));
      const c = await runCli(['check', file]);
      expect(c.code).toBe(2);
    });
  }

  it('a false expectation exits 1 and the JUnit report marks that case failed with expected and actual', async () => {
    const xml = join(out, 'false.xml');
    // No peerlab on the PATH, in the checkout: the hint says npx peerlab, which finds it here.
    const env = { ...process.env, PATH: [dirname(process.execPath), '/usr/bin', '/bin'].join(delimiter) };
    const r = await runCli(['play', 'test/playbooks/fixtures/run/false-expectation.yaml', '--report', xml], { timeoutMs: 30_000, env });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/reproduce with: npx peerlab play test\/playbooks\/fixtures\/run\/false-expectation.yaml --seed 3/);
    const report = await readFile(xml, 'utf8');
    const cases = report.match(/<testcase [\s\S]*?<\/testcase>/g) ?? [];
    expect(cases.length).toBe(4);
    const failed = cases.filter((c) => c.includes('<failure'));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(/wrong on purpose/);
    expect(failed[0]).toMatch(/expected: b=2000.00/);
    expect(failed[0]).toMatch(/actual: a sees b=1010.00/);
  });

  it('a failing step fails the run unless it is mayFail; the rest is skipped', async () => {
    const json = join(out, 'failing.json');
    const r = await runCli(['play', 'test/playbooks/fixtures/run/failing-step.yaml', '--report', json], { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    const report = JSON.parse(await readFile(json, 'utf8')) as { steps: Array<{ name?: string; status: string; error?: string }> };
    expect(report.steps.map((s) => s.status)).toEqual(['ok', 'tolerated', 'failed', 'skipped']);
    expect(report.steps[2]!.error).toMatch(/cannot send 5000.00: spendable is 1000.00/);
  });

  it('mayFail covers expectations and parallel steps; a robot step lasts its whole `for`', async () => {
    const json = join(out, 'tolerated.json');
    const r = await runCli(['play', 'test/playbooks/fixtures/run/tolerated.yaml', '--report', json], { timeoutMs: 30_000 });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8')) as { tolerated: number; failed: number; steps: Array<{ kind: string; status: string; ms: number }> };
    expect(report).toMatchObject({ tolerated: 1, failed: 0 });
    expect(report.steps.find((s) => s.kind === 'parallel')!.status).toBe('tolerated');
    expect(report.steps.find((s) => s.kind === 'robot')!.ms).toBeGreaterThanOrEqual(950);
  });

  it('the same seed gives the same dry-run plan; another seed another plan', async () => {
    const a = await runCli(['play', 'playbooks/demo.yaml', '--dry-run']);
    const b = await runCli(['play', 'playbooks/demo.yaml', '--dry-run']);
    const c = await runCli(['play', 'playbooks/demo.yaml', '--dry-run', '--seed', '8']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).not.toBe(c.stdout);
    expect(a.stdout).toMatch(/alice send bob 25\.50/);
  });

  it('bad options are one line and exit 2', async () => {
    for (const args of [['play', 'playbooks/demo.yaml', '--speed', '0'], ['play', 'playbooks/demo.yaml', '--report', 'x.txt'], ['play', 'nope.yaml']]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('isolation: process', () => {
  it('runs each node as its own process: crash is a real SIGKILL, and a restarted node has its ledger', async () => {
    let text = '';
    const code = await play('test/playbooks/fixtures/run/process-isolation.yaml', {}, (s) => (text += s));
    expect(code, text).toBe(0);
    expect(text).toMatch(/b has its ledger from disk/);
  }, 60_000);

  it('a crashed node process is really gone', async () => {
    const { loadPlaybookFile } = await import('../../src/playbooks/load.ts');
    const { planPlaybook } = await import('../../src/playbooks/plan.ts');
    const { ProcessCluster } = await import('../../src/playbooks/process-cluster.ts');
    const { playbook } = await loadPlaybookFile('test/playbooks/fixtures/run/process-isolation.yaml');
    const cluster = new ProcessCluster(planPlaybook(playbook!), undefined);
    try {
      await cluster.start();
      const pid = cluster.pid('b')!;
      expect(() => process.kill(pid, 0)).not.toThrow();
      await cluster.crash('b');
      expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
      expect(cluster.get('b').running).toBe(false);
      await cluster.restart('b');
      expect(cluster.pid('b')).not.toBe(pid);
      expect(await cluster.get('b').call('digest')).toMatch(/^0\./);
    } finally {
      await cluster.stop();
    }
  }, 60_000);
});

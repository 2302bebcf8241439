import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { play } from '../../src/cli/play.ts';
import { explore } from '../../src/explore/explore.ts';
import { loadPlaybook } from '../../src/playbooks/load.ts';
import { PLANT_BREAKS, type PlantName } from '../../src/runtime/plants.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlab-explore-plants-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Steps of a playbook file, as loaded. */
async function stepsOf(file: string): Promise<number> {
  const { playbook, errors } = loadPlaybook(await readFile(file, 'utf8'), file);
  expect(errors).toEqual([]);
  return playbook!.steps.length;
}

/**
 * Issue 16's acceptance, per plant: explore finds the planted bug within 1,000 seeds (it stops at
 * the first failing one, so the search is bounded but short), shrinks it to at most 6 steps, and
 * both playbooks fail the same invariant under `play`, the generated one with the very trace
 * explore wrote.
 */
async function findsAndShrinks(plant: PlantName): Promise<void> {
  const out = join(dir, plant);
  const lines: string[] = [];
  const r = await explore({ from: 1, seeds: 1000, plant, out, jobs: 1 }, (l) => lines.push(l));
  const text = lines.join('\n');
  expect(r.exitCode, text).toBe(1);
  const invariant = PLANT_BREAKS[plant];
  const { verdict, files, shrunk } = r.failure!;
  expect(verdict.violation?.invariant, text).toBe(invariant);
  expect(verdict.seed).toBeLessThanOrEqual(1000);
  expect(text).toMatch(new RegExp(`^FAIL seed ${verdict.seed}: ${invariant}: .* — reproduce: (npx )?peerlab play \\S*seed-${verdict.seed}\\.yaml$`, 'm'));
  expect(shrunk, text).toBeDefined();
  expect(shrunk!.exhausted).toBe(false);
  expect(shrunk!.steps).toBeLessThanOrEqual(6);
  expect(await stepsOf(shrunk!.files.playbook)).toBe(shrunk!.steps);
  expect(await readFile(shrunk!.files.playbook, 'utf8')).toContain(`plant: ${plant}`);

  // The generated playbook replays under play: the same invariant, the same trace, line for line.
  let said = '';
  const trace = join(out, 'replayed.jsonl');
  const code = await play(files.playbook, { trace }, (s) => (said += s));
  expect(code, said).toBe(1);
  expect(said).toContain(`invariant ${invariant} broken`);
  expect(await readFile(trace, 'utf8')).toBe(await readFile(files.trace, 'utf8'));

  // And so does the shrunk one.
  let saidMin = '';
  expect(await play(shrunk!.files.playbook, {}, (s) => (saidMin += s)), saidMin).toBe(1);
  expect(saidMin).toContain(`invariant ${invariant} broken`);
}

describe('explore finds each planted bug and shrinks it', () => {
  it('skip-fsync: an acknowledged send lost in a crash (no-acknowledged-loss)', () => findsAndShrinks('skip-fsync'), 180_000);
  it('naive-heartbeat: a healthy peer removed (no-healthy-peer-removed)', () => findsAndShrinks('naive-heartbeat'), 180_000);
  it('no-fork-check: a double spend accepted, never detected (fork-detected)', () => findsAndShrinks('no-fork-check'), 180_000);
});

/**
 * Issue 13.1, acceptance: zero deliveries with lamportRecv <= lamport in the traces of every
 * shipped playbook (playbooks/*.yaml; labs are exercises with planted bugs, not shipped lessons)
 * and of a busy robots playbook kept apart from them (fixtures/robots-lamport.yaml: lossy,
 * reordering and duplicating links, a partition, a crash and a restart).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { play } from '../../../src/cli/play.ts';
import { lamportViolations } from './trace-check.ts';

let out = '';
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'peerlab-lamport-traces-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

const shipped = (await readdir('playbooks')).filter((f) => f.endsWith('.yaml')).map((f) => join('playbooks', f));
const playbooks = [...shipped, 'test/runtime/net/fixtures/robots-lamport.yaml'];

describe('Lamport\'s rule in the traces of playbooks (issue 13.1)', () => {
  it('covers the shipped playbooks', () => {
    expect(shipped.length).toBeGreaterThanOrEqual(6);
  });

  for (const file of playbooks) {
    it(`${file}: every delivery is received after it was sent`, async () => {
      const trace = join(out, `${file.replace(/\W/g, '_')}.jsonl`);
      let text = '';
      const code = await play(file, { trace }, (s) => (text += s));
      expect(code, text).toBe(0);
      const records = (await readFile(trace, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string });
      const deliveries = records.filter((r) => r.kind === 'deliver');
      expect(deliveries.length).toBeGreaterThan(20);
      expect(lamportViolations(records)).toEqual([]);
    }, 90_000);
  }
});

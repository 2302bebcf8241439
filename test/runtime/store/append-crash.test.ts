import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { AppendLog } from '../../../src/runtime/store/append-log.ts';
import { useTempDir } from './helpers.ts';

const CHILD = fileURLToPath(new URL('./append-child.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

let dir: string;
useTempDir((d) => (dir = d));

/**
 * Runs the appending child until it has reported `acks` durable appends, SIGKILLs it, and returns
 * every seq it reported (including lines still in the pipe when it died).
 */
function runAndKill(logPath: string, acks: number): Promise<{ acked: number[]; opened: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, logPath], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let opened = '';
    let buffered = '';
    let stderr = '';
    let killed = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('open ')) opened = line;
        else acked.push(Number(line));
      }
      if (!killed && acked.length >= acks) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code ?? signal}: ${stderr}`));
      else resolve({ acked, opened });
    });
  });
}

it('a SIGKILL mid-append loses no acknowledged record and leaves a log that opens cleanly', async () => {
  const logPath = join(dir, 'ledger.log');
  const allAcked: number[] = [];
  for (let round = 0; round < 3; round++) {
    const { acked, opened } = await runAndKill(logPath, 300);
    expect(opened).toMatch(/^open \d+ \d+$/);
    expect(acked.length).toBeGreaterThanOrEqual(300);
    allAcked.push(...acked);
  }

  const log = new AppendLog<{ seq: number; pad: string }>(logPath);
  const records = await log.open();
  const seqs = records.map((r) => r.seq);
  // Appends were issued in seq order, so the log holds 0..n-1 without a gap or duplicate...
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i));
  // ...and every append the child saw resolve is among them.
  const present = new Set(seqs);
  expect(allAcked.filter((s) => !present.has(s))).toEqual([]);
  expect(log.stats.corruptRecordsSkipped).toBe(0);
  expect(records.every((r) => r.pad.length === 580)).toBe(true);
  // Still appendable after the crashes.
  await log.append({ seq: seqs.length, pad: 'p'.repeat(580) });
  await log.close();
  expect(await log.open()).toHaveLength(seqs.length + 1);
  await log.close();
});

import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPeerlabError } from '../../src/runtime/errors.ts';
import { checkRecord, describeProblems, parseTrace, readTrace } from '../../src/trace/read-trace.ts';
import { TraceIndex } from '../../src/trace/trace-index.ts';
import { smallRun } from './records.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlab-trace-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const good = (time: number, node = 'alice', extra: object = {}): string =>
  JSON.stringify({ kind: 'event', time, node, nodeId: 'x', type: 'log', lamport: 1, data: {}, ...extra });

describe('reading traces', () => {
  it('keeps the good lines, reports each bad one with its line number, and never throws', () => {
    const text = [
      good(5),
      'not json at all',
      '',
      JSON.stringify({ kind: 'teleport', time: 1, node: 'a', nodeId: '', type: 'x', lamport: 0 }),
      JSON.stringify({ kind: 'send', time: 2, node: 'a', nodeId: '', type: 'ping', lamport: 0, from: 'h:1', to: 'h:2' }),
      JSON.stringify({ kind: 'deliver', time: 'soon', node: 'a', nodeId: '', msgId: 'm', type: 'ping', lamport: 0, from: 'h:1', to: 'h:2' }),
      JSON.stringify({ kind: 'deliver', time: 3, node: 'a', nodeId: '', msgId: 'm', type: 'ping', lamport: -1, from: 'h:1', to: 'h:2' }),
      '[1, 2, 3]',
      good(4),
      '{"kind":"send","time":9,"node":"a","nod', // a line cut short by a crash
    ].join('\n');
    const r = parseTrace(text);
    expect(r.records.map((x) => x.time)).toEqual([4, 5]);
    expect(r.lines).toBe(9);
    expect(r.problems.map((p) => p.line)).toEqual([2, 4, 5, 6, 7, 8, 10]);
    expect(r.problems[0]!.message).toMatch(/^not JSON/);
    expect(r.problems[1]!.message).toBe('kind must be one of send, deliver, drop, event; got "teleport"');
    expect(r.problems[2]!.message).toBe('msgId must be a string, got nothing');
    expect(r.problems[3]!.message).toBe('time must be a number, got "soon"');
    expect(r.problems[4]!.message).toBe('lamport must be a whole number >= 0, got -1');
    expect(r.problems[5]!.message).toBe('expected a JSON object, got [1,2,3]');
    expect(describeProblems('t.jsonl', r.problems, '', 2)).toEqual([
      `t.jsonl:2: ${r.problems[0]!.message}`,
      't.jsonl:4: kind must be one of send, deliver, drop, event; got "teleport"',
      't.jsonl: 5 more problems',
    ]);
  });

  it('sorts by time and keeps file order within one millisecond (stable)', () => {
    const lines = [good(20, 'c'), good(10, 'a1'), good(10, 'a2'), good(5, 'z'), good(10, 'a3')];
    const r = parseTrace(lines.join('\r\n') + '\r\n');
    expect(r.problems).toEqual([]);
    expect(r.records.map((x) => x.node)).toEqual(['z', 'a1', 'a2', 'a3', 'c']);
  });

  it('accepts every record the runtime writes, and keeps fields it does not know', () => {
    for (const rec of smallRun()) expect(checkRecord(rec)).toEqual({ ok: true, record: rec });
    const future = { ...smallRun()[3]!, hops: 2 };
    expect(checkRecord(future)).toMatchObject({ ok: true, record: { hops: 2 } });
  });

  it('streams a file (BOM and a missing final newline included)', async () => {
    const path = join(dir, 'run.jsonl');
    const records = smallRun();
    await writeFile(path, '\uFEFF' + records.map((r) => JSON.stringify(r)).join('\n'));
    const r = await readTrace(path);
    expect(r.problems).toEqual([]);
    expect(r.records).toHaveLength(records.length);
    expect(r.records.map((x) => x.time)).toEqual([...records.map((x) => x.time)].sort((a, b) => a - b));
  });

  it('rejects a file it cannot read with one clear line (PeerlabError IO)', async () => {
    await expect(readTrace(join(dir, 'missing.jsonl'))).rejects.toSatisfy(
      (e: unknown) => isPeerlabError(e, 'IO') && e.message === `cannot read ${join(dir, 'missing.jsonl')}: no such file`,
    );
    await mkdir(join(dir, 'folder'));
    await expect(readTrace(join(dir, 'folder'))).rejects.toThrow(/it is a directory/);
  });
});

describe('who is who', () => {
  it('names addresses by the node that used them, and finds the direction of a drop', () => {
    const records = smallRun();
    const index = new TraceIndex(records);
    expect(index.nodes).toEqual(['alice', 'bob', 'carol']);
    expect(index.external).toEqual([]);
    expect(index.nameOf('127.0.0.1:5003')).toBe('carol');
    expect(index.nameOf('10.0.0.9:1')).toBe('10.0.0.9:1');
    expect(index.account('CCCCCCCC')).toBe('carol');
    const drops = records.filter((r) => r.kind === 'drop');
    expect(drops.map((d) => index.dropOutgoing(d as never))).toEqual([true, false]);
  });

  it('gives peers outside the trace their own (external) lane key', () => {
    const rec = { kind: 'deliver', time: 1, node: 'alice', nodeId: 'a', msgId: 'm', type: 'hello', from: '10.1.1.1:9', to: '127.0.0.1:5001', lamport: 1, lamportRecv: 2 } as const;
    const index = new TraceIndex([rec]);
    expect(index.nodes).toEqual(['alice']);
    expect(index.external).toEqual(['10.1.1.1:9']);
  });
});

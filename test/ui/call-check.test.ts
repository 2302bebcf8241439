/**
 * Issue 14: every request body is checked against the API table's schemas before anything runs,
 * and a refusal is one line naming the method and the field (like the REPL's errors). The forms
 * are the table's: field names follow the playbook steps, widgets the parameter kinds. Names of
 * the view's nodes stand for their address (or account), typed paths stay in the named folders,
 * and uploads are private files.
 */
import { mkdtemp, mkdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { API } from '../../src/runtime/api.ts';
import { CONTROL_METHODS } from '../../src/runtime/control/protocol.ts';
import { formSpec, formSpecs } from '../../src/ui/api-forms.ts';
import { prepareCall, type ArgsContext } from '../../src/ui/call-args.ts';
import { checkArgs, checkCall } from '../../src/ui/call-check.ts';
import { FolderRule } from '../../src/ui/folder-rule.ts';
import { statusOf } from '../../src/ui/refusal.ts';
import { FileDrop } from '../../src/ui/uploads.ts';

const NODES = ['alice', 'bob'];
const method = (name: string) => API.find((m) => m.name === name)!;
const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    expect(statusOf(err)).toBeGreaterThanOrEqual(400);
    return `${(err as Error).message} (${(err as { code: string }).code})`;
  }
  throw new Error('not refused');
};

const cleanup: string[] = [];
afterEach(async () => {
  for (const d of cleanup.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('forms from the API table', () => {
  it('one form per method of the control allow-list, named as the playbook steps name them', () => {
    expect(formSpecs().map((f) => f.method)).toEqual([...CONTROL_METHODS]);
    const send = formSpec(method('send'));
    expect([send.caller, ...send.fields.map((f) => f.name)]).toEqual(['from', 'to', 'amount']);
    const join = formSpec(method('join'));
    expect([join.caller, ...join.fields.map((f) => f.name)]).toEqual(['node', 'peer', 'timeout']);
    expect(formSpec(method('ping')).fields[0]).toMatchObject({ name: 'to', param: 'addr', kind: 'peer' });
    expect(formSpec(method('faults.set')).fields.map((f) => [f.name, f.kind])).toEqual([
      ['drop', 'probability'], ['dropIn', 'probability'], ['delay', 'duration'], ['jitter', 'duration'], ['duplicate', 'probability'], ['peer', 'peer'],
    ]);
    expect(formSpec(method('exportCsv'))).toMatchObject({ download: true, fields: [{ name: 'path', io: 'write', initial: 'ledger.csv' }] });
    expect(formSpec(method('clearAndRebuild')).confirm).toMatch(/Delete this node's ledger/);
  });

  it('a method added to the table is offered with no UI code', () => {
    const added = { ...method('send'), name: 'tip', summary: 'tip a peer', exposed: { repl: true, control: true } };
    const spec = formSpec(added);
    expect(spec).toMatchObject({ method: 'tip', caller: 'node', fields: [{ name: 'to', kind: 'account' }, { name: 'amount', kind: 'amount' }] });
  });
});

describe('checking a call', () => {
  it('refuses what is not a call of an offered method on a known node, in one line', () => {
    expect(refusal(() => checkCall([], NODES))).toBe('a call is a JSON object {node, method, args} (BAD_ARGUMENT)');
    expect(refusal(() => checkCall({ node: 'alice', method: 'emit' }, NODES))).toBe('"emit" is not a method the live view offers (it offers what the control socket allows) (BAD_ARGUMENT)');
    expect(refusal(() => checkCall({ node: 'alice', method: 'on' }, NODES))).toMatch(/"on" is not a method the live view offers/);
    expect(refusal(() => checkCall({ node: 'mallory', method: 'send' }, NODES))).toBe('send: no node "mallory" here (nodes: alice, bob) (UNKNOWN_PEER)');
    expect(refusal(() => checkCall({ node: 'alice', method: 'send', args: [] }, NODES))).toBe('send: args must be an object of parameters by name (BAD_ARGUMENT)');
    expect(refusal(() => checkCall({ node: 'alice', method: 'send', extra: 1 }, NODES))).toBe('unknown key "extra" in the call (keys: node, method, args) (BAD_ARGUMENT)');
  });

  it('refuses arguments off the schema, naming the field', () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['send', { to: 'bob' }, 'send: amount is required'],
      ['send', { to: 'bob', amount: true }, 'send: amount must be a number or a string'],
      ['send', { to: '', amount: 1 }, 'send: to must not be empty'],
      ['send', { to: 'bob', amount: 1, memo: 'x' }, 'send: unknown parameter "memo" (known: to, amount)'],
      ['faults.set', { input: { drop: 2 } }, 'faults.set: input.drop must be <= 1'],
      ['faults.set', { input: { loss: 0.1 } }, 'faults.set: unknown option in input "loss" (known: drop, dropIn, delay, jitter, duplicate, peer)'],
      ['join', { addr: 'bob', opts: { timeout: 5 } }, 'join: opts.timeout must be a string'],
      ['join', { addr: 'bob', opts: { timeout: '5' } }, 'join: opts.timeout must be a duration with its unit, like 200ms or 2s'],
      ['transaction', { i: -1 }, 'transaction: i must be >= 0'],
      ['transaction', { i: 1.5 }, 'transaction: i must be a whole number'],
      ['sendCustom', { to: 'bob', amount: 1, fields: { a: { b: 1 } } }, 'sendCustom: fields.a must be a string, a number, a boolean or null'],
      ['discover', { addrs: 'bob' }, 'discover: addrs must be a list'],
    ];
    for (const [name, args, want] of cases) expect(refusal(() => checkArgs(method(name), args))).toBe(`${want} (BAD_ARGUMENT)`);
  });

  it('answers deeply nested values with a coded error, not a crash', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = i % 2 ? { k: deep } : [deep];
    for (const m of API.filter((x) => x.exposed.control)) {
      for (const p of m.params) {
        try {
          checkArgs(m, { [p.name]: deep });
        } catch (err) {
          expect((err as { code?: string }).code).toBe('BAD_ARGUMENT');
        }
      }
    }
  });
});

function ctx(folder: string, drop?: FileDrop): ArgsContext {
  return {
    nodes: new Map([['alice', { address: '127.0.0.1:5001', id: 'A'.repeat(43) }], ['bob', { address: '127.0.0.1:5002', id: 'B'.repeat(43) }]]),
    upload: (id) => drop?.path(id),
    downloadPath: (name) => (drop ?? new FileDrop(1)).downloadPath(name),
    folders: new FolderRule(folder, [{ dir: folder, label: 'the working folder' }]),
  };
}

describe('from a call to arguments', () => {
  it('names of the view\'s nodes stand for their address, or their account where money goes', async () => {
    const c = ctx(tmpdir());
    const req = (m: string, args: Record<string, unknown>) => prepareCall(method(m), { node: 'alice', method: m, args }, c);
    expect((await req('send', { to: 'bob', amount: '17.25' })).args).toEqual(['B'.repeat(43), '17.25']);
    expect((await req('join', { addr: 'bob', opts: { timeout: '2s' } })).args).toEqual(['127.0.0.1:5002', { timeout: '2s' }]);
    expect((await req('faults.partition', { addrs: ['bob', '10.0.0.1:7'] })).args).toEqual([['127.0.0.1:5002', '10.0.0.1:7']]);
    expect((await req('faults.set', { input: { drop: 0.5, peer: 'bob' } })).args).toEqual([{ drop: 0.5, peer: '127.0.0.1:5002' }]);
    expect((await req('ping', { addr: 'carol' })).args).toEqual(['carol']);
    expect((await req('sync', {})).args).toEqual([]);
  });

  it('keeps typed paths inside the folders named at start; uploads are private files', async () => {
    const root = await mkdtemp(join(tmpdir(), 'peerlab-ui-paths-'));
    cleanup.push(root);
    const inside = join(root, 'work');
    await mkdir(inside);
    await writeFile(join(inside, 'ok.txt'), 'ok');
    await writeFile(join(root, 'secret.txt'), 'secret');
    await symlink(join(root, 'secret.txt'), join(inside, 'link.txt'));
    const drop = new FileDrop(1024);
    const c = ctx(inside, drop);
    const send = (path: unknown) => prepareCall(method('sendFile'), { node: 'alice', method: 'sendFile', args: { to: 'bob', path } }, c);
    expect((await send('ok.txt')).args).toEqual(['127.0.0.1:5002', join(inside, 'ok.txt')]);
    await expect(send('../secret.txt')).rejects.toThrow(`sendFile: path: ../secret.txt (${join(root, 'secret.txt')}) is outside the working folder (${inside}); upload the file instead`);
    await expect(send('/etc/passwd')).rejects.toThrow(/path: \/etc\/passwd is outside the working folder/);
    await expect(send('link.txt')).rejects.toThrow(/leads through a symbolic link to .*secret\.txt, outside the working folder/);
    await expect(send({ upload: 'nope' })).rejects.toThrow('sendFile: path: no uploaded file "nope" (upload it again)');
    const up = await drop.receive(Readable.from([Buffer.from('hello')]), '../../evil name.txt', 5);
    expect(up).toMatchObject({ name: 'evil_name.txt', size: 5 });
    const path = drop.path(up.id)!;
    expect((await send({ upload: up.id })).args).toEqual(['127.0.0.1:5002', path]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(path, '..', '..'))).mode & 0o777).toBe(0o700);
    await expect(drop.receive(Readable.from([Buffer.alloc(2000)]), 'big.bin', undefined)).rejects.toThrow("the upload is larger than 1024 bytes (the live view's limit)");
    await drop.clear();
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it('a file the method writes becomes a private temp path, returned as a download', async () => {
    const drop = new FileDrop(1024);
    const p = await prepareCall(method('exportCsv'), { node: 'alice', method: 'exportCsv', args: { path: '../../etc/cron.d/x.csv' } }, ctx(tmpdir(), drop));
    expect(p.download?.name).toBe('x.csv');
    expect(p.args).toEqual([p.download!.path]);
    expect(p.download!.path.startsWith(await drop.folder())).toBe(true);
    await drop.clear();
  });
});

/**
 * Dot-commands for the most used actions (issue 5 §3). Each one calls the `node` API of the
 * current node, exactly as typing the call would (so it is recorded too), and renders the result.
 */
import { PeerlabError } from '../runtime/errors.ts';
import { HELP, SEND_WITH_FIELDS } from './help.ts';
import type { ReplSession } from './session.ts';

type Api = Record<string, any>;

/** Splits `a "b c" d=e` into words, keeping quoted parts together. */
export function words(rest: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(rest); m; m = re.exec(rest)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]!));
  return out;
}

/** `key=value` words as fields; numbers and booleans as such, the rest as text. */
export function keyValues(ws: string[]): { positional: string[]; fields: Record<string, string | number | boolean> } {
  const positional: string[] = [];
  const fields: Record<string, string | number | boolean> = {};
  for (const w of ws) {
    const eq = w.indexOf('=');
    if (eq <= 0) {
      positional.push(w);
      continue;
    }
    const k = w.slice(0, eq);
    const v = w.slice(eq + 1);
    fields[k] = /^-?\d+(\.\d+)?$/.test(v) && String(Number(v)) === v ? Number(v) : v === 'true' ? true : v === 'false' ? false : v;
  }
  return { positional, fields };
}

function usage(name: string): PeerlabError {
  const h = HELP.find((x) => x.name === `.${name}`);
  return new PeerlabError('BAD_ARGUMENT', `usage: ${h?.signature ?? `.${name}`}`);
}

function helpOf(name: string): string {
  const h = HELP.find((x) => x.name === `.${name}`);
  return h ? `${h.summary}: ${h.signature}` : name;
}

export function defineCommands(s: ReplSession): void {
  const node = (): Api => s.current.proxy as Api;
  const define = (name: string, action: (rest: string) => unknown): void => {
    s.server.defineCommand(name, { help: helpOf(name), action: (rest: string) => s.runCommand(() => action(rest.trim())) });
  };

  define('peers', async () => s.show(await node().peers(), 'peers'));

  define('txns', async (rest) => {
    const n = rest ? Number(rest) : undefined;
    if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw usage('txns');
    const all = (await node().transactions()) as unknown[];
    s.show(n !== undefined && Array.isArray(all) ? all.slice(-n) : all, 'transactions');
  });

  define('send', async (rest) => {
    const { positional, fields } = keyValues(words(rest));
    const [to, amount] = positional;
    if (!to || amount === undefined || positional.length > 2) throw usage('send');
    const result = Object.keys(fields).length > 0 ? await node()[SEND_WITH_FIELDS.name](to, amount, fields) : await node().send(to, amount);
    s.show(result);
  });

  define('details', async () => s.show(await node().details(), 'details'));

  define('robot', async (rest) => {
    const [sub, ...more] = words(rest);
    if (sub === 'stop') {
      s.show(await node().robot.stop());
      return;
    }
    if (sub !== 'start') throw usage('robot');
    const { positional, fields } = keyValues(more);
    const opts: Record<string, unknown> = { every: positional[0] ?? '1s', maxAmount: positional[1] ?? 10, ...fields };
    if (typeof opts.actions === 'string') opts.actions = opts.actions.split(',').filter(Boolean);
    s.show(await node().robot.start(opts));
  });

  define('sync', async (rest) => {
    const [peer] = words(rest);
    s.show(peer === undefined ? await node().sync() : await node().sync(peer), 'sync');
  });

  define('export', async (rest) => {
    const [path] = words(rest);
    if (!path) throw usage('export');
    const result: unknown = await node().exportCsv(path);
    s.show(result === undefined ? `exported to ${path}` : result);
  });

  define('clearlogs', async () => {
    const r = (await node().clearLogs()) as { cleared?: number } | undefined;
    s.show(typeof r?.cleared === 'number' ? `cleared ${r.cleared} log entr${r.cleared === 1 ? 'y' : 'ies'}` : r);
  });

  define('record', async (rest) => {
    const [arg] = words(rest);
    if (!arg) {
      const rec = s.recording;
      s.show(rec ? `recording to ${rec.file} (${rec.actions} actions so far); .record stop ends it` : 'not recording; .record FILE starts');
      return;
    }
    if (arg === 'stop') {
      const rec = await s.stopRecording();
      s.show(rec ? `recorded ${rec.actions} action${rec.actions === 1 ? '' : 's'} to ${rec.file} (replay: ${rec.replayCommand})` : 'not recording');
      return;
    }
    const rec = await s.startRecording(arg, { quiet: true });
    s.show(`recording node actions to ${rec.file}; .record stop ends it`);
  });

  define('use', async (rest) => {
    const [name] = words(rest);
    if (!name) throw usage('use');
    const e = s.use(name);
    s.show(`node is now ${e.name} (${e.addresses[0] ?? ''})`);
  });

  define('nodes', async () => s.show(s.nodes));

  define('events', async (rest) => {
    const [v] = words(rest);
    if (v === 'on' || v === 'off') s.showEvents = v === 'on';
    else if (v !== undefined) throw usage('events');
    s.show(`events ${s.showEvents ? 'on' : 'off'}`);
  });
}

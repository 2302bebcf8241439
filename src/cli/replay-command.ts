import { Command, InvalidArgumentError } from 'commander';
import { open } from 'node:fs/promises';
import { createInterface, type Interface } from 'node:readline';
import { nearest } from '../playbooks/suggest.ts';
import { isPeerlabError } from '../runtime/errors.ts';
import { colourLevel, makePaint } from '../repl/paint.ts';
import { describeProblems, readTrace, type TraceProblem } from '../trace/read-trace.ts';
import { formatItem, nodeWidth, type Painter, type Role } from '../trace/replay-format.ts';
import { filterItems, kindMatches, kindsOf, realClock, replay, traceItems, type ReplayClock, type ReplayItem } from '../trace/replay.ts';
import { readSession } from '../trace/session.ts';
import { TraceIndex } from '../trace/trace-index.ts';

/** Where replay reads and writes, injectable for tests. */
export interface ReplayIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  clock: ReplayClock;
  exit(code: number): void;
}

const defaultIo = (): ReplayIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  clock: realClock,
  exit: (code) => {
    process.exitCode = code;
  },
});

interface ReplayCliOptions {
  speed: number;
  node?: string[];
  kind?: string[];
}

/** `--speed 2`, `--speed 0.5`, `--speed 0` or `--speed max` (no waiting). */
export function parseSpeed(v: string): number {
  if (v === 'max' || v === 'Infinity') return Infinity;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError("expected a number >= 0 (0 or 'max' = no waiting), e.g. 2 or 0.5.");
  return n === 0 ? Infinity : n;
}

/** Repeatable and comma-separated: `--node alice --node bob`, `--kind txn,ping`. */
function collect(v: string, prev: string[] = []): string[] {
  return [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
}

/** `peerlab replay FILE` (DESIGN.md §2.1): a trace or a recorded session, in time order. */
export function replayCommand(io: ReplayIo = defaultIo()): Command {
  return new Command('replay')
    .description('play a trace (JSON lines) or a recorded session (playbook YAML) in the terminal, in time order')
    .argument('<file>', 'a trace written with --trace, or a session recorded with --record')
    .option('--speed <x>', "how many times faster than real time; 0 or 'max' = no waiting", parseSpeed, 1)
    .option('--node <names>', 'only what these nodes did (repeatable or a comma list)', collect)
    .option('--kind <kinds>', 'only these message types, event types, steps or send|deliver|drop|event (repeatable or a comma list; * matches anything); a kind the file does not hold is an error', collect)
    .action(async (file: string, opts: ReplayCliOptions) => {
      const o = { speed: opts.speed, node: opts.node ?? [], kind: opts.kind ?? [] };
      // `peerlab replay t.jsonl | head` closes the pipe early: that is the reader's choice, not an error.
      if (io.stdout === process.stdout) process.stdout.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' ? process.exit(0) : undefined));
      const code = await runReplay(file, o, io);
      if (code !== 0) io.exit(code);
    });
}

async function runReplay(file: string, o: Required<ReplayCliOptions>, io: ReplayIo): Promise<number> {
  const fail = (message: string): number => {
    io.stderr.write(`peerlab replay: ${message}\n`);
    return 2;
  };
  let items: ReplayItem[];
  let nodes: string[];
  let index: TraceIndex | undefined;
  let problems: TraceProblem[];
  let what: string;
  let suffix = '';
  try {
    if (await isSession(file)) {
      const s = await readSession(file);
      items = s.items;
      nodes = s.nodes;
      problems = s.problems;
      what = `session${s.name ? ` "${s.name}"` : ''}: ${items.length} steps`;
    } else {
      const t = await readTrace(file);
      if (t.records.length === 0) {
        return fail(t.lines === 0 ? `${file} is empty` : `${file} holds no trace records (${t.problems.length} bad lines, the first: line ${t.problems[0]!.line}: ${t.problems[0]!.message})`);
      }
      index = new TraceIndex(t.records);
      items = traceItems(t.records);
      nodes = index.nodes;
      problems = t.problems;
      suffix = '; line skipped';
      what = `trace: ${t.records.length} records`;
    }
  } catch (err) {
    if (isPeerlabError(err)) return fail(err.message);
    throw err;
  }
  for (const line of describeProblems(file, problems, suffix)) io.stderr.write(`peerlab replay: ${line}\n`);
  const unknownNode = o.node.find((n) => !nodes.includes(n));
  if (unknownNode !== undefined) return fail(`no node named ${unknownNode} in ${file} (nodes: ${nodes.join(', ') || 'none'})`);
  // A kind nothing in the file answers to is a typo, or absent from this run: either way the
  // replay would not show what was asked for, so say which kinds there are (issue 13, item 7).
  const unknownKinds = o.kind.filter((k) => !kindMatches(k, items));
  if (unknownKinds.length) {
    const kinds = kindsOf(items);
    const named = unknownKinds.map((k) => {
      const near = k.includes('*') ? undefined : nearest(k, kinds);
      return near ? `${k} (did you mean ${near}?)` : k;
    });
    return fail(`unknown kind${unknownKinds.length > 1 ? 's' : ''} ${named.join(', ')}; the kinds in ${file}: ${kinds.join(', ')}`);
  }

  const shown = filterItems(items, { nodes: o.node, kinds: o.kind });
  const paint = painter(colourLevel(io.stdout, io.env));
  const ctx = { ...(index ? { index } : {}), nodeWidth: nodeWidth(shown, index) };
  const span = shown.length ? shown[shown.length - 1]!.at - shown[0]!.at : 0;
  io.stderr.write(
    painter(colourLevel(io.stderr as { isTTY?: boolean }, io.env))('dim', `replaying ${file} (${what}; ${nodes.length} nodes: ${nodes.join(', ')}); ${shown.length} shown over ${(span / 1000).toFixed(2)} s${Number.isFinite(o.speed) ? (o.speed === 1 ? '' : ` at ${o.speed}x`) : ', no waiting'}`) + '\n',
  );

  const interactive = Boolean(io.stdin.isTTY && io.stdout.isTTY);
  let rl: Interface | undefined;
  try {
    await replay(shown, {
      speed: o.speed,
      clock: io.clock,
      // Waits for a slow reader (a pager, a pipe) rather than buffering a whole trace in memory.
      show: (item) => (io.stdout.write(formatItem(item, ctx, paint) + '\n') ? undefined : new Promise<void>((resolve) => io.stdout.once('drain', resolve))),
      ...(interactive
        ? {
            pause: () =>
              new Promise<void>((resolve) => {
                rl ??= createInterface({ input: io.stdin, output: io.stdout, terminal: true });
                rl.question(paint('dim', '          (press Enter to continue)'), () => resolve());
              }),
          }
        : {}),
    });
  } finally {
    rl?.close();
  }
  return 0;
}

/** A playbook / recorded session by its name, else by its first character (a trace line starts with `{`). */
async function isSession(file: string): Promise<boolean> {
  if (/\.ya?ml$/i.test(file)) return true;
  if (/\.(jsonl|ndjson|json|trace)$/i.test(file)) return false;
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return false; // readTrace says why it cannot be read
  }
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '').trimStart();
    return head !== '' && !head.startsWith('{');
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}

function painter(level: 0 | 1 | 2 | 3): Painter {
  const c = makePaint(level);
  const roles: Record<Role, (s: string) => string> = {
    time: c.gray,
    node: c.bold,
    send: c.blue,
    deliver: c.green,
    drop: c.red,
    event: c.magenta,
    good: c.green,
    bad: c.red,
    warn: c.yellow,
    txn: c.cyan,
    say: c.bold.yellow,
    step: c.cyan,
    dim: c.dim,
  };
  return (role, text) => roles[role](text);
}

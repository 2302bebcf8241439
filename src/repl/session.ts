/**
 * The REPL session (DESIGN.md §2.1, §2.2): a node:repl server with `node`, `nodes` and `help` in
 * its context. It keeps the REPL's own eval (top-level await, preview) and adds, around it: results
 * that are promises awaited and rendered as tables; errors as one line; events printed above the
 * prompt; dot-commands; completion of the node API and peers; history; recording; and, for
 * scripts, one line at a time, each after the previous one has settled.
 */
import repl, { type REPLServer } from 'node:repl';
import { createInterface } from 'node:readline';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { PeerlabEvent } from '../runtime/events.ts';
import { defineCommands } from './commands.ts';
import { EvalGuard } from './eval-guard.ts';
import { installCompleter } from './completer.ts';
import { formatEvent, QUIET_EVENTS } from './event-line.ts';
import { HelpText } from './help.ts';
import { installHelp } from './session-help.ts';
import { explainError, guardCommands, sessionNodes, unknownCommand } from './misspelling.ts';
import { describeNode, renderNamespace, renderNodes } from './node-view.ts';
import { LiveOutput, type PromptLine } from './live-output.ts';
import { NameBook } from './names.ts';
import { namespaceOf, originOf, unwrap, wrapNode } from './node-proxy.ts';
import { makePaint, type Paint } from './paint.ts';
import { isProgress, progressLine, ProgressFilter } from './progress.ts';
import type { Recorder, RecorderSettings } from './recorder.ts';
import { formatError, renderValue, type RenderContext } from './render.ts';
import { knownPeer, SessionRecording } from './session-recording.ts';
import { installSim, isInflight, renderInflight, type SimSessionHooks } from './sim-control.ts';

/** A node the session talks to: a local Node, or a remote one over its control socket. */
export interface SessionNode {
  name: string;
  /** The Node (or remote node object) itself; users get a wrapping proxy of it. */
  target: object;
  /** Local nodes belong to the session's process; remote ones keep running after it. */
  local: boolean;
  id: string;
  addresses: string[];
  dataDir?: string | null;
  controlSocket?: string;
  /** Faults it started with (for recording). */
  faults?: { drop?: number };
}

export interface ReplSessionOptions {
  nodes: SessionNode[];
  /** Interactive input (a terminal). Absent: the session feeds lines itself (scripts, tests). */
  input?: Readable;
  output: Writable & { columns?: number; isTTY?: boolean };
  /** Where script mode writes errors and events (default: output). */
  errorOutput?: Writable;
  /** A real terminal: prompt redraws, preview, history. */
  terminal: boolean;
  /** Script mode (stdin not a TTY): line numbers in errors, events to errorOutput. */
  script?: boolean;
  colourLevel?: 0 | 1 | 2 | 3;
  historyFile?: string;
  prompt?: string;
  /** Start recording at once (`--record FILE`). */
  recordFile?: string;
  recorderSettings?: RecorderSettings;
  /** Joins the session made before the prompt, [node, peer] (recorded as the playbook's start). */
  setupJoins?: [string, string][];
  showEvents?: boolean;
  /** A REPL on simulated time: `sim` in the context, lines started between two instants. */
  sim?: SimSessionHooks;
  /** The recorder's clock (a REPL on simulated time: virtual ms). */
  recorderNow?: () => number;
}

type NodeEntry = SessionNode & { proxy: object };

export class ReplSession {
  readonly server: REPLServer;
  readonly live: LiveOutput;
  readonly names = new NameBook();
  readonly paint: Paint;
  /** `nodes` in the REPL: name -> node proxy (an unknown name is an error with a did-you-mean). */
  readonly nodes: Record<string, object>;
  /** Lines (or dot-commands) that failed, plus stray async errors. */
  failures = 0;
  /** Resolves once the REPL has closed (and a recording is written). */
  readonly closed: Promise<void>;
  showEvents: boolean;
  readonly script: boolean;
  /** The terminal or pipe is gone: nothing more is written. */
  outputLost = false;

  private readonly opts: ReplSessionOptions;
  private readonly entries: NodeEntry[];
  private current_: NodeEntry;
  private readonly feeder: PassThrough | undefined;
  private readonly errOut: Writable;
  private readonly progress: ProgressFilter;
  private readonly recordings: SessionRecording;
  private readonly guard: EvalGuard;
  private lineNo: number | undefined;
  private closed_ = false;
  private readonly offs: (() => void)[] = [];
  private readonly ready: Promise<void>;
  private readonly onExit: () => void;

  private constructor(opts: ReplSessionOptions) {
    if (opts.nodes.length === 0) throw new Error('a REPL session needs at least one node');
    this.opts = opts;
    this.script = opts.script ?? false;
    this.showEvents = opts.showEvents ?? true;
    const level = opts.colourLevel ?? 0;
    this.paint = makePaint(level);
    this.errOut = opts.errorOutput ?? opts.output;
    this.progress = new ProgressFilter(opts.terminal);
    this.recordings = new SessionRecording({
      nodes: () => this.entries.map((e) => ({ name: e.name, addresses: e.addresses, id: e.id, ...(e.faults ? { faults: e.faults } : {}) })),
      ...(opts.recorderSettings ? { settings: opts.recorderSettings } : {}),
      ...(opts.setupJoins ? { setupJoins: opts.setupJoins } : {}),
      ...(opts.recorderNow ? { now: opts.recorderNow } : {}),
      lookup: (node, ref) => {
        const e = this.entries.find((x) => x.name === node);
        return e?.local ? knownPeer(e.target, ref) : undefined;
      },
    });
    this.entries = opts.nodes.map((n) => ({ ...n, proxy: wrapNode(n.target, () => n.name, () => this.recordings.observer()) }));
    const byName: Record<string, object> = {};
    for (const e of this.entries) {
      byName[e.name] = e.proxy;
      this.names.add(e.id, e.name);
      for (const a of e.addresses) this.names.addAddress(a, e.name);
    }
    this.nodes = sessionNodes(byName);
    this.current_ = this.entries[0]!;
    this.live = new LiveOutput(opts.output, opts.terminal);
    this.feeder = opts.input ? undefined : new PassThrough();
    const input = opts.input ?? this.feeder!;

    this.server = repl.start({
      input,
      output: opts.output,
      terminal: opts.terminal,
      prompt: opts.prompt ?? (this.script ? '' : this.promptFor(this.current_)),
      useColors: level > 0,
      ignoreUndefined: true,
      preview: opts.terminal,
      breakEvalOnSigint: opts.terminal,
      useGlobal: false,
      writer: (v: unknown) => this.render(v),
    });
    this.live.attach(this.server as unknown as PromptLine);
    this.installContext();
    this.guard = new EvalGuard(this.server, this.live, {
      report: (err, line) => this.reportError(err, line),
      line: () => this.lineNo,
      abandoned: () => this.write(this.opts.output, `${this.paint.dim('(stopped waiting; it goes on in the background)')}\n`),
      closed: () => this.closed_,
      ...(opts.sim ? { before: opts.sim.before, watch: opts.sim.watch } : {}),
    });
    this.guard.install();
    this.wrapCompleter();
    defineCommands(this);
    guardCommands(this.server, () => this.buffered(), (name) => this.runCommand(() => {
      throw unknownCommand(name, Object.keys(this.server.commands));
    }));
    this.subscribeEvents();

    let resolveClosed!: () => void;
    this.closed = new Promise((r) => (resolveClosed = r));
    let exited = false;
    this.onExit = () => {
      if (exited) return;
      exited = true;
      this.closed_ = true;
      for (const off of this.offs) off();
      void this.finishRecording('session ended').finally(resolveClosed);
    };
    this.server.on('exit', this.onExit);
    this.ready = new Promise((resolve) => {
      if (opts.terminal && opts.historyFile) {
        this.server.setupHistory(opts.historyFile, (err) => {
          if (err) this.live.print(this.paint.dim(`(no history: ${err.message})`));
          resolve();
        });
      } else resolve();
    });
  }

  static async start(opts: ReplSessionOptions): Promise<ReplSession> {
    const s = new ReplSession(opts);
    await s.ready;
    if (opts.recordFile) await s.startRecording(opts.recordFile, { quiet: true });
    return s;
  }

  // ---- the current node ---------------------------------------------------------------------

  get current(): NodeEntry {
    return this.current_;
  }

  /** Makes nodes.<name> the `node` of the REPL and of dot-commands. */
  use(name: string): NodeEntry {
    const e = this.entries.find((x) => x.name === name);
    if (!e) throw new Error(`no local node ${JSON.stringify(name)} (nodes: ${this.entries.map((x) => x.name).join(', ')})`);
    this.current_ = e;
    this.server.context.node = e.proxy;
    if (!this.script && this.opts.prompt === undefined) this.server.setPrompt(this.promptFor(e));
    return e;
  }

  private promptFor(e: NodeEntry | SessionNode): string {
    return `${this.paint.cyan(e.name)}${this.paint.dim('>')} `;
  }

  // ---- output -------------------------------------------------------------------------------

  get renderContext(): RenderContext {
    const cols = this.opts.output.columns;
    return { paint: this.paint, names: this.names, width: cols && cols > 0 ? cols : 100, colors: this.paint.level > 0 };
  }

  /** A value as the REPL shows it (the REPL's writer). */
  render(v: unknown, origin?: string): string {
    if (v instanceof HelpText) return v.text;
    if (v === this.nodes) return this.renderNodes();
    if (isInflight(v)) return renderInflight(v, this.paint, this.renderContext.width);
    const ns = namespaceOf(v);
    if (ns) return renderNamespace(ns, unwrap(v)!, this.paint);
    const entry = this.entries.find((e) => e.proxy === v || e.target === unwrap(v) || e.target === v);
    if (entry) return describeNode(entry, this.paint);
    return renderValue(v, origin ?? originOf(v), this.renderContext);
  }

  /** Writes a command's result (dot-commands). */
  show(v: unknown, origin?: string): void {
    if (v === undefined) return;
    this.write(this.opts.output, `${typeof v === 'string' && origin === undefined ? v : this.render(v, origin)}\n`);
  }

  /** A line of information: above the prompt when idle; to the error stream in script mode. */
  print(text: string): void {
    if (this.outputLost) return;
    if (this.script) this.write(this.errOut, `${text}\n`);
    else this.live.print(text);
  }

  renderNodes(): string {
    return renderNodes(this.entries, this.current_, this.paint, this.renderContext.width);
  }

  // ---- errors -------------------------------------------------------------------------------

  /** Reports a failed line or command as one line and counts it. */
  reportError(err: unknown, line = this.lineNo): void {
    this.failures++;
    const prefix = this.script && line !== undefined ? `line ${line}: ` : '';
    const text = formatError(explainError(err), this.paint, prefix);
    if (this.outputLost) return;
    if (this.script) this.write(this.errOut, `${text}\n`);
    else if (this.live.busy) this.write(this.opts.output, `${text}\n`);
    else this.live.print(text);
  }

  /** An error no command owns (a callback that threw, an unhandled rejection). */
  reportStray(err: unknown): void {
    this.reportError(err, undefined);
  }

  // ---- commands and idleness ----------------------------------------------------------------

  /** Resolves when no line or command is running. */
  idle(): Promise<void> {
    return this.guard.idle();
  }

  /** Runs a dot-command's work: its error is one line; the prompt comes back when it settles. */
  runCommand(work: () => unknown): void {
    this.guard.runCommand(work);
  }

  // ---- feeding lines (scripts, tests) -------------------------------------------------------

  /** Runs one line as if typed, and resolves once it (and whatever it awaits) has settled. */
  async feed(line: string): Promise<void> {
    if (!this.feeder) throw new Error('this session reads its own input');
    if (this.closed_) return;
    this.lineNo = (this.lineNo ?? 0) + 1;
    this.feeder.write(`${line}\n`);
    await new Promise((r) => setImmediate(r));
    await this.idle();
  }

  /** Feeds every line of `stream`, each after the previous has settled; resolves at its end. */
  async feedStream(stream: Readable): Promise<void> {
    const rl = createInterface({ input: stream, crlfDelay: Infinity, terminal: false });
    try {
      for await (const line of rl) {
        if (this.closed_) break;
        await this.feed(line);
      }
    } finally {
      rl.close();
    }
    if (!this.closed_ && this.buffered()) {
      this.reportError(new Error('the script ended inside an unfinished expression'));
      this.server.clearBufferedCommand();
    }
  }

  private buffered(): boolean {
    const sym = Object.getOwnPropertySymbols(this.server).find((s) => s.description === 'bufferedCommand');
    const v = sym ? (this.server as unknown as Record<symbol, unknown>)[sym] : '';
    return typeof v === 'string' && v.length > 0;
  }

  /** Ends the prompt's line (a signal ends the session while the prompt is shown). */
  endLine(): void {
    if (this.opts.terminal && !this.live.busy && !this.closed_) this.write(this.opts.output, '\n');
  }

  /** Ends the session (the REPL closes; `closed` resolves). Safe on a terminal that is gone. */
  close(): void {
    if (this.closed_) return;
    try {
      this.server.close();
    } catch {
      // a dead terminal can make readline's close throw (setRawMode): end the session anyway
    }
    if (!this.closed_) this.onExit();
  }

  /** Writes unless the stream (or the terminal behind it) is gone. */
  write(stream: Writable, text: string): void {
    if (this.outputLost || stream.destroyed || stream.writableEnded) return;
    try {
      stream.write(text);
    } catch {
      this.outputLost = true;
    }
  }

  // ---- recording ----------------------------------------------------------------------------

  get recording(): Recorder | undefined {
    return this.recordings.active;
  }

  async startRecording(file: string, o: { quiet?: boolean } = {}): Promise<Recorder> {
    const rec = await this.recordings.start(file);
    if (!o.quiet) this.print(this.paint.dim(`recording node actions to ${rec.file}; .record stop ends it`));
    return rec;
  }

  stopRecording(): Promise<Recorder | undefined> {
    return this.recordings.stop();
  }

  private async finishRecording(why: string): Promise<void> {
    const rec = await this.stopRecording().catch((err: unknown) => {
      this.write(this.errOut, `${formatError(err, this.paint, 'recording not written: ')}\n`);
      return undefined;
    });
    if (rec) this.write(this.errOut, `${this.paint.dim(`${why}: recorded ${rec.actions} action${rec.actions === 1 ? '' : 's'} to ${rec.file} (replay: ${rec.replayCommand})`)}\n`);
  }

  // ---- REPL plumbing ------------------------------------------------------------------------

  private installContext(): void {
    const ctx = this.server.context;
    ctx.node = this.current_.proxy;
    ctx.nodes = this.nodes;
    installHelp(this.server, {
      paint: this.paint,
      width: () => this.renderContext.width,
      node: () => this.current_.proxy,
      nodes: this.nodes,
      isNode: (x) => this.entries.some((e) => e.proxy === x),
    }, (text) => this.show(text));
    if (this.opts.sim) installSim(this.server, this.opts.sim.control, this.paint);
  }

  private wrapCompleter(): void {
    installCompleter(this.server, {
      context: () => this.server.context,
      nodes: () => this.entries.map((e) => ({ name: e.name, proxy: e.proxy })),
      current: () => this.current_.proxy,
      names: this.names,
      evaluating: (on) => (this.guard.completing = on),
    });
  }

  private subscribeEvents(): void {
    for (const e of this.entries) {
      const on = (e.target as { on?: (type: string, fn: (ev: PeerlabEvent) => void) => () => void }).on;
      if (typeof on !== 'function') continue;
      try {
        this.offs.push(on.call(e.target, '*', (ev) => this.onEvent(ev)));
      } catch {
        // a node that cannot be listened to shows no events
      }
    }
  }

  private onEvent(e: PeerlabEvent): void {
    if (e.type === 'peer-added') {
      const d = e.data as { id?: string; name?: string; peer?: string };
      this.names.add(d.id, d.name);
      this.names.addAddress(d.peer, d.name);
    }
    if (!this.showEvents || this.closed_ || this.outputLost) return;
    const out = this.script ? (text: string): void => this.write(this.errOut, `${text}\n`) : (text: string, key?: string): void => this.live.print(text, key);
    if (e.type === 'file-progress') {
      if (isProgress(e.data) && this.progress.wants(e)) out(progressLine(e.node, e.data, this.paint, this.renderContext.width, this.names), this.progress.key(e));
      return;
    }
    if (QUIET_EVENTS.has(e.type)) return;
    out(formatEvent(e, this.paint, this.names));
  }
}

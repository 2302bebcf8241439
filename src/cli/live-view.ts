/**
 * `--ui` and its flags on `repl`, `node` and `play` (DESIGN.md §2.1, issue 14): serves the live
 * view for the command's nodes and prints `view: http://127.0.0.1:PORT/?token=…`. The UI modules
 * are loaded only when a `--ui` flag is given, so that the REPL starts as fast without them.
 */
import type { Command } from 'commander';
import type { PeerlabEvent } from '../runtime/events.ts';
import type { NodeOptions } from '../runtime/node.ts';
import { TraceWriter, type TraceSink } from '../runtime/trace.ts';
import type { Folder } from '../ui/folder-rule.ts';
import type { handleLiveNode, LiveClock, LiveNode, LocalNodeLike } from '../ui/live-source.ts';

type HandleLike = Parameters<typeof handleLiveNode>[0];
import type { LiveView } from '../ui/server.ts';
import { parse } from './options.ts';

export interface UiCliOptions {
  ui?: boolean;
  uiPort?: number;
  uiHost?: string;
  uiReadonly?: boolean;
  open?: boolean;
}

export function addUiOptions(cmd: Command): Command {
  return cmd
    .option('--ui', 'serve the live view: a web page on 127.0.0.1 that shows the nodes as they run and offers their actions')
    .option('--ui-port <port>', 'port of the live view (default: a free one; implies --ui)', parse.port)
    .option('--ui-host <host>', 'address the live view binds (default 127.0.0.1; anything else is reachable from other machines; implies --ui)', parse.host)
    .option('--ui-readonly', 'the live view shows without actions, e.g. on a projector (implies --ui)')
    .option('--open', 'open the live view in the default browser ($BROWSER if set; implies --ui)');
}

export function wantsUi(o: UiCliOptions): boolean {
  return o.ui === true || o.uiPort !== undefined || o.uiHost !== undefined || o.uiReadonly === true || o.open === true;
}

/** What a command hands its nodes (trace and events) and then calls to serve the view. */
export interface ViewHook {
  /** Feeds the view from the nodes' traces. */
  readonly trace: TraceSink;
  /** Feeds the view from the nodes' events. */
  readonly listen: (e: PeerlabEvent) => void;
  /** NodeOptions whose trace also feeds the view (a trace file, if any, is shared and kept). */
  tapOptions(opts: NodeOptions[]): NodeOptions[];
  /** Serves the view for these nodes; prints its address (and a warning when it is exposed). */
  open(nodes: () => readonly LiveNode[], print: (line: string) => void): Promise<LiveView>;
  /** The same for nodes of this process (`Node`s). */
  openLocal(nodes: readonly LocalNodeLike[], print: (line: string) => void): Promise<LiveView>;
  /** The same for a playbook's node handles (in this process or in their own). */
  openHandles(handles: () => readonly HandleLike[], print: (line: string) => void): Promise<LiveView>;
  /** Stops the view and closes a trace file it opened. Idempotent. */
  close(): Promise<void>;
}

export interface ViewSettings {
  title: string;
  /** Folders typed paths may reach (default: the working folder). */
  folders?: Folder[];
  /** The nodes' clock (simulated time); real time by default. */
  clock?: () => LiveClock;
}

export async function prepareView(o: UiCliOptions, settings: ViewSettings): Promise<ViewHook> {
  const [{ LiveHub, handleLiveNode, localLiveNode, teeTrace }, { LiveView }, { FolderRule }, { openBrowser }] = await Promise.all([
    import('../ui/live-source.ts'),
    import('../ui/server.ts'),
    import('../ui/folder-rule.ts'),
    import('../ui/open-browser.ts'),
  ]);
  let list: () => readonly LiveNode[] = () => [];
  const hub = new LiveHub(() => list(), settings.clock);
  let view: LiveView | undefined;
  let writer: TraceWriter | undefined;
  let closing: Promise<void> | undefined;
  const hook: ViewHook = {
    trace: hub.trace,
    listen: hub.listen,
    tapOptions(opts) {
      const file = opts.find((x) => typeof x.trace === 'string')?.trace as string | undefined;
      if (file !== undefined) writer = new TraceWriter(file);
      return opts.map((x) => ({ ...x, trace: teeTrace(typeof x.trace === 'string' ? writer : x.trace, hub.trace) }));
    },
    async open(nodes, print) {
      list = nodes;
      const cwd = process.cwd();
      view = await LiveView.start({
        source: hub,
        host: o.uiHost ?? '127.0.0.1',
        port: o.uiPort ?? 0,
        readonly: o.uiReadonly === true,
        folders: new FolderRule(cwd, settings.folders ?? [{ dir: cwd, label: 'the working folder' }]),
        title: settings.title,
      });
      print(`view: ${view.url}${view.readonly ? '  (read-only)' : ''}`);
      if (view.exposed) {
        print(`warning: the live view listens on ${o.uiHost}:${view.port}, not only on this machine: anyone who can reach it and has the token can watch and drive these nodes`);
      }
      if (o.open) {
        const r = await openBrowser(view.url);
        if (!r.ok) print(`could not open a browser (${r.command}: ${r.error}); open the address above`);
      }
      return view;
    },
    openLocal(nodes, print) {
      const live = nodes.map(localLiveNode);
      return hook.open(() => live, print);
    },
    openHandles(handles, print) {
      const made = new WeakMap<HandleLike, LiveNode>();
      const live = (h: HandleLike): LiveNode => {
        let n = made.get(h);
        if (!n) made.set(h, (n = handleLiveNode(h)));
        return n;
      };
      return hook.open(() => handles().map(live), print);
    },
    close() {
      closing ??= (async () => {
        await view?.stop();
        await writer?.close();
      })();
      return closing;
    },
  };
  return hook;
}

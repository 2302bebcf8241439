import { Command } from 'commander';
import { isPeerlabError } from '../runtime/errors.ts';
import { startControlServer, type ControlServer } from '../runtime/control/index.ts';
import type { Node } from '../runtime/node.ts';
import { startNode } from '../repl/local-nodes.ts';
import { addNodeOptions, toNodeOptions, type NodeCliOptions } from './options.ts';
import { addUiOptions, prepareView, wantsUi, type UiCliOptions, type ViewHook } from './live-view.ts';
import { eventJson } from './render-event.ts';
import { formatEvent, QUIET_EVENTS } from '../repl/event-line.ts';
import { NameBook } from '../repl/names.ts';
import { colourLevel, makePaint } from '../repl/paint.ts';

export function nodeCommand(): Command {
  const cmd = new Command('node').description('run a headless node; events to stdout; stops cleanly on SIGINT/SIGTERM');
  addUiOptions(addNodeOptions(cmd).option('--json', 'one JSON object per line per event'));
  cmd.action(async (o: NodeCliOptions & UiCliOptions & { json?: boolean }) => {
    const out = (line: string): void => {
      process.stdout.write(line + '\n');
    };
    // Human lines are the REPL's (same colours, same names); --json prints every event.
    const paint = makePaint(colourLevel(process.stdout));
    const names = new NameBook();
    let node: Node | undefined;
    let control: ControlServer | undefined;
    let view: ViewHook | undefined;
    let stopping = false;
    const stop = async (code: number): Promise<void> => {
      if (stopping) return;
      stopping = true;
      await node?.stop();
      // The control server goes with the node; awaited so that a memory node's socket folder is
      // removed before the process exits (issue 15 item 11).
      await control?.stop();
      await view?.close();
      process.exit(code);
    };
    // Before anything is started: a signal during start-up stops cleanly too.
    process.on('SIGINT', () => void stop(0));
    process.on('SIGTERM', () => void stop(0));
    // An unnamed node on the default data dir moves to the next free one (.peerlab/node-2, ...).
    const unnamed = o.name === undefined && o.data === undefined && !o.memory;
    let opts = toNodeOptions(o);
    if (wantsUi(o)) {
      view = await prepareView(o, { title: `peerlab node ${o.name ?? ''}`.trim() });
      opts = view.tapOptions([opts])[0]!;
    }
    node = await startNode(opts, {
      freeDataDir: unnamed,
      prepare: (n) => {
        // Known before it starts, so that a signal during start-up stops it cleanly.
        node = n;
        if (view) n.on('*', view.listen);
        n.on('*', (e) => {
          if (o.json) return out(eventJson(e));
          if (QUIET_EVENTS.has(e.type)) return;
          const d = e.data as { id?: unknown; name?: unknown; peer?: unknown };
          if (e.type === 'peer-added') names.addAddress(d.peer, d.name);
          names.add(d.id, d.name);
          out(formatEvent(e, paint, names));
        });
      },
    });
    if (stopping) return;
    // The local control socket: `peerlab attach DATA_DIR` and playbooks with isolation: process.
    control = await startControlServer(node);
    // leave(), stop() or crash() through the control socket ends the process too (restart() does not).
    node.on('node-stopped', (e) => void (e.data.how !== 'restart' && stop(0)));
    out(o.json ? JSON.stringify({ type: 'control-socket', node: node.name, path: control.path }) : `control socket: ${control.path}`);
    if (view) {
      const name = node.name;
      // A view that cannot start (its port taken) is one line; the node runs on without it.
      await view.openLocal([node], (line) => out(o.json ? JSON.stringify(viewLine(name, line)) : line)).catch((err: unknown) => {
        process.stderr.write(`peerlab node: no live view: ${(err as Error).message}\n`);
      });
    }
    for (const addr of o.join ?? []) {
      node.join(addr, { timeout: Infinity }).catch((err: unknown) => {
        if (isPeerlabError(err, 'STOPPED')) return;
        process.stderr.write(`peerlab node: cannot join ${addr}: ${(err as Error).message}\n`);
        if (isPeerlabError(err, 'INCOMPATIBLE') || isPeerlabError(err, 'BANNED_PEER')) void stop(1);
      });
    }
    // Keep the process alive: the node's timers are unref'd so tests and REPLs can exit freely.
    setInterval(() => {}, 1 << 30);
  });
  return cmd;
}

/** The view's lines as `--json` objects: `{type: 'view', url}` or `{type: 'warning', message}`. */
function viewLine(node: string, line: string): Record<string, string> {
  if (line.startsWith('view: ')) return { type: 'view', node, url: line.slice(6).split(/\s/)[0]! };
  return { type: 'warning', node, message: line.replace(/^warning: /, '') };
}

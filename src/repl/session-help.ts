/** `help()` in the session's context and the `.help` command, for the node the session is on. */
import type { REPLServer } from 'node:repl';
import { commandsOverview, helpFor, HelpText, type HelpOptions } from './help.ts';
import { methodPathOf, namespaceOf } from './node-proxy.ts';
import type { Paint } from './paint.ts';

export interface HelpSource {
  paint: Paint;
  width(): number;
  /** The current `node` (a proxy). */
  node(): object;
  /** `nodes`. */
  nodes: object;
  isNode(x: unknown): boolean;
}

export function helpOptionsFor(src: HelpSource): HelpOptions {
  const node = src.node() as Record<string, unknown>;
  return {
    paint: src.paint,
    width: src.width(),
    identify: (x) => {
      if (x === src.nodes) return { kind: 'nodes' };
      if (src.isNode(x)) return { kind: 'node' };
      const ns = namespaceOf(x);
      return ns ? { kind: 'namespace', name: ns } : undefined;
    },
    available: (name) => {
      let v: unknown = node;
      for (const p of name.split('.')) {
        if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return false;
        v = (v as Record<string, unknown>)[p];
      }
      return v !== undefined;
    },
  };
}

/** `help(x)` in the context; `.help` lists the dot-commands (help() the node API). */
export function installHelp(server: REPLServer, src: HelpSource, show: (text: HelpText) => void): void {
  server.context.help = (x?: unknown): HelpText => helpFor(x, helpOptionsFor(src), methodPathOf);
  server.defineCommand('help', {
    help: 'The REPL commands',
    action: () => {
      show(new HelpText(commandsOverview(helpOptionsFor(src))));
      server.displayPrompt();
    },
  });
}

/**
 * Nothing real leaks into a simulated run (issue 10 item 3), the static half: only the seams,
 * their real implementations and the code that runs outside a simulation (command line, REPL,
 * trace tools, the playbook loader) may import sockets, the disk, timers, perf_hooks or `uuid`, or
 * read real time or randomness. Everything else reaches them through an injected seam. The check
 * reads the TypeScript syntax tree, so comments and method names do not count.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** Who may, and why. A folder ends with `/`. */
const ALLOWED: Record<string, string> = {
  'src/runtime/clock.ts': 'the clock seam: systemClock is the real one',
  'src/runtime/random.ts': 'the randomness seam: cryptoRandom is the real one',
  'src/runtime/net/udp-transport.ts': 'the real datagram transport',
  'src/runtime/net/tcp-transport.ts': 'the real stream transport',
  'src/runtime/net/local-socket.ts': "the control socket's real listener (never opened in a simulation)",
  'src/runtime/net/ip.ts': 'isIP from node:net: a pure function of its argument',
  'src/runtime/net/http-listener.ts': "the live view's real HTTP listener (never opened in a simulation)",
  'src/runtime/control/control-server.ts': 'the control socket of a real node process',
  'src/runtime/trace.ts': 'a write-only sink outside the simulation',
  'src/runtime/fs/node-file-system.ts': 'the disk seam: NodeFileSystem is the real one',
  'src/runtime/store/csv-export.ts': 'exportCsv: a write-only sink outside the simulation, as the trace is',
  'src/runtime/sim/real-time.ts': "the simulation's own exceptions: setImmediate to drain microtasks, pacing, wall* figures",
  'src/cli.ts': 'the command line, outside any simulation',
  'src/cli/': 'the command line, outside any simulation',
  'src/repl/': 'the REPL: rendering, history, recordings, outside any simulation',
  'src/trace/': 'trace reading, replay and reports, after a run',
  'src/ui/': 'the live view, outside any simulation',
  'src/playbooks/load.ts': 'reads the playbook file before a run',
  'src/playbooks/check-context.ts': 'checks that files named by steps exist, before a run',
  'src/playbooks/path-rule.ts': 'checks paths on the real disk (real runs only)',
  'src/playbooks/capacity.ts': "reads the machine's limits before a real run",
  'src/playbooks/report.ts': 'writes the report after a run',
  'src/playbooks/cluster.ts': "InProcessCluster: a real run's temp folders",
  'src/playbooks/sim-cluster.ts': 'reads the files the steps send onto the simulated disk, before a run',
  'src/playbooks/process-cluster.ts': 'node processes on real time',
  'src/playbooks/runner.ts': 'realTime, the default RunTime (a simulation passes its own)',
};

const MODULES = /^(node:)?(dgram|net|fs|fs\/promises|perf_hooks|timers|timers\/promises)$|^uuid$/;
const CRYPTO_RANDOM = new Set(['randomBytes', 'randomUUID', 'randomInt', 'randomFill', 'randomFillSync', 'getRandomValues', 'generateKeyPair', 'generateKeyPairSync']);
const TIMERS = new Set(['setTimeout', 'setInterval', 'setImmediate']);
const READS = new Set(['Date.now', 'performance.now', 'Math.random', 'process.hrtime', 'process.hrtime.bigint', 'crypto.getRandomValues', 'crypto.randomUUID']);

/** What a file does that only the allowed may: `line: what`. */
function findings(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const at = (n: ts.Node, what: string): void => void out.push(`${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}: ${what}`);
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) {
      const m = n.moduleSpecifier.text;
      if (MODULES.test(m)) at(n, `imports ${m}`);
      if (/^(node:)?crypto$/.test(m) && ts.isImportDeclaration(n)) {
        const named = n.importClause?.namedBindings;
        if (named && ts.isNamedImports(named)) for (const e of named.elements) if (CRYPTO_RANDOM.has((e.propertyName ?? e.name).text)) at(e, `imports ${(e.propertyName ?? e.name).text} from ${m}`);
      }
    }
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = n.arguments[0];
      if (arg && ts.isStringLiteral(arg) && MODULES.test(arg.text)) at(n, `imports ${arg.text}`);
    }
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && TIMERS.has(n.expression.text)) at(n, `calls ${n.expression.text}`);
    if (ts.isPropertyAccessExpression(n) && READS.has(n.getText(sf).replace(/^globalThis\./, ''))) at(n, `reads ${n.getText(sf)}`);
    if (ts.isPropertyAccessExpression(n) && /^globalThis\.(setTimeout|setInterval|setImmediate|performance)$/.test(n.getText(sf))) at(n, `takes ${n.getText(sf)}`);
    if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'Date' && (n.arguments?.length ?? 0) === 0) at(n, 'reads new Date()');
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

const walk = (d: string): string[] => readdirSync(d).flatMap((f) => {
  const p = join(d, f);
  return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
});

const allowed = (file: string): boolean => Object.keys(ALLOWED).some((a) => (a.endsWith('/') ? file.startsWith(a) : file === a));

describe('which files may touch the real world', () => {
  const files = walk('src').map((f) => relative('.', f).split('\\').join('/'));

  it('only the seams, the real implementations and code outside the simulation', () => {
    const offenders = files.filter((f) => !allowed(f)).flatMap((f) => findings(f).map((x) => `${f}:${x}`));
    expect(offenders).toEqual([]);
  });

  it('every entry of the allow-list is needed (an entry whose files need nothing of it is stale)', () => {
    const covers = (a: string, f: string): boolean => (a.endsWith('/') ? f.startsWith(a) : f === a);
    const stale = Object.keys(ALLOWED).filter((a) => files.some((f) => covers(a, f)) && !files.some((f) => covers(a, f) && findings(f).length > 0));
    expect(stale).toEqual([]);
  });

  it('sees what it looks for (a planted file of each kind)', () => {
    const sample = [
      "import { createSocket } from 'node:dgram';",
      "import { randomBytes as rb } from 'node:crypto';",
      "import { v4 } from 'uuid';",
      'export const a = Date.now() + performance.now() + Math.random();',
      'setTimeout(() => {}, 1);',
      'export const d = new Date();',
      'export const e = new Date(0);',
      'const clock = { setTimeout(fn: () => void) { return fn; } };',
      'clock.setTimeout(() => {});',
      '// Date.now() in a comment',
    ].join('\n');
    const tmp = join('test-output', 'static-leak-sample.ts');
    ts.sys.writeFile(tmp, sample);
    expect(findings(tmp)).toEqual([
      '1: imports node:dgram', '2: imports randomBytes from node:crypto', '3: imports uuid',
      '4: reads Date.now', '4: reads performance.now', '4: reads Math.random', '5: calls setTimeout', '6: reads new Date()',
    ]);
  });
});

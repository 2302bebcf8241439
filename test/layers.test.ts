/**
 * The architecture's visible rules (DESIGN.md §1), checked on the source: only src/runtime/net/
 * imports sockets (node:dgram, node:net), only the REPL and the command line print in colour
 * (chalk), and the runtime imports nothing from the REPL, the command line, playbooks or the UI.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** `file: specifier` for every import or export-from of a module matching `re`. */
function importsOf(re: RegExp, where: (file: string) => boolean): string[] {
  const out: string[] = [];
  for (const file of files('src').filter(where)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+'([^']+)'/gms)) if (re.test(m[1]!)) out.push(`${file}: ${m[1]}`);
    for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) if (re.test(m[1]!)) out.push(`${file}: ${m[1]}`);
  }
  return out;
}

describe('layers', () => {
  it('sockets only in src/runtime/net/', () => {
    expect(importsOf(/^(node:)?(dgram|net)$/, (f) => !f.startsWith(join('src', 'runtime', 'net')))).toEqual([]);
  });

  it('chalk only in the REPL and the command line', () => {
    expect(importsOf(/^chalk$/, (f) => !/^src[\\/](repl|cli)[\\/]|^src[\\/]cli\.ts$/.test(f))).toEqual([]);
  });

  it('the runtime imports nothing from the REPL, the command line, playbooks or the UI', () => {
    expect(importsOf(/(^|\/)(repl|cli|playbooks|ui)(\/|\.ts$)/, (f) => f.startsWith(join('src', 'runtime')))).toEqual([]);
  });

  it('the check sees an import when there is one', () => {
    expect(importsOf(/^(node:)?dgram$/, (f) => f.startsWith(join('src', 'runtime', 'net')))).toContain(join('src', 'runtime', 'net', 'udp-transport.ts') + ': node:dgram');
  });
});

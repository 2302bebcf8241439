/**
 * What the REPL prints, in a real terminal (test/support/terminal.ts): file transfers read like
 * transactions and their progress bars redraw in place (one line per transfer side, however many
 * progress events); a fault change is one readable line with peer names; a misspelt dot-command
 * typed at the prompt gets a did-you-mean.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN } from '../cli/spawn.ts';
import { KEYS, Terminal, type Screen } from '../support/terminal.ts';

let dir = '';
const running: Terminal[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlab-terminal-output-'));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((t) => t.dispose()));
  await rm(dir, { recursive: true, force: true });
});

const atPrompt = (s: Screen): boolean => s.beforeCursor === 'alice> ' && s.cursorLine === 'alice>';

async function startRepl(): Promise<Terminal> {
  const term = Terminal.spawn(process.execPath, [BIN, 'repl', '--nodes', '2', '--memory'], { cwd: dir, rows: 60 });
  running.push(term);
  await term.waitForScreen(atPrompt, 'the prompt `alice> `', 20_000);
  return term;
}

async function run(term: Terminal, line: string, done: (s: Screen) => boolean, what: string, timeoutMs = 20_000): Promise<Screen> {
  term.write(line);
  await term.waitForScreen((s) => s.beforeCursor.endsWith(line), `the typed line ${line}`);
  term.write(KEYS.enter);
  return term.waitForScreen((s) => done(s) && atPrompt(s), what, timeoutMs);
}

describe('REPL output in a terminal', () => {
  it('a file transfer: readable file events, and each progress bar redrawn in place', async () => {
    const term = await startRepl();
    const file = join(dir, 'big.bin');
    await writeFile(file, Buffer.alloc(48 * 1024 * 1024, 7));
    const s = await run(term, `await node.sendFile('bob', '${file}')`, (x) => x.hasLine(/bob file-received big\.bin/) && x.hasLine(/alice file-sent big\.bin/), 'the transfer to finish');
    const where = `; screen:\n${s.tail(40)}`;
    expect(s.find(/alice file-offered/), where).toMatch(/alice file-offered big\.bin 48 MiB → bob sha256 [0-9a-f]{8}$/);
    expect(s.find(/bob file-received/), where).toMatch(/bob file-received big\.bin 48 MiB ← alice sha256 [0-9a-f]{8} in \d+ ms, stored as received_file_[0-9a-f]+\.dat$/);
    const bars = (re: RegExp): string[] => s.lines.filter((l) => re.test(l));
    const out = bars(/^alice ⇡ big\.bin → bob /);
    const inn = bars(/^bob ⇣ big\.bin ← alice /);
    expect(out, `one progress line for the sending side${where}`).toHaveLength(1);
    expect(inn, `one progress line for the receiving side${where}`).toHaveLength(1);
    expect(out[0], where).toMatch(/100%/);
    expect(inn[0], where).toMatch(/100%/);
  }, 90_000);

  it('a fault change is one readable line, with peer names', async () => {
    const term = await startRepl();
    const s = await run(term, "node.faults.set({ drop: 0.3, delay: '20ms', jitter: '5ms' }); node.faults.partition([nodes.bob.address])", (x) => x.hasLine(/cut off from bob/), 'the faults-changed line');
    expect(s.find(/alice faults-changed .*cut off/)).toMatch(/alice faults-changed drop 0\.3, delay 20 ms ±5 ms; cut off from bob$/);
  }, 60_000);

  it('a misspelt dot-command at the prompt gets a did-you-mean', async () => {
    const term = await startRepl();
    const s = await run(term, '.sedn bob 5', (x) => x.hasLine(/unknown command/), 'the answer to .sedn');
    expect(s.find(/unknown command/)).toMatch(/✖ unknown command \.sedn; did you mean \.send\? \(\.help lists them\)/);
    expect(s.hasLine(/Invalid REPL keyword/)).toBe(false);
  }, 60_000);
});

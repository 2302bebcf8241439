/**
 * A new user's first minutes with `peerlab repl`, in a real terminal: the real CLI runs in a
 * pseudo-terminal and the screen is read through a terminal emulator (test/support/terminal.ts,
 * both from npm; nothing to install beyond `npm ci`):
 *   1. the banner and the prompt appear; Tab completes node methods; preview and top-level await;
 *   2. an event that arrives while a line is half typed is printed above the prompt, the typed text
 *      is intact (not garbled, cursor at its end) and still runs; Tab completes peer names;
 *   3. Ctrl+D exits 0 and frees the port: a restart binds the same port; history survives it;
 *      Ctrl+C twice on an empty line exits 0;
 *   4. a single Ctrl+C stops waiting for a result that never comes; .exit exits 0.
 * (test/repl/tmux-check.sh checks the same by hand in tmux, for whoever has it.)
 *
 * Keys go one write at a time, each after the screen shows the previous one took effect: readline
 * completes only on a Tab that arrives on its own.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, NodeProcess } from '../cli/spawn.ts';
import { KEYS, Terminal, type Screen } from '../support/terminal.ts';

let dir = '';
const running: Array<{ dispose(): Promise<unknown> }> = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlab-terminal-'));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.dispose()));
  await rm(dir, { recursive: true, force: true });
});

/** `peerlab repl --name alice --data <dir>/alice` in a 140x40 terminal, at its prompt. */
async function startRepl(...extra: string[]): Promise<{ term: Terminal; port: string; banner: string }> {
  const term = Terminal.spawn(process.execPath, [BIN, 'repl', '--name', 'alice', '--data', join(dir, 'alice'), '--heartbeat-interval', '200ms', ...extra], { cwd: dir });
  running.push(term);
  const screen = await term.waitForScreen(atPrompt, 'the prompt `alice> `', 20_000);
  const banner = screen.find(/^peerlab repl/) ?? '';
  const port = /alice 127\.0\.0\.1:(\d+)/.exec(banner)?.[1] ?? '';
  return { term, port, banner };
}

/** The cursor sits after an empty prompt. */
const atPrompt = (s: Screen): boolean => s.beforeCursor === 'alice> ' && s.cursorLine === 'alice>';

/** Types `text` and waits until it is echoed before the cursor. */
async function type(term: Terminal, text: string): Promise<Screen> {
  term.write(text);
  return term.waitForScreen((s) => s.beforeCursor.endsWith(text), `the typed text ${JSON.stringify(text)} to be echoed`);
}

/** Presses Enter on the current line and waits until readline has taken it (cursor on a new line). */
async function enter(term: Terminal, line: string): Promise<void> {
  term.write(KEYS.enter);
  await term.waitForScreen((s) => s.lines.includes(`alice> ${line}`) && !s.cursorLine.startsWith(`alice> ${line}`), `the line ${JSON.stringify(line)} to be entered`);
}

async function clearLine(term: Terminal): Promise<void> {
  term.write(KEYS.ctrlU);
  await term.waitForScreen(atPrompt, 'Ctrl+U to empty the line');
}

describe('peerlab repl in a real terminal (pty + terminal emulator)', () => {
  it('shows the banner and the prompt; Tab completes node methods; preview and top-level await work', async () => {
    const { term, port, banner } = await startRepl();
    expect(port, `the banner names alice's address: ${banner}`).toMatch(/^\d+$/);
    expect(banner).toContain(`control ${join(dir, 'alice', 'control.sock')}`);

    await type(term, 'node.se');
    term.write(KEYS.tab);
    await term.waitForScreen((s) => s.beforeCursor === 'alice> node.send', 'the first Tab to complete `node.se` to `node.send`');
    term.write(KEYS.tab);
    await term.waitForScreen((s) => s.hasLine(/node\.sendCustom +node\.sendFile/), 'the second Tab to list node.send*');
    await clearLine(term);

    await type(term, '40 + 2');
    await term.waitForScreen((s) => s.hasLine(/^42$/), 'the preview `42` under the typed expression');
    await clearLine(term);
    await type(term, 'await Promise.resolve(6 * 9)');
    await enter(term, 'await Promise.resolve(6 * 9)');
    await term.waitForScreen((s) => s.hasLine(/^54$/) && atPrompt(s), 'the result of a top-level await, then the prompt');

    await type(term, '.exit');
    term.write(KEYS.enter);
    expect(await term.waitForExit()).toBe(0);
  }, 60_000);

  it('prints an event above a half-typed line without garbling it; the line still runs; Tab completes peer names', async () => {
    const { term, port } = await startRepl();
    // Longer than the event line, so that an event printed over it without clearing leaves a trace.
    const half = "node.peers().filter((p) => p.name.length > 0).map((p) => p.name + '!'";
    const typed = `alice> ${half}`;
    await type(term, half);
    const bob = new NodeProcess(['--memory', '--name', 'bob', '--join', `127.0.0.1:${port}`, '--heartbeat-interval', '200ms']);
    running.push({ dispose: () => bob.kill('SIGKILL') });

    // The REPL redraws in several writes (clear the prompt's rows, print the event, redraw the prompt):
    // judge the screen once an event is shown and the typed line is back at the bottom, intact.
    const s = await term.waitForScreen(
      (x) => x.hasLine(/alice peer-added bob/) && x.lastLine() === typed && x.beforeCursor === typed,
      `the event \`alice peer-added bob\` above the typed line, and the typed line \`${typed}\` intact at the bottom with the cursor at its end`,
      15_000,
    );
    const where = `; screen:\n${s.tail()}`;
    const last = s.lines.length - 1;
    const withTyped = s.lines.flatMap((l, i) => (l.includes('node.peers(') ? [i] : []));
    expect(withTyped, `the typed text is on screen once, on the prompt line: not left behind, doubled or mixed into an event${where}`).toEqual([last]);
    const event = s.lines.findIndex((l) => /alice peer-added bob/.test(l));
    expect(s.lines[event], `the event line holds the event alone${where}`).toMatch(/^\d\d:\d\d:\d\d\.\d{3} alice peer-added bob 127\.0\.0\.1:\d+ via \w+$/);
    expect(event, `the event is above the prompt${where}`).toBeLessThan(last);

    await type(term, ')');
    await enter(term, `${half})`);
    await term.waitForScreen((x) => x.hasLine(/^\[ 'bob!' \]$/), 'the half-typed line to run and print [ \'bob!\' ]');

    await type(term, "node.send('b");
    term.write(KEYS.tab);
    await term.waitForScreen((x) => x.beforeCursor.startsWith("alice> node.send('bob"), 'Tab to complete the peer name `bob`');
    await type(term, "', 2)");
    term.write(KEYS.enter);
    await term.waitForScreen((x) => x.hasLine(/sent 2\.00 alice → bob/), 'the send to bob to be reported');
  }, 60_000);

  it('Ctrl+D stops the node and frees its port; a restart on that port recalls the history; Ctrl+C twice exits 0', async () => {
    const first = await startRepl();
    await type(first.term, "'hello ' + 1");
    await enter(first.term, "'hello ' + 1");
    await first.term.waitForScreen((s) => s.hasLine(/^'hello 1'$/) && atPrompt(s), "the result 'hello 1', then the prompt");
    first.term.write(KEYS.ctrlD);
    expect(await first.term.waitForExit(), 'Ctrl+D exits with 0').toBe(0);
    expect(first.term.screen().hasLine(/^stopped alice$/), `a clean stop is reported; screen:\n${first.term.screen().tail()}`).toBe(true);
    expect(existsSync(join(dir, 'alice', 'control.sock')), 'the control socket is removed').toBe(false);

    const { term } = await startRepl('--port', first.port); // fails at its prompt wait if the port was kept
    term.write(KEYS.up);
    await term.waitForScreen((s) => s.beforeCursor === "alice> 'hello ' + 1", 'Up to recall the previous session\'s last line');
    await clearLine(term);
    term.write(KEYS.ctrlC);
    await term.waitForScreen((s) => s.hasLine(/To exit, press Ctrl\+C again/), 'Ctrl+C on an empty line to say how to exit');
    term.write(KEYS.ctrlC);
    expect(await term.waitForExit(), 'Ctrl+C twice exits with 0').toBe(0);
    expect(term.screen().hasLine(/^stopped alice$/)).toBe(true);
  }, 60_000);

  it('a single Ctrl+C stops waiting for a promise and interrupts a top-level await; the prompt returns; .exit exits 0', async () => {
    const { term } = await startRepl();
    // Each line prints `waiting` from a timer once its synchronous part is over: only then is the
    // terminal back in raw mode, where Ctrl+C is a key for the REPL. (While the synchronous part runs,
    // node:repl turns raw mode off so that Ctrl+C raises SIGINT and can break a busy loop.)
    const hang = "new Promise(() => { setTimeout(() => console.log('waiting'), 0); })";
    await type(term, hang);
    await enter(term, hang);
    await term.waitForScreen((s) => s.lastLine() === 'waiting', 'the line to be waiting for its promise');
    term.write(KEYS.ctrlC);
    await term.waitForScreen((s) => s.hasLine(/stopped waiting; it goes on in the background/) && atPrompt(s), 'Ctrl+C to stop waiting for the promise');

    await type(term, `await ${hang}`);
    await enter(term, `await ${hang}`);
    await term.waitForScreen((s) => s.lastLine() === 'waiting', 'the top-level await to be waiting');
    term.write(KEYS.ctrlC);
    const s = await term.waitForScreen((x) => x.hasLine(/interrupted/) && atPrompt(x), 'Ctrl+C to interrupt the top-level await, then the prompt');
    expect(s.lastLine()).toBe('alice>');

    await type(term, '.exit');
    term.write(KEYS.enter);
    expect(await term.waitForExit(), '.exit exits with 0').toBe(0);
  }, 60_000);
});

/**
 * Signals to `peerlab repl` in a real terminal (test/support/terminal.ts): SIGINT and SIGTERM stop
 * the node cleanly (the session ends, "stopped alice", exit 0, the control socket removed) before
 * and after lines have been evaluated. node:repl's `breakEvalOnSigint` arms a SIGINT watchdog
 * around each evaluation; when it disarms, the process-level SIGINT handler must still be there.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN } from '../cli/spawn.ts';
import { KEYS, Terminal, type Screen } from '../support/terminal.ts';

let dir = '';
const running: Terminal[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlab-signals-'));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((t) => t.dispose()));
  await rm(dir, { recursive: true, force: true });
});

const atPrompt = (s: Screen): boolean => s.beforeCursor === 'alice> ' && s.cursorLine === 'alice>';

async function startRepl(): Promise<Terminal> {
  const term = Terminal.spawn(process.execPath, [BIN, 'repl', '--name', 'alice', '--data', join(dir, 'alice')], { cwd: dir });
  running.push(term);
  await term.waitForScreen(atPrompt, 'the prompt `alice> `', 20_000);
  return term;
}

/** Types a line, presses Enter, and waits for its result and the next prompt. */
async function run(term: Terminal, line: string, result: RegExp): Promise<void> {
  term.write(line);
  await term.waitForScreen((s) => s.beforeCursor.endsWith(line), `the typed line ${line}`);
  term.write(KEYS.enter);
  await term.waitForScreen((s) => s.hasLine(result) && atPrompt(s), `the result of ${line}, then the prompt`);
}

async function expectCleanStop(term: Terminal, signal: NodeJS.Signals): Promise<void> {
  process.kill(term.pid, signal);
  const code = await term.waitForExit(15_000);
  const screen = term.screen();
  expect(code, `${signal} ends the REPL with 0, not by the signal; screen:\n${screen.tail()}`).toBe(0);
  expect(screen.hasLine(/^stopped alice$/), `a clean stop is reported; screen:\n${screen.tail()}`).toBe(true);
  expect(existsSync(join(dir, 'alice', 'control.sock')), 'the control socket is removed').toBe(false);
}

describe('signals to peerlab repl in a terminal', () => {
  it('SIGINT at a fresh prompt stops cleanly', async () => {
    const term = await startRepl();
    await expectCleanStop(term, 'SIGINT');
  }, 60_000);

  it('SIGINT after lines have been evaluated stops cleanly', async () => {
    const term = await startRepl();
    await run(term, '1 + 1', /^2$/);
    await run(term, 'await Promise.resolve(40 + 2)', /^42$/);
    await expectCleanStop(term, 'SIGINT');
  }, 60_000);

  it('SIGTERM after a line has been evaluated stops cleanly', async () => {
    const term = await startRepl();
    await run(term, '1 + 1', /^2$/);
    await expectCleanStop(term, 'SIGTERM');
  }, 60_000);

  it('Ctrl+C during a busy synchronous line interrupts it, and SIGINT afterwards still stops cleanly', async () => {
    const term = await startRepl();
    // `busy` is printed once the line runs: node:repl has taken the terminal out of raw mode by
    // then, so Ctrl+C raises SIGINT, which breaks the loop.
    const busy = "{ console.log('busy'); const t = Date.now(); while (Date.now() - t < 60000); }";
    term.write(busy);
    await term.waitForScreen((s) => s.beforeCursor.endsWith(busy), 'the busy line typed');
    term.write(KEYS.enter);
    await term.waitForScreen((s) => s.lastLine() === 'busy', 'the busy line to start');
    term.write(KEYS.ctrlC);
    await term.waitForScreen((s) => s.hasLine(/interrupted|Script execution was interrupted/i) && atPrompt(s), 'Ctrl+C to interrupt the loop, then the prompt', 20_000);
    await expectCleanStop(term, 'SIGINT');
  }, 90_000);
});

/**
 * The examples every `--help` ends with (issue 13 item 5), written with the command that works
 * where the user stands (`peerlab`, or `npx peerlab` in a checkout: repl/peerlab-command.ts).
 */
import type { Command } from 'commander';
import { peerlabCommand } from '../repl/peerlab-command.ts';

const EXAMPLES: Record<string, string[]> = {
  '': [
    'repl --nodes 3 --memory',
    'play playbooks/demo.yaml --events',
    'check playbooks/partition-heal.yaml',
    'replay out/demo.jsonl --kind txn-*',
  ],
  repl: [
    'repl --memory                               # one node, nothing kept on disk',
    'repl --nodes 3 --memory                     # alice, bob and carol, joined; node = alice',
    'repl --name bob --port 5002 --join 127.0.0.1:5001',
    'repl --nodes 3 --memory --record session.yaml   # then: play session.yaml',
    'repl --nodes 3 --memory --ui                # and a live web page of the three',
  ],
  node: [
    'node --name alice --port 5001',
    'node --name bob --port 5002 --join 127.0.0.1:5001 --json',
    'node --name carol --host 0.0.0.0 --advertise 192.168.1.10:5003',
    'node --name dave --ui --open',
  ],
  attach: ['attach .peerlab/alice', 'attach .peerlab/alice --record session.yaml'],
  play: [
    'play playbooks/demo.yaml',
    'play playbooks/lamport-ordering.yaml --events txn-accepted',
    'play playbooks/heartbeat-failure.yaml -v --trace out/hb.jsonl --html out/hb.html',
    'play playbooks/demo.yaml --seed 7 --dry-run',
    'play exercise.yaml --report grades.xml',
    'play playbooks/demo.yaml --ui --ui-readonly --open     # for a projector',
  ],
  check: ['check playbooks/demo.yaml', 'check my-exercise.yaml'],
  replay: ['replay out/demo.jsonl', 'replay out/demo.jsonl --speed 0 --node alice --kind txn,peer-*', 'replay session.yaml'],
  report: ['report out/demo.jsonl --html out/demo.html', "report out/demo.jsonl --html out/demo.html --title 'Lab 3'"],
  explore: ['explore --seeds 1000', 'explore --plant skip-fsync --out lab-out', 'explore --seed 17 --self-check'],
};

/** Adds the examples of `cmd` (the top-level program when it has no parent) to its help. */
export function addExamples(cmd: Command): void {
  const name = cmd.parent ? cmd.name() : '';
  const lines = EXAMPLES[name];
  if (!lines) return;
  cmd.addHelpText('after', () => `\nExamples:\n${lines.map((l) => `  ${peerlabCommand()} ${l}`).join('\n')}\n`);
}

import { Command, InvalidArgumentError } from 'commander';
import { addUiOptions } from './live-view.ts';
import { parse } from './options.ts';
import type { PlayOptions } from './play.ts';

export function playCommand(): Command {
  const cmd = new Command('play')
    .description('run a playbook: exit 0 if every expectation held, 1 if one failed or a step errored, 2 if the playbook is invalid')
    .argument('<file>', 'playbook YAML file')
    .option('--seed <n>', 'override the playbook seed', parse.integer)
    .option('--speed <x>', 'run the schedule X times faster', (v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number greater than 0.');
      return n;
    })
    .option('--report <file>', 'write a report: .json, or .xml for JUnit', (v: string) => {
      if (!/\.(json|xml)$/i.test(v)) throw new InvalidArgumentError('expected a file name ending in .json or .xml.');
      return v;
    })
    .option('--trace <file>', 'write a JSON-lines trace of every message and event')
    .option('--html <file>', 'write a self-contained HTML space-time diagram of the run')
    .option('--dry-run', 'print the plan (robot actions included) and run nothing')
    .option('--events [kinds]', "print node events as they happen, as the REPL shows them: every kind, or these (comma list, * matches anything, e.g. 'txn-*,peer-added')")
    .option('-v, --verbose', 'the same as --events')
    .option('--allow-paths <dir>', "let file steps reach this folder too, besides the playbook's and the working folder (repeatable)", parse.folders)
    .option('--sim', 'run on simulated time and a simulated network: one seed, one run, as fast as it can (as mode: simulated)')
    .option('--pace <x>', 'simulated time at X times real time, to watch a run (with --sim)', (v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number greater than 0.');
      return n;
    })
    .option('--check-determinism', 'run twice with the same seed and compare the traces; on a difference print the first diverging line of each and exit 1 (with --sim)');
  return addUiOptions(cmd).action(async (file: string, o: PlayOptions) => {
    // Loaded on use, so that other commands (the REPL above all) start faster.
    const { play } = await import('./play.ts');
    process.exitCode = await play(file, o, (s) => process.stdout.write(s));
  });
}

export function checkCommand(): Command {
  return new Command('check')
    .description('validate a playbook; print every error with line:column (exit 0 valid, 2 invalid)')
    .argument('<file>', 'playbook YAML file')
    .option('--allow-paths <dir>', "let file steps reach this folder too, besides the playbook's and the working folder (repeatable)", parse.folders)
    .action(async (file: string, o: { allowPaths?: string[] }) => {
      const { loadPlaybookFile } = await import('../playbooks/load.ts');
      const { formatErrors } = await import('../playbooks/errors.ts');
      const { errors, found } = await loadPlaybookFile(file, { allowPaths: o.allowPaths ?? [] });
      if (errors.length) {
        const n = found ?? errors.length;
        process.stderr.write(formatErrors(errors) + '\n');
        process.stderr.write(`${n.toLocaleString('en-US')} error${n === 1 ? '' : 's'} in ${file}\n`);
        process.exitCode = 2;
        return;
      }
      process.stdout.write(`${file}: valid\n`);
    });
}


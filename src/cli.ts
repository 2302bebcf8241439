import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { addExamples } from './cli/examples.ts';
import { isPeerlabError } from './runtime/errors.ts';
import { nodeCommand } from './cli/node-command.ts';
import { replCommand } from './cli/repl-command.ts';
import { attachCommand } from './cli/attach-command.ts';
import { checkCommand, playCommand } from './cli/play-command.ts';
import { replayCommand } from './cli/replay-command.ts';
import { reportCommand } from './cli/report-command.ts';
import { exploreCommand } from './cli/explore-command.ts';

/** `peerlab` (DESIGN.md §2.1). Usage errors and bad values exit 2 with one clear line. */
export async function main(argv: string[]): Promise<void> {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  const program = new Command('peerlab')
    .description('a hands-on peer-to-peer playground')
    .version(version, '-V, --version', 'print the version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `peerlab: ${s.slice(7)}` : s) });
  program.addCommand(nodeCommand());
  program.addCommand(replCommand());
  program.addCommand(attachCommand());
  program.addCommand(playCommand());
  program.addCommand(checkCommand());
  program.addCommand(replayCommand());
  program.addCommand(reportCommand());
  program.addCommand(exploreCommand());
  addExamples(program);
  for (const c of program.commands) addExamples(c);
  for (const c of program.commands) c.exitOverride().configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `peerlab ${c.name()}: ${s.slice(7)}` : s) });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exit(err.exitCode === 0 ? 0 : 2);
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`peerlab: ${message}\n`);
    process.exit(isPeerlabError(err) && ['BAD_ARGUMENT', 'BAD_ADDRESS', 'BAD_DURATION', 'BAD_SIZE', 'BAD_AMOUNT'].includes(err.code) ? 2 : 1);
  }
}

await main(process.argv);

import { Command } from 'commander';

/** `peerlab attach DATA_DIR` (DESIGN.md §2.1): a REPL on a running node, through its control socket. */
export function attachCommand(): Command {
  return new Command('attach')
    .description('open a REPL on a running `peerlab node` through its control socket (DATA_DIR, or the socket path it printed)')
    .argument('<data-dir>', "the node's data directory, or its control socket path")
    .option('--record <file>', 'record the node actions of this session as a playbook')
    .action(async (dir: string, o: { record?: string }) => {
      const { runAttach } = await import('../repl/run.ts');
      process.exit(await runAttach(dir, o.record ? { record: o.record } : {}));
    });
}

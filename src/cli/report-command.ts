import { Command, InvalidArgumentError } from 'commander';
import { basename } from 'node:path';
import { isPeerlabError } from '../runtime/errors.ts';
import { toUnits } from '../trace/balances.ts';
import { writeHtmlReport } from '../trace/html-report.ts';
import { describeProblems, readTrace } from '../trace/read-trace.ts';

interface ReportCliOptions {
  html: string;
  title?: string;
  initialBalance?: string;
}

function amount(v: string): string {
  if (toUnits(v, 18) === null || v.trim().startsWith('-')) throw new InvalidArgumentError('expected an amount like 1000 or 250.50.');
  return v.trim();
}

/** `peerlab report TRACE --html OUT` (DESIGN.md §2.1, issue 7): the space-time diagram of a run. */
export function reportCommand(): Command {
  return new Command('report')
    .description('write a self-contained HTML page with the space-time diagram of a trace and balances over time')
    .argument('<trace>', 'a trace written with --trace (JSON lines)')
    .requiredOption('--html <out>', 'the HTML file to write')
    .option('--title <text>', 'page title (default: the trace file name)')
    .option('--initial-balance <amount>', "the network's initial balance, for the balance charts (default: from the trace, else 1000)", amount)
    .action(async (file: string, o: ReportCliOptions) => {
      const fail = (message: string): void => {
        process.stderr.write(`peerlab report: ${message}\n`);
        process.exitCode = 2;
      };
      let trace;
      try {
        trace = await readTrace(file);
      } catch (err) {
        if (isPeerlabError(err)) return fail(err.message);
        throw err;
      }
      for (const line of describeProblems(file, trace.problems, '; line skipped')) process.stderr.write(`peerlab report: ${line}\n`);
      if (trace.records.length === 0) return fail(trace.lines === 0 ? `${file} is empty` : `${file} holds no trace records`);
      let s;
      try {
        s = await writeHtmlReport(trace.records, o.html, {
          title: o.title ?? `peerlab trace: ${basename(file)}`,
          problems: trace.problems,
          ...(o.initialBalance !== undefined ? { initialBalance: o.initialBalance } : {}),
        });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        return fail(`cannot write ${o.html}: ${e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'it is a directory' : e.message}`);
      }
      process.stdout.write(
        `wrote ${o.html}: ${s.nodes} nodes, ${s.delivered} messages delivered, ${s.dropped} dropped, ${s.lost} not delivered, ${s.events} events\n`,
      );
    });
}

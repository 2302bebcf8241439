/**
 * Runs one playbook through `play()` (src/cli/play.ts) in this process alone, so the
 * bench can sample this process's peak RSS. Prints `baseline` (RSS once the modules are loaded,
 * before the playbook starts) and `result` {exitCode, ms, cpuMs, tail of the output}. The JSON report
 * goes to `--report`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { play } from '../../src/cli/play.ts';
import { now, out } from './rpc.ts';

const { values: a } = parseArgs({ options: { file: { type: 'string' }, report: { type: 'string' } } });
const status = (field: string): number => {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
};
out({ type: 'baseline', rss: status('VmRSS'), hwm: status('VmHWM'), pid: process.pid });
const text: string[] = [];
const t0 = now();
const cpu0 = process.cpuUsage();
const exitCode = await play(a.file!, { report: a.report! }, (s) => {
  text.push(s);
  if (text.length > 200) text.shift();
});
const cpu = process.cpuUsage(cpu0);
out({ type: 'result', exitCode, ms: now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, hwm: status('VmHWM'), tail: text.join('').split('\n').slice(-25) });
process.exit(0);

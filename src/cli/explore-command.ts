import { Command, InvalidArgumentError } from 'commander';
import { availableParallelism } from 'node:os';
import { statSync } from 'node:fs';
import { parse } from './options.ts';
import { PLANT_NAMES } from '../runtime/plants.ts';

interface ExploreCliOptions {
  seeds?: number;
  from?: number;
  seed?: number;
  plant?: string;
  out: string;
  jobs?: number;
  selfCheck?: boolean;
  shrink: boolean;
  shrinkRuns?: number;
}

const MAX_SEEDS = 10_000_000;
const MAX_JOBS = 64;
const MAX_SEED = 2 ** 32 - 1;

function seed(v: string): number {
  if (!/^\d{1,10}$/.test(v) || Number(v) > MAX_SEED) throw new InvalidArgumentError(`expected a seed: a whole number from 0 to ${MAX_SEED}.`);
  return Number(v);
}

function seeds(v: string): number {
  if (!/^\d{1,8}$/.test(v) || Number(v) < 1 || Number(v) > MAX_SEEDS) throw new InvalidArgumentError(`expected how many seeds to run: a whole number from 1 to ${MAX_SEEDS.toLocaleString('en-US')}.`);
  return Number(v);
}

function jobs(v: string): number {
  if (!/^\d{1,3}$/.test(v) || Number(v) < 1 || Number(v) > MAX_JOBS) throw new InvalidArgumentError(`expected how many seeds to run at once: a whole number from 1 to ${MAX_JOBS}.`);
  return Number(v);
}

/**
 * `peerlab explore` (DESIGN.md §2.1, issue 16): random scenarios on simulated time, the invariants
 * checked throughout; the first failing seed is written as a playbook and shrunk. Exit 0 when every
 * seed ran clean, 1 when one failed, 2 for usage.
 */
export function exploreCommand(): Command {
  return new Command('explore')
    .description('run random scenarios on simulated time, checking the invariants; a failing seed is written as a playbook and shrunk (exit 0 all clean, 1 a seed failed, 2 usage)')
    .option('--seeds <n>', 'how many seeds to run, from --from on (default 100)', seeds)
    .option('--from <s>', 'the first seed of the range (default 1)', seed)
    .option('--seed <s>', 'run this one seed only (to replay a failure)', seed)
    .option('--plant <name>', `turn on a bug planted for labs: ${PLANT_NAMES.join(', ')}`)
    .option('--out <dir>', 'where a failure is written', './explore-out')
    .option('--jobs <n>', `seeds run at once, each in a worker thread (default: the cores, at most 8)`, jobs)
    .option('--self-check', 'run every seed twice and compare the traces; a difference is a failure, shown by its first diverging line')
    .option('--no-shrink', 'write the failing playbook but do not shrink it')
    .option('--shrink-runs <n>', 'candidate runs the shrinker may use (default 300)', parse.positiveInt)
    .action(async (o: ExploreCliOptions) => {
      const usage = (message: string): void => {
        process.stderr.write(`peerlab explore: ${message}\n`);
        process.exitCode = 2;
      };
      if (o.seed !== undefined && (o.seeds !== undefined || o.from !== undefined)) {
        return usage('--seed runs one seed; --seeds N (with --from S) runs a range: give one or the other');
      }
      const from = o.from ?? 1;
      const count = o.seeds ?? 100;
      if (o.seed === undefined && from + count - 1 > MAX_SEED) return usage(`seeds ${from}..${from + count - 1} go past the last seed, ${MAX_SEED}`);
      if (o.plant !== undefined && !(PLANT_NAMES as readonly string[]).includes(o.plant)) {
        return usage(`--plant must be one of ${PLANT_NAMES.join(', ')}, got ${JSON.stringify(o.plant)}`);
      }
      const outIsFile = ((): boolean => {
        try {
          return !statSync(o.out).isDirectory();
        } catch {
          return false;
        }
      })();
      if (outIsFile) return usage(`--out ${o.out} is a file: name a folder (it is created when a seed fails)`);
      const { explore } = await import('../explore/explore.ts');
      const r = await explore(
        {
          ...(o.seed !== undefined ? { seed: o.seed } : { seeds: count, from }),
          ...(o.plant !== undefined ? { plant: o.plant } : {}),
          out: o.out,
          jobs: o.jobs ?? Math.min(8, availableParallelism()),
          selfCheck: o.selfCheck === true,
          shrink: o.shrink,
          ...(o.shrinkRuns !== undefined ? { maxShrinkRuns: o.shrinkRuns } : {}),
        },
        (line) => process.stdout.write(line + '\n'),
      );
      process.exitCode = r.exitCode;
    });
}

/**
 * Seeds in parallel (`explore --jobs N`): N worker threads, each running one seed at a time. The
 * workers load the TypeScript sources through tsx, resolved from this file, so the pool works the
 * same under the CLI, vitest and the bench. With one job the seeds run in this process instead.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ScenarioRun } from './run-scenario.ts';
import { runSeed, type SeedTask, type SeedVerdict } from './seed-run.ts';

export interface SeedRunner {
  run(task: SeedTask): Promise<SeedVerdict>;
  close(): Promise<void>;
}

/** Runs seeds in this process, one at a time. */
export function inProcess(run?: ScenarioRun): SeedRunner {
  return { run: (task) => runSeed(task, run), close: async () => {} };
}

/** The ESM entry of tsx's register API (`tsx/esm/api`), as a file URL, found from this file's folder. */
function tsxApi(): string {
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  return pathToFileURL(cjs.replace(/\.cjs$/, '.mjs')).href;
}

/** `jobs` worker threads; `run` resolves when a worker has run the seed. */
export function workerPool(jobs: number): SeedRunner {
  const tsx = tsxApi();
  const entry = new URL('./worker.ts', import.meta.url).href;
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`;
  const idle: Worker[] = [];
  const waiting: Array<(w: Worker) => void> = [];
  const all: Worker[] = [];
  for (let i = 0; i < jobs; i++) {
    const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`));
    w.unref();
    all.push(w);
    idle.push(w);
  }
  const take = (): Promise<Worker> => {
    const w = idle.pop();
    return w ? Promise.resolve(w) : new Promise((resolve) => waiting.push(resolve));
  };
  const give = (w: Worker): void => {
    const next = waiting.shift();
    if (next) next(w);
    else idle.push(w);
  };
  return {
    async run(task) {
      const w = await take();
      try {
        return await new Promise<SeedVerdict>((resolve, reject) => {
          const onError = (err: Error): void => {
            w.off('message', onMessage);
            reject(err);
          };
          const onMessage = (v: SeedVerdict): void => {
            w.off('error', onError);
            resolve(v);
          };
          w.once('message', onMessage);
          w.once('error', onError);
          w.postMessage(task);
        });
      } finally {
        give(w);
      }
    },
    async close() {
      await Promise.all(all.map((w) => w.terminate()));
    },
  };
}

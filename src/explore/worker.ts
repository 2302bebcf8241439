/**
 * A worker thread of `explore --jobs N`: runs the seeds it is sent, one at a time, and posts each
 * verdict back. Loaded through tsx (see pool.ts), like the CLI itself.
 */
import { parentPort } from 'node:worker_threads';
import { runSeed, type SeedTask } from './seed-run.ts';

const port = parentPort!;
port.on('message', (task: SeedTask) => {
  void runSeed(task).then((verdict) => port.postMessage(verdict));
});

/**
 * Child process for append-crash.test.ts: opens the log given as argv[2] and appends forever with
 * several appends in flight, printing each record's seq once its append has resolved (= durable).
 * The parent SIGKILLs it mid-stream.
 */
import { AppendLog } from '../../../src/runtime/store/append-log.ts';

interface Rec {
  seq: number;
  pad: string;
}

const path = process.argv[2];
if (!path) throw new Error('usage: append-child.ts LOG');
const log = new AppendLog<Rec>(path);
const existing = await log.open();
let next = existing.length > 0 ? existing[existing.length - 1]!.seq + 1 : 0;
process.stdout.write(`open ${existing.length} ${log.stats.tornBytesDropped}\n`);

const pad = 'p'.repeat(580);
async function worker(): Promise<void> {
  for (;;) {
    const seq = next++;
    await log.append({ seq, pad });
    process.stdout.write(`${seq}\n`);
  }
}
for (let i = 0; i < 16; i++) void worker();

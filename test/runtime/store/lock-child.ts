/** Child process for data-dir.test.ts: takes the lock of the data dir argv[2] and stays alive. */
import { lockDataDir } from '../../../src/runtime/store/data-dir.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: lock-child.ts DIR');
await lockDataDir(dir);
process.stdout.write('locked\n');
setInterval(() => undefined, 1 << 30);

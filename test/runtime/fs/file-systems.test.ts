import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultyFileSystem } from '../../../src/runtime/fs/faulty-file-system.ts';
import { MemoryFileSystem } from '../../../src/runtime/fs/memory-file-system.ts';
import { nodeFileSystem } from '../../../src/runtime/fs/node-file-system.ts';
import { fileSystemSuite } from './file-system-suite.ts';

fileSystemSuite('NodeFileSystem (real disk)', async () => {
  const root = await mkdtemp(join(tmpdir(), 'peerlab-fs-'));
  return { fs: nodeFileSystem, root, cleanup: () => rm(root, { recursive: true, force: true }) };
});

fileSystemSuite('MemoryFileSystem', async () => {
  const fs = new MemoryFileSystem();
  await fs.mkdir('/work', { recursive: true });
  return { fs, root: '/work', cleanup: async () => undefined };
});

fileSystemSuite('FaultyFileSystem over memory, no rule in force', async () => {
  const fs = new FaultyFileSystem(new MemoryFileSystem());
  await fs.mkdir('/work');
  return { fs, root: '/work', cleanup: async () => undefined };
});

import { afterEach, beforeEach } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the system temp dir, and a function removing it. */
export async function tempDir(prefix = 'peerlab-store-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A fresh temp dir for each test (handed to `use` before it runs), removed after it. */
export function useTempDir(use: (dir: string) => void, prefix?: string): void {
  let cleanup: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    const t = await tempDir(prefix);
    cleanup = t.cleanup;
    use(t.dir);
  });
  afterEach(async () => {
    await cleanup?.();
  });
}

/** A deterministic record of roughly `size` bytes of JSON. */
export function makeRecord(seq: number, size = 600): { seq: number; from: string; note: string; pad: string } {
  const note = ['plain', 'comma, "quoted"', 'line\nbreak\r\n', 'unicodé ✓ 🎉 日本', '\u0000 control \t'][seq % 5]!;
  const pad = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(size / 36)).slice(0, Math.max(0, size - 80));
  return { seq, from: `node-${seq % 7}`, note, pad };
}

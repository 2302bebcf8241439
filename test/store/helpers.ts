import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the system temp dir, and a function removing it. */
export async function tempDir(prefix = 'peerlab-store-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A deterministic record of roughly `size` bytes of JSON. */
export function makeRecord(seq: number, size = 600): { seq: number; from: string; note: string; pad: string } {
  const note = ['plain', 'comma, "quoted"', 'line\nbreak\r\n', 'unicodé ✓ 🎉 日本', '\u0000 control \t'][seq % 5]!;
  const pad = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(size / 36)).slice(0, Math.max(0, size - 80));
  return { seq, from: `node-${seq % 7}`, note, pad };
}

/**
 * The REPL in a real terminal: runs test/repl/tmux-check.sh (prompt, completion, events while
 * typing, history across a restart, Ctrl+D / Ctrl+C / .exit). Part of `npm test`: tmux is
 * required (.ci/run installs it; locally `apt-get install tmux`).
 */
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('./tmux-check.sh', import.meta.url));
const hasTmux = spawnSync('sh', ['-c', 'command -v tmux'], { encoding: 'utf8' }).status === 0;

describe('peerlab repl in a real terminal (tmux)', () => {
  it('prompt, completion, events while typing, history across a restart, clean exits', async () => {
    expect(hasTmux, 'tmux is not installed: apt-get install -y tmux (the CI script installs it)').toBe(true);
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      execFile('bash', [SCRIPT], { timeout: 120_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      );
    });
    expect(r.out).toContain('all checks passed');
    expect(r.code).toBe(0);
  }, 130_000);
});

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./scripted-node.ts', import.meta.url));

/** Parent side of scripted-node.ts: commands with replies, plus the stream of accepted ids. */
export class ScriptedNode {
  readonly child: ChildProcess;
  readonly accepted = new Set<string>();
  address = '';
  id = '';
  private seq = 0;
  private readonly replies = new Map<number, (r: { ok: boolean; result?: unknown; error?: string }) => void>();
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;

  constructor(options: object) {
    this.child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.exited = new Promise((r) => this.child.on('exit', () => r()));
    let started!: () => void;
    this.ready = new Promise((r) => (started = r));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const m = JSON.parse(line) as { ev?: string; id?: string; address?: string; re?: number; ok?: boolean; result?: unknown; error?: string };
      if (m.ev === 'accepted') this.accepted.add(m.id!);
      else if (m.ev === 'started') {
        this.address = m.address!;
        this.id = m.id!;
        started();
      } else if (m.re !== undefined) {
        this.replies.get(m.re)?.({ ok: m.ok!, result: m.result, error: m.error });
        this.replies.delete(m.re);
      }
    });
  }

  async call<T = unknown>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.seq;
    const reply = new Promise<{ ok: boolean; result?: unknown; error?: string }>((r) => this.replies.set(id, r));
    this.child.stdin!.write(JSON.stringify({ id, cmd, ...args }) + '\n');
    const r = await reply;
    if (!r.ok) throw new Error(`${cmd}: ${r.error}`);
    return r.result as T;
  }

  kill(): Promise<void> {
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

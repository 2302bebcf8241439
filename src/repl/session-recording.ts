/**
 * `--record FILE` and `.record` (DESIGN.md §2.3): the session's node calls go to a Recorder, and
 * the playbook is written again shortly after each recorded call settles, so an abrupt end of the
 * session loses at most the last moment.
 */
import type { CallInfo, CallObserver, CallOutcome } from './node-proxy.ts';
import type { KnownPeer, RecordedNode, Recorder, RecorderSettings } from './recorder.ts';

/** What a recording needs from its session. */
export interface RecordingSource {
  nodes(): RecordedNode[];
  readonly settings?: RecorderSettings;
  readonly setupJoins?: [string, string][];
  /** What the session's node `node` knows about a peer reference (nothing for a remote node). */
  lookup(node: string, ref: string): KnownPeer | undefined;
  /** The session's clock, ms (a REPL on simulated time: virtual time). */
  readonly now?: () => number;
}

/** Rewrites the playbook at most this often while calls are recorded. */
const WRITE_DELAY_MS = 200;

export class SessionRecording {
  private recorder: Recorder | undefined;
  private writeTimer: NodeJS.Timeout | undefined;

  constructor(private readonly source: RecordingSource) {}

  /** The recorder, while it records. */
  get active(): Recorder | undefined {
    return this.recorder?.recording ? this.recorder : undefined;
  }

  async start(file: string): Promise<Recorder> {
    if (this.active) throw new Error(`already recording to ${this.recorder!.file} (.record stop first)`);
    const { Recorder } = await import('./recorder.ts');
    const rec = new Recorder({
      file,
      nodes: this.source.nodes(),
      ...(this.source.settings ? { settings: this.source.settings } : {}),
      ...(this.source.setupJoins ? { setupJoins: this.source.setupJoins } : {}),
      lookup: (node, ref) => this.source.lookup(node, ref),
      ...(this.source.now ? { now: this.source.now } : {}),
    });
    await rec.write();
    this.recorder = rec;
    return rec;
  }

  /** Stops and writes the playbook; undefined when nothing was being recorded. */
  async stop(): Promise<Recorder | undefined> {
    const rec = this.recorder;
    if (!rec?.recording) return undefined;
    rec.stop();
    clearTimeout(this.writeTimer);
    await rec.write();
    return rec;
  }

  /** Told about every node call (by the node proxies); nothing while not recording. */
  observer(): CallObserver | undefined {
    const rec = this.active;
    if (!rec) return undefined;
    return {
      begin: (info: CallInfo) => {
        const end = rec.begin(info);
        if (!end) return;
        return (outcome: CallOutcome) => {
          end(outcome);
          this.scheduleWrite();
        };
      },
    };
  }

  /** A hand decision on a datagram (simulated time), written as a step. */
  decided(kind: 'deliver' | 'drop', msgId: string): void {
    this.active?.decision(kind, msgId);
    this.scheduleWrite();
  }

  private scheduleWrite(): void {
    if (this.writeTimer) return;
    this.writeTimer = setTimeout(() => {
      this.writeTimer = undefined;
      void this.active?.write().catch(() => undefined);
    }, WRITE_DELAY_MS);
    this.writeTimer.unref();
  }
}

/** What a local node knows about a peer reference: its id, name and address. */
export function knownPeer(target: object, ref: string): KnownPeer | undefined {
  const t = target as { findPeer?: (r: string, required?: boolean) => { id: string; name: string; addr: string } | undefined };
  if (typeof t.findPeer !== 'function') return undefined;
  try {
    const p = t.findPeer(ref, false);
    return p ? { id: p.id, name: p.name, addr: p.addr } : undefined;
  } catch {
    return undefined;
  }
}

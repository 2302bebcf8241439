import { PeerlabError } from './errors.ts';

/** How a session of a node ended: `node.stop()`, `node.leave()`, the first half of `node.restart()`, or `node.crash()`. */
export type StopKind = 'stop' | 'leave' | 'restart' | 'crash';

export interface LifecycleHooks {
  /** Opens what a session needs and starts it; cleans up and throws when it cannot. */
  open(): Promise<void>;
  /** Ends the running session; resolves with the log records lost (a crash), else 0. */
  close(how: StopKind): Promise<number>;
}

/**
 * The life of one Node object: sessions that start and end, as often as asked (DESIGN.md §1:
 * `start()`, an idempotent `stop()`, awaitable milestones). Transitions run one after another in
 * the order they were asked for; a start is idempotent while the node is up (starting or
 * running), a stop of any kind while it is down.
 */
export class Lifecycle {
  private state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  /** Where the last call asked the node to be. */
  private wanted: 'up' | 'down' = 'down';
  private ended: StopKind | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private started: Promise<void> | undefined;
  private stopped: Promise<number> | undefined;

  constructor(private readonly hooks: LifecycleHooks) {}

  get running(): boolean {
    return this.state === 'running';
  }

  /** Started or starting, and no stop asked for since. */
  get up(): boolean {
    return this.wanted === 'up';
  }

  start(): Promise<void> {
    if (this.wanted === 'up') return this.started!;
    this.wanted = 'up';
    this.stopped = undefined;
    const started: Promise<void> = this.queue(async () => {
      this.state = 'starting';
      try {
        await this.hooks.open();
      } catch (err) {
        this.state = 'stopped';
        if (this.started === started) this.wanted = 'down';
        throw err;
      }
      this.state = 'running';
      this.ended = undefined;
    });
    this.started = started;
    return started;
  }

  /** Ends the session (once it has started, if it is starting); resolves with the log records lost. */
  halt(how: StopKind): Promise<number> {
    if (this.wanted === 'down') return this.stopped ?? Promise.resolve(0);
    this.wanted = 'down';
    this.stopped = this.queue(async () => {
      if (this.state !== 'running') return 0;
      this.state = 'stopping';
      try {
        return await this.hooks.close(how);
      } finally {
        this.state = 'stopped';
        this.ended = how;
      }
    });
    return this.stopped;
  }

  /**
   * Ends the session if there is one, then starts another. A start that fails leaves the node
   * down: `onDown` is told, as a stop would be (a headless node's process ends on it).
   */
  async restart(onDown: () => void): Promise<void> {
    const wasUp = this.up;
    if (wasUp) await this.halt('restart');
    try {
      await this.start();
    } catch (err) {
      if (wasUp) onDown();
      throw err;
    }
  }

  /** NOT_RUNNING, saying why a node named `name` cannot serve a call now. */
  notRunning(name: string): PeerlabError {
    const why =
      this.state === 'new' || this.state === 'starting' ? 'is not started yet (await node.start())'
      : this.ended === 'crash' ? 'has crashed (node.restart() starts it again)'
      : 'has stopped';
    return new PeerlabError('NOT_RUNNING', `node ${name} ${why}`);
  }

  private queue<T>(step: () => Promise<T>): Promise<T> {
    const p = this.chain.then(step, step);
    this.chain = p.catch(() => undefined);
    return p;
  }
}

import type { Duplex } from 'node:stream';

/**
 * Routes accepted TCP streams by their first four bytes (a protocol magic such as `PLF1` for
 * files or `PLS1` for bulk sync), so one listener serves every TCP protocol of a node. The magic is
 * consumed; a stream with an unknown magic, or none within the timeout, is destroyed unanswered.
 */
export class TcpMux {
  private readonly routes = new Map<string, (stream: Duplex) => void>();

  constructor(private readonly timeoutMs = 10_000) {}

  route(magic: string, handler: (stream: Duplex) => void): void {
    this.routes.set(magic, handler);
  }

  /** Hands the stream to its protocol, with the magic left in place for handlers that check it. */
  accept(stream: Duplex, keepMagic = new Set<string>()): void {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => stream.destroy(), this.timeoutMs);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4) return;
      clearTimeout(timer);
      stream.off('data', onData);
      stream.pause();
      const magic = buf.subarray(0, 4).toString('latin1');
      const handler = this.routes.get(magic);
      if (!handler) {
        stream.destroy();
        return;
      }
      stream.unshift(keepMagic.has(magic) ? buf : buf.subarray(4));
      handler(stream);
      // We paused it to peek; handlers attach their readers synchronously, so flow can resume.
      if (stream.listenerCount('data') > 0) stream.resume();
    };
    stream.on('data', onData);
    stream.once('close', () => clearTimeout(timer));
  }
}

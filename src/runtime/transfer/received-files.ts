import type { EventData } from '../events.ts';

/** A file received during this run, as `node.details().files` lists it. */
export interface ReceivedFile {
  name: string;
  sha256: string;
  size: number;
  /** The sender's node id. */
  fromId: string;
  /** Stored file name inside the inbox. */
  file: string;
}

const KEEP = 1000;

/** The files received during this run, newest last (bounded; the inbox index has them all). */
export class ReceivedFiles {
  private readonly files: ReceivedFile[] = [];

  add(d: EventData['file-received']): void {
    this.files.push({ name: d.name, sha256: d.sha256, size: d.size, fromId: d.peerId, file: d.file });
    if (this.files.length > KEEP) this.files.shift();
  }

  list(): readonly ReceivedFile[] {
    return this.files;
  }
}

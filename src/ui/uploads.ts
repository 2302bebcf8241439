/**
 * Files that cross the live view: uploads (a file the page sends through a node) and downloads (a
 * file a method writes, such as a CSV export). Both live in one private temp folder (mode 0700,
 * files 0600) that is removed when the view stops; an upload keeps its name (the receiver sees it
 * as the label), under a folder named by a random id that the page quotes back.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PeerlabError } from '../runtime/errors.ts';
import { refuse } from './refusal.ts';
import { downloadName } from './call-args.ts';

export interface Upload {
  id: string;
  name: string;
  size: number;
}

export class FileDrop {
  private dir: string | undefined;
  private readonly uploads = new Map<string, string>();

  constructor(
    /** Largest upload accepted, bytes. */
    readonly maxBytes: number,
  ) {}

  /** The private folder (made on first use). */
  async folder(): Promise<string> {
    this.dir ??= await mkdtemp(join(tmpdir(), 'peerlab-view-'));
    return this.dir;
  }

  /** Stores `body` as an upload named like `name`; refuses more than maxBytes. */
  async receive(body: Readable, name: string, declared: number | undefined): Promise<Upload> {
    if (declared !== undefined && declared > this.maxBytes) throw tooBig(this.maxBytes);
    const id = randomBytes(12).toString('hex');
    const folder = join(await this.folder(), id);
    await mkdir(folder, { mode: 0o700 });
    const safe = downloadName(name);
    const path = join(folder, safe);
    let size = 0;
    const max = this.maxBytes;
    const counter = async function* (src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
      for await (const chunk of src) {
        size += chunk.length;
        if (size > max) throw tooBig(max);
        yield chunk;
      }
    };
    try {
      await pipeline(body, counter, createWriteStream(path, { mode: 0o600, flags: 'wx' }));
    } catch (err) {
      await rm(folder, { recursive: true, force: true });
      throw err;
    }
    this.uploads.set(id, path);
    return { id, name: safe, size };
  }

  path(id: string): string | undefined {
    return this.uploads.get(id);
  }

  /** A fresh private path for a file a method writes. */
  async downloadPath(name: string): Promise<string> {
    const folder = join(await this.folder(), `out-${randomBytes(8).toString('hex')}`);
    await mkdir(folder, { mode: 0o700 });
    return join(folder, downloadName(name));
  }

  async clear(): Promise<void> {
    const dir = this.dir;
    this.dir = undefined;
    this.uploads.clear();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

function tooBig(max: number): PeerlabError {
  return refuse(`the upload is larger than ${max} bytes (the live view's limit)`, 'BAD_SIZE', 413);
}

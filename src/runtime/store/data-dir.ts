import { createHash } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { systemClock } from '../clock.ts';
import { isCode, type FileSystem } from '../fs/file-system.ts';
import { NodeFileSystem, nodeFileSystem } from '../fs/node-file-system.ts';
import { cryptoRandom, type Random } from '../random.ts';
import { PeerlabError } from '../errors.ts';
import { ioError } from './group-commit-log.ts';
import { checkPrivateDir } from './private-dir.ts';

/** Where everything of one node lives (DESIGN.md §2.5). All paths are absolute. */
export interface DataDirLayout {
  root: string;
  /** Ed25519 private key, PEM, mode 0600 (identity.ts). */
  identityKey: string;
  /** Append-only ledger log (append-log.ts). */
  ledgerLog: string;
  /** The highest own transaction made durable: a witness of the log's own chain (chain-head.ts). */
  chainHead: string;
  /** Peer list and its backup (peer-store.ts). */
  peers: string;
  peersBackup: string;
  /** Local control socket for `peerlab attach` (a named pipe on Windows). */
  controlSocket: string;
  /** Received files: `received_file_<sha256 prefix>.dat`. */
  inbox: string;
  /** Partial downloads, renamed into the inbox once verified. */
  inboxTmp: string;
  /** Original names and senders of received files (an append-only log). */
  inboxIndex: string;
  /** REPL command history. */
  replHistory: string;
  /** Held while a process uses this directory. */
  lock: string;
}

/** A Unix socket path longer than this fails to bind (sun_path is 104 bytes on macOS, 108 on Linux). */
const MAX_SOCKET_PATH = 100;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function dataDirLayout(dir: string): DataDirLayout {
  const root = resolve(dir);
  const inbox = join(root, 'inbox');
  return {
    root,
    identityKey: join(root, 'identity.key'),
    ledgerLog: join(root, 'ledger.log'),
    chainHead: join(root, 'chain-head'),
    peers: join(root, 'peers.json'),
    peersBackup: join(root, 'peers.json.bak'),
    controlSocket: controlSocketPath(root),
    inbox,
    inboxTmp: join(inbox, 'tmp'),
    inboxIndex: join(inbox, 'index.log'),
    replHistory: join(root, 'repl_history'),
    lock: join(root, 'peerlab.lock'),
  };
}

/**
 * `<root>/control.sock`, unless that path is too long for a Unix socket (deep temp dirs on macOS):
 * then `<temp dir>/peerlab-<uid>-<tag>/control.sock`, with a tag derived from the root, so
 * `peerlab attach DIR` computes the same one. That folder is private to the user (0700, checked
 * by the server and the client: anyone can create a name in the temp dir first). On Windows, a
 * named pipe derived the same way.
 */
export function controlSocketPath(dir: string, platform: NodeJS.Platform = process.platform): string {
  const root = resolve(dir);
  const tag = createHash('sha256').update(root).digest('hex').slice(0, 16);
  if (platform === 'win32') return `\\\\.\\pipe\\peerlab-${tag}`;
  const inside = join(root, 'control.sock');
  if (Buffer.byteLength(inside) <= MAX_SOCKET_PATH) return inside;
  const uid = typeof process.getuid === 'function' ? `${process.getuid()}-` : '';
  return join(tmpdir(), `peerlab-${uid}${tag}`, 'control.sock');
}

/** The default data dir of a named node: `./.peerlab/<name>`. */
export function defaultDataDir(name: string, cwd: string = process.cwd()): string {
  if (!NAME.test(name)) {
    throw new PeerlabError(
      'BAD_ARGUMENT',
      `node name ${JSON.stringify(name)} cannot name a data directory (letters, digits, '.', '_', '-'); pass --data DIR`,
    );
  }
  return resolve(cwd, '.peerlab', name);
}

/**
 * Creates the data dir, inbox/ and inbox/tmp/ (mode 0700 for those it creates). A data dir that
 * another user owns, or that its group or everyone can write, is refused (UNSAFE_PERMISSIONS)
 * before anything is read from or written into it (see private-dir.ts).
 */
export async function prepareDataDir(dir: string, fs: FileSystem = nodeFileSystem): Promise<DataDirLayout> {
  const layout = dataDirLayout(dir);
  try {
    try {
      await checkPrivateDir(fs, layout.root);
    } catch (err) {
      if (!isCode(err, 'ENOENT')) throw err;
      await fs.mkdir(layout.root, { recursive: true, mode: 0o700 });
      await checkPrivateDir(fs, layout.root);
    }
    await fs.mkdir(layout.inboxTmp, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw err instanceof PeerlabError ? err : ioError(`cannot create data directory ${layout.root}`, err);
  }
  return layout;
}

interface LockInfo {
  pid: number;
  host: string;
  since: string;
  token: string;
}

/**
 * Locks held by this process, per file system and lock path: tells our own live lock from a stale
 * one that carries our pid (a crashed node of this process, or an earlier process with our pid).
 */
const heldHere = new WeakMap<FileSystem, Map<string, string>>();

function heldOn(fs: FileSystem): Map<string, string> {
  let m = heldHere.get(fs);
  if (!m) heldHere.set(fs, (m = new Map()));
  return m;
}

export interface LockOptions {
  /** The disk (default: the real one). */
  fs?: FileSystem;
  /** Wall time for the lock's `since` (default: the real clock). */
  now?: () => number;
  /** The lock's token (default: node:crypto). */
  random?: Random;
}

/** The lock on a data dir; release() (idempotent) when the node stops. */
export class DataDirLock {
  readonly path: string;
  readonly pid = process.pid;
  private readonly token: string;
  private released = false;

  constructor(
    path: string,
    token: string,
    private readonly fs: FileSystem,
    private readonly cancelExitHook: () => void,
  ) {
    this.path = path;
    this.token = token;
  }

  get held(): boolean {
    return !this.released;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    heldOn(this.fs).delete(this.path);
    this.cancelExitHook();
    const info = await readLock(this.fs, this.path);
    if (info !== 'missing' && info !== 'garbled' && info.token === this.token) {
      await this.fs.rm(this.path, { force: true });
    }
  }
}

/**
 * Takes the data dir's lock, so two live processes never share one ledger log. The lock file holds
 * the owner's pid and host. A lock whose process is gone (crash, SIGKILL) is stale and taken over;
 * a live one is a clear ALREADY_RUNNING error. The file is created complete (written beside it, then
 * hard-linked into place) so nobody ever reads a half-written lock.
 */
export async function lockDataDir(dir: string | DataDirLayout, options: LockOptions = {}): Promise<DataDirLock> {
  const layout = typeof dir === 'string' ? dataDirLayout(dir) : dir;
  const fs = options.fs ?? nodeFileSystem;
  const path = layout.lock;
  const token = (options.random ?? cryptoRandom).uuid();
  const since = new Date((options.now ?? systemClock.now)()).toISOString();
  const info: LockInfo = { pid: process.pid, host: hostname(), since, token };
  const staging = `${path}.${process.pid}.${token.slice(0, 8)}`;
  try {
    await fs.mkdir(layout.root, { recursive: true, mode: 0o700 });
    await fs.writeFile(staging, `${JSON.stringify(info)}\n`, { mode: 0o600 });
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await createLockFile(fs, staging, path, info);
        heldOn(fs).set(path, token);
        const ours = (text: string): boolean => {
          const now = parseLock(text);
          return now !== 'garbled' && now.token === token;
        };
        const cancel = fs instanceof NodeFileSystem ? fs.removeOnExit(path, ours) : () => undefined;
        return new DataDirLock(path, token, fs, cancel);
      } catch (err) {
        if (!isCode(err, 'EEXIST')) throw err;
      }
      const holder = await readLock(fs, path);
      if (holder === 'missing') continue;
      if (holder !== 'garbled' && isLive(fs, holder, path)) {
        const where = holder.host === hostname() ? `pid ${holder.pid}` : `pid ${holder.pid} on host ${holder.host}`;
        throw new PeerlabError(
          'ALREADY_RUNNING',
          `data dir ${layout.root} is in use by another peerlab process (${where}, since ${holder.since}); ` +
            `stop it or use another --data (if no such process runs, delete ${path})`,
          { pid: holder.pid, host: holder.host, lock: path },
        );
      }
      // Stale: its process is gone. (Two processes taking over the same stale lock at the same
      // instant could both succeed; Node has no flock, and starting one dir twice at once is a misuse.)
      await fs.rm(path, { force: true });
    }
    throw new PeerlabError('ALREADY_RUNNING', `data dir ${layout.root}: could not take the lock ${path}`);
  } catch (err) {
    throw err instanceof PeerlabError ? err : ioError(`cannot lock data directory ${layout.root}`, err);
  } finally {
    await fs.rm(staging, { force: true }).catch(() => undefined);
  }
}

/** Hard-links the complete staging file into place; a plain exclusive create where links are unsupported. */
async function createLockFile(fs: FileSystem, staging: string, path: string, info: LockInfo): Promise<void> {
  try {
    await fs.link(staging, path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    await fs.writeFile(path, `${JSON.stringify(info)}\n`, { mode: 0o600, exclusive: true });
  }
}

async function readLock(fs: FileSystem, path: string): Promise<LockInfo | 'missing' | 'garbled'> {
  let text: string;
  try {
    text = (await fs.readFile(path)).toString('utf8');
  } catch (err) {
    if (isCode(err, 'ENOENT')) return 'missing';
    throw err;
  }
  return parseLock(text);
}

function parseLock(text: string): LockInfo | 'garbled' {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (Number.isSafeInteger(v.pid) && typeof v.host === 'string' && typeof v.token === 'string') {
      return { pid: v.pid!, host: v.host, token: v.token, since: String(v.since ?? '?') };
    }
  } catch {
    // fall through
  }
  return 'garbled';
}

function isLive(fs: FileSystem, holder: LockInfo, path: string): boolean {
  if (holder.host !== hostname()) return true; // cannot check another machine's processes
  if (holder.pid === process.pid) {
    // Our pid but not a lock we hold: a crashed node of ours, or a previous process that had the
    // same pid (common in containers).
    return heldOn(fs).get(path) === holder.token;
  }
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * The node's disk as one injected seam (DESIGN.md §1 "inject what varies", §6 simulated time).
 *
 * Everything a node keeps — the data directory's lock, identity key, ledger log, chain-head record,
 * peer list, inbox, partial transfers — and every file it reads to send or hash goes through a
 * `FileSystem`. Real nodes use `NodeFileSystem` (node:fs, the only runtime file that touches the
 * disk for a node's data); simulations and tests use `MemoryFileSystem`, which models what a
 * crash keeps; `FaultyFileSystem` wraps either to fail, tear or corrupt on cue.
 *
 * The contract is the POSIX one, narrowed to what the node needs, so code written against it is
 * correct on a real disk:
 * - Paths are absolute (a memory file system resolves relative ones against its own `cwd`).
 * - Errors are `Error`s with the errno `code` node:fs uses (`ENOENT`, `EEXIST`, `ENOTDIR`,
 *   `EISDIR`, `ENOTEMPTY`, `ENOSPC`, `EIO`, `EBADF`, ...), `syscall` and `path`, so callers branch
 *   on `code` exactly as with node:fs.
 * - Durability: a write is visible at once but survives a crash only after `FileHandle.sync()` on
 *   that file (any handle of it). A file's *name* — its creation, a rename onto it, a link, an
 *   unlink — survives only after `syncDir()` on the directory holding it. Directories themselves
 *   (mkdir, rm of a directory) are durable at once: a simplification (real file systems journal
 *   them too, but not always in order) that the node does not depend on either way.
 * - Nothing is atomic across calls, except `rename` (the target name points at the old file or
 *   the new one, never at neither).
 *
 * Stable interface: the simulator (src/runtime/sim/) and the fault tests build on it. Add methods
 * only with an implementation in all three classes and a case in the shared suite
 * (test/runtime/fs/file-system-suite.ts).
 */

/**
 * How `open` treats the file. Every handle can read; all but `'r'` can write.
 * - `'r'`  read an existing file (ENOENT if missing)
 * - `'r+'` read and write an existing file (ENOENT if missing)
 * - `'w'`  read and write, created with `mode` if missing, truncated to 0 if present
 * - `'wx'` read and write a new file created with `mode` (EEXIST if the name exists)
 */
export type OpenFlag = 'r' | 'r+' | 'w' | 'wx';

export interface FileStat {
  kind: 'file' | 'directory' | 'other';
  /** Bytes (files); unspecified for directories. */
  size: number;
  /** Permission bits (`mode & 0o7777`). */
  mode: number;
  /** Owner's user id; undefined where the platform has none (Windows). */
  uid: number | undefined;
}

/** An open file. Positions are explicit: there is no file cursor. */
export interface FileHandle {
  /** The path it was opened by. */
  readonly path: string;
  /** Reads up to `length` bytes at `position` into `buffer[offset..]`; resolves to how many (0 at the end). */
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /**
   * Writes all of `data` (one buffer, or several written back to back) at `position`, extending
   * the file (with zeros across any gap). Visible at once, durable after `sync()`. On failure
   * (ENOSPC, EIO) a prefix of the data may have been written.
   */
  write(data: Uint8Array | readonly Uint8Array[], position: number): Promise<void>;
  /** Cuts (or extends with zeros) the file to `length` bytes. */
  truncate(length: number): Promise<void>;
  /** Makes the file's content durable (fdatasync): everything written before survives a crash. */
  sync(): Promise<void>;
  /** Current size in bytes. */
  size(): Promise<number>;
  /** Closes; idempotent. Closing does not make anything durable. */
  close(): Promise<void>;
}

export interface FileSystem {
  /** Opens a file (see `OpenFlag`); `mode` (default 0o666 before the umask, 0o600 advised) applies when it is created. */
  open(path: string, flag: OpenFlag, mode?: number): Promise<FileHandle>;
  /** The whole content of a file. */
  readFile(path: string): Promise<Buffer>;
  /**
   * Replaces (or creates, with `mode`) a file's content; `exclusive` fails with EEXIST when the
   * name exists. Not durable: for that, write through a handle and sync (see writeFileAtomic).
   */
  writeFile(path: string, data: string | Uint8Array, options?: { mode?: number; exclusive?: boolean }): Promise<void>;
  /** Appends to a file, creating it (with `mode`) if missing. Not durable until a handle of it is synced. */
  appendFile(path: string, data: string | Uint8Array, options?: { mode?: number }): Promise<void>;
  /**
   * The bytes [start, end) of a file (default: all of it) as a stream of chunks of at most
   * `chunkBytes` (default 64 KiB), read lazily in constant memory. Errors (ENOENT, EISDIR, EIO)
   * surface when iterated. Usable as the source of `stream.pipeline`.
   */
  readChunks(path: string, options?: { start?: number; end?: number; chunkBytes?: number }): AsyncIterable<Buffer>;
  /** Follows symbolic links. */
  stat(path: string): Promise<FileStat>;
  /** Names in a directory, sorted (byte order), without `.` and `..`. */
  readdir(path: string): Promise<string[]>;
  /** `recursive` creates missing parents and accepts an existing directory; `mode` applies to those it creates. */
  mkdir(path: string, options?: { recursive?: boolean; mode?: number }): Promise<void>;
  /** Creates a fresh, private (0700) directory `<temp folder>/<prefix>XXXXXX` and returns its path. */
  makeTempDir(prefix: string): Promise<string>;
  /** Renames a file or directory, replacing a file at `to`. Durable after syncDir of both parents. */
  rename(from: string, to: string): Promise<void>;
  /** A second name for an existing file (EEXIST if `newPath` exists). Durable after syncDir. */
  link(existingPath: string, newPath: string): Promise<void>;
  /** Removes a file's name (ENOENT if missing, EISDIR-like error for a directory). Durable after syncDir. */
  unlink(path: string): Promise<void>;
  /** Removes a file or (with `recursive`) a directory tree; `force` ignores a missing path. */
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  /** Makes the names in a directory durable (fsync of the directory). A no-op where that is impossible (Windows). */
  syncDir(path: string): Promise<void>;
  /** Bytes an unprivileged writer can still store on the file system holding `path` (statfs). */
  freeBytes(path: string): Promise<number>;
  /** The user this process writes as (owner of what it creates); undefined where there are no uids. */
  readonly uid: number | undefined;
}

/** Whether `err` is a file system error with this errno code (e.g. `isCode(err, 'ENOENT')`). */
export function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

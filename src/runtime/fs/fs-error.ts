/** Errors shaped like node:fs's (`code`, `errno`, `syscall`, `path`), for the in-memory and faulty file systems. */

const MESSAGES: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EEXIST: 'file already exists',
  ENOTDIR: 'not a directory',
  EISDIR: 'illegal operation on a directory',
  ENOTEMPTY: 'directory not empty',
  ENOSPC: 'no space left on device',
  EIO: 'i/o error',
  EBADF: 'bad file descriptor',
  EACCES: 'permission denied',
  EINVAL: 'invalid argument',
  EROFS: 'read-only file system',
};

const ERRNO: Record<string, number> = {
  ENOENT: -2, EIO: -5, EBADF: -9, EACCES: -13, EEXIST: -17, ENOTDIR: -20, EISDIR: -21, EINVAL: -22,
  ENOSPC: -28, EROFS: -30, ENOTEMPTY: -39,
};

export interface FsError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path: string;
}

/** An error as node:fs would raise it, e.g. `ENOENT: no such file or directory, open '/x'`. */
export function fsError(code: string, syscall: string, path: string, detail?: string): FsError {
  const what = detail ?? MESSAGES[code] ?? code.toLowerCase();
  const err = new Error(`${code}: ${what}, ${syscall} '${path}'`) as FsError;
  err.code = code;
  err.errno = ERRNO[code] ?? -1;
  err.syscall = syscall;
  err.path = path;
  return err;
}

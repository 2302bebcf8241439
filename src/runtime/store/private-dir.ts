import { PeerlabError } from '../errors.ts';
import type { FileStat, FileSystem } from '../fs/file-system.ts';

/**
 * Whether a folder may hold a node's secrets (its identity key, ledger, control socket): it must
 * belong to the user running the node and be writable by nobody else — the rule ssh applies to
 * `~/.ssh` (StrictModes). Anyone else who can write there can swap the key, the ledger or the socket
 * (issue 15, item 10). A sticky folder such as /tmp is never one: only a private folder inside it.
 *
 * Returns a one-line reason, naming the path and the fix, or undefined when the folder is private.
 * Where the platform has no owners or modes (Windows) there is nothing to check.
 */
export function privateDirProblem(path: string, st: FileStat, uid: number | undefined, what = 'data directory'): string | undefined {
  if (uid === undefined || st.uid === undefined) return undefined;
  if (st.kind !== 'directory') return `${what} ${path} is not a directory`;
  if (st.uid !== uid) {
    return `${what} ${path} belongs to user ${st.uid}, not to you (user ${uid}): another user could change what it holds; ` +
      `use a folder of your own (or, as its owner: chown ${uid} ${quote(path)})`;
  }
  if ((st.mode & 0o022) !== 0) {
    const who = (st.mode & 0o002) !== 0 ? 'everyone' : 'its group';
    return `${what} ${path} is writable by ${who} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}): ` +
      `others could swap its files; run: chmod 700 ${quote(path)}`;
  }
  return undefined;
}

/** Throws UNSAFE_PERMISSIONS unless `path` is a folder only this user can change (see privateDirProblem). */
export async function checkPrivateDir(fs: FileSystem, path: string, what = 'data directory'): Promise<void> {
  const problem = privateDirProblem(path, await fs.stat(path), fs.uid, what);
  if (problem) throw new PeerlabError('UNSAFE_PERMISSIONS', problem, { path });
}

function quote(path: string): string {
  return /^[\w./@:+-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`;
}

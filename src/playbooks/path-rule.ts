/**
 * Where a playbook may read and write (DESIGN.md §2.3, issue 15 item 7): the files it sends
 * (the file steps), the files it writes (`export`) and its nodes' `data` folders
 * resolve inside the playbook's folder or the working folder, or a folder the user allowed with
 * `--allow-paths DIR`. A playbook from someone else must not read `/etc/shadow` or overwrite
 * `../outside/victim.txt`. `..` and absolute paths are judged on the resolved path; symbolic
 * links on the real path of what exists (for a path still to be created, its deepest existing
 * folder), dangling links followed to where they point. The checker applies the rule when it
 * loads a playbook, and `play` again right before each file call (a link may change in between).
 */
import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { apiMethod } from '../runtime/api.ts';
import { PeerlabError } from '../runtime/errors.ts';
import type { Cluster, NodeHandle } from './cluster.ts';

interface Root {
  readonly dir: string;
  readonly real: string;
  readonly label: string;
}

export class PathRule {
  private constructor(private readonly roots: readonly Root[]) {}

  /** The folders a playbook in `baseDir`, run from `cwd`, may use, plus the `allow`ed ones. */
  static forPlaybook(baseDir: string, cwd: string, allow: readonly string[]): PathRule {
    const roots: Root[] = [];
    const add = (dir: string, label: string): void => {
      const abs = resolve(dir);
      if (roots.some((r) => r.dir === abs)) return;
      roots.push({ dir: abs, real: realOf(abs), label });
    };
    add(baseDir, "the playbook's folder");
    add(cwd, 'the working folder');
    for (const dir of allow) add(dir, 'the allowed folder');
    return new PathRule(roots);
  }

  /**
   * Undefined when `resolved` (the absolute path of what the playbook wrote as `text`) may be
   * used; otherwise what is wrong, as a phrase that starts with the path. `disk: false` judges the
   * path as written only (no file system access: loading text).
   */
  problem(resolved: string, text: string, opts: { disk?: boolean } = {}): string | undefined {
    const abs = resolve(resolved);
    if (!this.roots.some((r) => inside(abs, r.dir))) {
      const subject = isAbsolute(text) && resolve(text) === abs ? `${abs} is` : `${text} resolves to ${abs},`;
      return `${subject} outside ${this.where()}; run with --allow-paths ${folderOf(abs)} to allow it`;
    }
    if (opts.disk === false) return undefined;
    const real = realOf(abs);
    if (!this.roots.some((r) => inside(real, r.real))) {
      return `${text} leads through a symbolic link to ${real}, outside ${this.where()}; run with --allow-paths ${folderOf(real)} to allow it`;
    }
    return undefined;
  }

  private where(): string {
    const parts = this.roots.map((r) => `${r.label} (${r.dir})`);
    return parts.length <= 1 ? parts.join('') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
  }
}

/** The folder to allow for `p`: its nearest existing folder (`--allow-paths` takes existing ones). */
function folderOf(p: string): string {
  let dir = dirname(p);
  for (;;) {
    try {
      if (statSync(dir).isDirectory()) return dir;
    } catch {
      // not there yet
    }
    const up = dirname(dir);
    if (up === dir) return dir;
    dir = up;
  }
}

function inside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The real path of `p`: symbolic links resolved for every part that exists; the parts that do not
 * exist yet are appended as written. A dangling link is followed to where it points (writing
 * through it would create that file). Bounded, so that a link loop ends.
 */
function realOf(p: string, hops = 0): string {
  try {
    return realpathSync(p);
  } catch {
    // Not there (or a loop): look at the link itself, then at its folder.
  }
  if (hops < 40) {
    try {
      if (lstatSync(p).isSymbolicLink()) return realOf(resolve(dirname(p), readlinkSync(p)), hops + 1);
    } catch {
      // Does not exist at all.
    }
  }
  const parent = dirname(p);
  if (parent === p || hops >= 40) return p;
  return join(realOf(parent, hops + 1), basename(p));
}

/**
 * The cluster as `play` drives it, with the rule applied again right before every call of a
 * method that takes a path (the API table's `path` parameters): what the checker accepted may
 * have changed on disk since.
 */
export function guardPaths(cluster: Cluster, rule: PathRule): Cluster {
  const wrapped = new Map<NodeHandle, NodeHandle>();
  const guard = (h: NodeHandle): NodeHandle => {
    let g = wrapped.get(h);
    if (!g) {
      g = {
        get name() {
          return h.name;
        },
        get address() {
          return h.address;
        },
        get id() {
          return h.id;
        },
        get running() {
          return h.running;
        },
        call: <T>(method: string, ...args: unknown[]): Promise<T> => {
          const params = apiMethod(method)?.params ?? [];
          for (const [i, p] of params.entries()) {
            const v = args[i];
            if (p.kind !== 'path' || typeof v !== 'string') continue;
            const problem = rule.problem(v, v);
            if (problem) return Promise.reject(new PeerlabError('BAD_ARGUMENT', `${method}: ${problem}`));
          }
          return h.call<T>(method, ...args);
        },
      };
      wrapped.set(h, g);
    }
    return g;
  };
  return {
    start: () => cluster.start(),
    get: (name) => guard(cluster.get(name)),
    all: () => cluster.all().map(guard),
    crash: (name) => cluster.crash(name),
    restart: (name) => cluster.restart(name),
    stop: () => cluster.stop(),
    ...(cluster.decide ? { decide: cluster.decide.bind(cluster) } : {}),
  };
}

/**
 * The command a hint should show (issue 13 item 8): every "reproduce with", "Replay:" and "run
 * this" line must work when pasted where the user stands. `peerlab` when it is on the PATH (after
 * `npm link` or a global install); otherwise `npx peerlab` inside the checkout, or in a project
 * that has peerlab installed (npm finds the bin from any folder of it); otherwise
 * `node <path to bin/peerlab.js>`. The `node_modules/.bin` folders that npm and npx put on the
 * PATH of the processes they start are not the user's PATH, so they do not count.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This checkout: the folder holding package.json and bin/peerlab.js. */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(PACKAGE_ROOT, 'bin', 'peerlab.js');

export interface CommandContext {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  platform?: NodeJS.Platform;
}

/** `peerlab`, `npx peerlab` or `node /…/bin/peerlab.js`, whichever works from `cwd` with this PATH. */
export function peerlabCommand(ctx: CommandContext = {}): string {
  const env = ctx.env ?? process.env;
  const cwd = ctx.cwd ?? process.cwd();
  if (onPath('peerlab', env, ctx.platform ?? process.platform)) return 'peerlab';
  if (npxFinds(cwd)) return 'npx peerlab';
  return `node ${shellWord(BIN)}`;
}

function onPath(name: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): boolean {
  const dirs = (env.PATH ?? env.Path ?? '').split(delimiter).filter((d) => d && !/[\\/]node_modules[\\/]\.bin[\\/]?$/.test(d));
  const names = platform === 'win32' ? (env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').map((ext) => name + ext.toLowerCase()).concat(name) : [name];
  for (const dir of dirs) {
    for (const n of names) {
      const file = join(dir, n);
      try {
        if (!statSync(file).isFile()) continue;
        if (platform !== 'win32') accessSync(file, constants.X_OK);
        return true;
      } catch {
        // not here
      }
    }
  }
  return false;
}

/** npx finds peerlab from the checkout or any folder below it, and in a project that installed it. */
function npxFinds(cwd: string): boolean {
  const rel = relative(PACKAGE_ROOT, resolve(cwd));
  if (!rel.startsWith('..') && !isAbsolute(rel)) {
    try {
      if ((JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { name?: string }).name === 'peerlab') return true;
    } catch {
      // not a checkout after all
    }
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules', '.bin', 'peerlab'))) return true;
    if (dirname(dir) === dir) return false;
  }
}

/**
 * A path as the user should type it from `cwd`: relative when the file is inside `cwd`, absolute
 * otherwise, quoted for a POSIX shell when it needs to be.
 */
export function pathFrom(cwd: string, file: string): string {
  const abs = resolve(cwd, file);
  const rel = relative(cwd, abs);
  return shellWord(rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs);
}

/** A word a POSIX shell reads back unchanged. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

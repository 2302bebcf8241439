/**
 * Where a path typed into the live view may lead: inside the folders the user named when starting
 * the process (the working folder; a playbook's folder and `--allow-paths` for `play`). A file from
 * anywhere else is sent by uploading it through the page. `..` and absolute paths are judged on
 * the resolved path, symbolic links on the real path.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';

export interface Folder {
  readonly dir: string;
  /** `the working folder`, `the playbook's folder`, ... */
  readonly label: string;
}

export class FolderRule {
  private readonly folders: Array<Folder & { real: string }>;

  /** `base` resolves relative paths (the process's working folder). */
  constructor(
    readonly base: string,
    folders: readonly Folder[],
  ) {
    this.folders = [];
    for (const f of folders) {
      const dir = resolve(f.dir);
      if (this.folders.some((x) => x.dir === dir)) continue;
      this.folders.push({ dir, label: f.label, real: realOr(dir) });
    }
  }

  /** The working folder only. */
  static workingFolder(cwd: string = process.cwd()): FolderRule {
    return new FolderRule(cwd, [{ dir: cwd, label: 'the working folder' }]);
  }

  /** Undefined when `text` may be used, else what is wrong (a phrase starting with the path). */
  problem(text: string): string | undefined {
    const abs = resolve(this.base, text);
    const where = this.folders.map((f) => `${f.label} (${f.dir})`).join(', ') || 'any folder named at start';
    const subject = isAbsolute(text) ? abs : `${text} (${abs})`;
    if (!this.folders.some((f) => inside(abs, f.dir))) return `${subject} is outside ${where}; upload the file instead`;
    const real = realOr(abs);
    if (!this.folders.some((f) => inside(real, f.real))) return `${subject} leads through a symbolic link to ${real}, outside ${where}; upload the file instead`;
    return undefined;
  }
}

function inside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function realOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

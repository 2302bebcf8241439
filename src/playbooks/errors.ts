/**
 * Playbook problems (DESIGN.md §2.3): every one carries the file, a 1-based line and column, the
 * path of the offending value (`steps[3].send.amount`) and one human line. The loader collects
 * them all rather than stopping at the first, like eemeli/yaml's `parseDocument`.
 */
export type PlaybookErrorCode =
  | 'IO'
  | 'YAML'
  | 'SCHEMA'
  | 'UNKNOWN_KEY'
  | 'UNKNOWN_NODE'
  | 'BAD_DURATION'
  | 'BAD_AMOUNT'
  | 'BAD_SIZE'
  | 'BAD_VALUE'
  | 'DUPLICATE'
  | 'MISSING_FILE'
  /** Past a bound of PLAYBOOK_LIMITS (size, nodes, steps, nesting), or the count of errors not listed. */
  | 'LIMIT'
  /** A file or folder outside the playbook's folder, the working folder and `--allow-paths`. */
  | 'PATH_OUTSIDE';

export interface PlaybookError {
  readonly code: PlaybookErrorCode;
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  /** Where in the document, e.g. `steps[3].send.amount`; empty for the document itself. */
  readonly path: string;
  readonly message: string;
  /** The nearest valid key or name, when the problem looks like a misspelling. */
  readonly suggestion?: string;
}

/** Document order, then path: what a reader scanning the file expects. */
export function compareErrors(a: PlaybookError, b: PlaybookError): number {
  return a.line - b.line || a.column - b.column || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}

/** One `file:line:col: path: message` line per error (`file: message` for unreadable files). */
export function formatErrors(errors: readonly PlaybookError[]): string {
  return errors
    .map((e) => {
      if (e.code === 'IO' || e.line === 0) return `${e.file}: ${e.message}`;
      return `${e.file}:${e.line}:${e.column}: ${e.path ? `${e.path}: ` : ''}${e.message}`;
    })
    .join('\n');
}

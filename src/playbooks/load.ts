/**
 * Loading a playbook (DESIGN.md §2.3): YAML parsed with positions, validated against the shipped
 * JSON Schema, then checked for what a schema cannot see (node names, amounts at the network's
 * scale, duplicate ports, ...). Every problem comes back at once with file:line:column and path;
 * the typed playbook only when there is none.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { CheckContext } from './check-context.ts';
import { compareErrors, type PlaybookError } from './errors.ts';
import { formatBytes } from '../runtime/units.ts';
import { count, flowDepthPast, PLAYBOOK_LIMITS, sizeIssues, tooDeep } from './limits.ts';
import { normalise } from './normalise.ts';
import { PathRule } from './path-rule.ts';
import type { Playbook } from './playbook.ts';
import { schemaIssues, type Issue } from './schema.ts';
import { formatPath, SourceMap } from './source-map.ts';

export interface LoadResult {
  /** Present exactly when `errors` is empty. */
  readonly playbook?: Playbook;
  /** At most PLAYBOOK_LIMITS.errors of them, then one saying how many more were found. */
  readonly errors: readonly PlaybookError[];
  /** How many problems were found (more than `errors` holds when there were too many to list). */
  readonly found?: number;
}

export interface LoadOptions {
  /** Folder relative paths are resolved against (default: the file's folder). */
  readonly baseDir?: string;
  /** Also report files to send that do not exist (default false: loading text touches no disk). */
  readonly checkFiles?: boolean;
  /** The working folder, where file paths may also lead (default: the process's). */
  readonly cwd?: string;
  /** More folders file paths may lead into (`--allow-paths`). */
  readonly allowPaths?: readonly string[];
}

/** Parses and checks playbook text. `file` names it in errors and locates relative paths. */
export function loadPlaybook(text: string, file: string, opts: LoadOptions = {}): LoadResult {
  // Bounds first, each before the work it protects (issue 15 item 8).
  const bytes = Buffer.byteLength(text);
  if (bytes > PLAYBOOK_LIMITS.bytes) return { errors: [{ code: 'LIMIT', file, line: 1, column: 1, path: '', message: tooBig(bytes) }] };
  const deepFlow = flowDepthPast(text, FLOW_SCAN_DEPTH);
  if (deepFlow !== undefined) {
    const before = text.slice(0, deepFlow);
    const line = before.split('\n').length;
    return { errors: [{ code: 'LIMIT', file, line, column: deepFlow - before.lastIndexOf('\n'), path: '', message: TOO_DEEP }] };
  }
  const lines = new LineCounter();
  // logLevel 'error': yaml's warnings would go to the process; problems are reported as results instead.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  const map = new SourceMap(doc, lines);
  if (doc.errors.length > 0) {
    // Syntax errors first and alone: a broken document would give misleading schema errors.
    // yaml reports a stack overflow (nesting hundreds of levels deep) as errors of its own: one of ours says it.
    const exhausted = doc.errors.find((e) => e.code === 'RESOURCE_EXHAUSTION' && /stack/i.test(e.message));
    if (exhausted) return { errors: [{ code: 'LIMIT', file, ...map.pos(exhausted.pos[0]), path: '', message: TOO_DEEP }] };
    const errors = doc.errors.map((e): PlaybookError => {
      const pos = map.pos(e.pos[0]);
      return { code: 'YAML', file, ...pos, path: '', message: yamlMessage(e.message) };
    });
    return capped(errors.sort(compareErrors), file);
  }
  const deep = tooDeep(doc);
  if (deep) return { errors: [{ code: 'LIMIT', file, ...map.value(deep), path: formatPath(deep), message: TOO_DEEP }] };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { errors: [{ code: 'YAML', file, line: 1, column: 1, path: '', message: (err as Error).message }] };
  }
  const tooMany = sizeIssues(data);
  if (tooMany.length > 0) return { errors: tooMany.map((i) => toError(i, file, map)) };
  const fromSchema = schemaIssues(data);
  const baseDir = opts.baseDir ?? dirname(resolve(file));
  const paths = PathRule.forPlaybook(baseDir, opts.cwd ?? process.cwd(), opts.allowPaths ?? []);
  const ctx = new CheckContext(baseDir, fromSchema, opts.checkFiles ?? false, paths, (path, anchor = 'value') =>
    anchor === 'key' ? map.key(path) : map.value(path),
  );
  const playbook = normalise(ctx, data, file);
  const errors = dedupe([...fromSchema, ...ctx.issues].map((i) => toError(i, file, map))).sort(compareErrors);
  if (errors.length > 0 || !playbook) {
    if (errors.length === 0) {
      // A check returned nothing without saying why: a bug here, but never a silent pass.
      return { errors: [{ code: 'SCHEMA', file, line: 1, column: 1, path: '', message: 'playbook is invalid' }] };
    }
    return capped(errors, file);
  }
  return { playbook, errors: [] };
}

/** Reads and checks a playbook file, including that the files it sends exist. */
export async function loadPlaybookFile(path: string, opts: Omit<LoadOptions, 'checkFiles'> = {}): Promise<LoadResult> {
  let text: string;
  try {
    // A file past the size limit is refused from its size alone: it is never read.
    const { size } = await stat(path);
    if (size > PLAYBOOK_LIMITS.bytes) return { errors: [{ code: 'LIMIT', file: path, line: 0, column: 0, path: '', message: tooBig(size) }] };
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    return { errors: [{ code: 'IO', file: path, line: 0, column: 0, path: '', message: `cannot read playbook: ${reason}` }] };
  }
  return loadPlaybook(text, path, { ...opts, checkFiles: true });
}

function toError(issue: Issue, file: string, map: SourceMap): PlaybookError {
  const pos = issue.anchor === 'key' ? map.key(issue.path) : issue.anchor === 'owner' ? map.owner(issue.path) : map.value(issue.path);
  return {
    code: issue.code,
    file,
    ...pos,
    path: formatPath(issue.path),
    message: issue.message,
    ...(issue.suggestion ? { suggestion: issue.suggestion } : {}),
  };
}

const TOO_DEEP = `nested more than ${PLAYBOOK_LIMITS.depth} levels deep`;
/** Flow nesting (`[[[...`) past this is refused from a scan of the text, before yaml parses it. */
const FLOW_SCAN_DEPTH = 200;

function tooBig(bytes: number): string {
  return `the playbook is ${formatBytes(bytes)}; a playbook may be at most ${PLAYBOOK_LIMITS.bytes / 1024 / 1024} MiB`;
}

/** The first PLAYBOOK_LIMITS.errors errors, then one, where the next would be, saying how many more there are. */
function capped(errors: PlaybookError[], file: string): LoadResult {
  if (errors.length <= PLAYBOOK_LIMITS.errors) return { errors, found: errors.length };
  const more = errors.length - PLAYBOOK_LIMITS.errors;
  const next = errors[PLAYBOOK_LIMITS.errors]!;
  const rest: PlaybookError = { code: 'LIMIT', file, line: next.line, column: next.column, path: '', message: `… and ${count(more)} more errors` };
  return { errors: [...errors.slice(0, PLAYBOOK_LIMITS.errors), rest], found: errors.length };
}

function dedupe(errors: PlaybookError[]): PlaybookError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.line}:${e.column}:${e.path}:${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** yaml's messages sometimes end with their own position; ours is already in front. */
function yamlMessage(message: string): string {
  return message.replace(/ at line \d+, column \d+:[\s\S]*$/, '').trim();
}

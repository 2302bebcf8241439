/**
 * From a checked call to the arguments a node method takes: files the page uploaded become their
 * private temp paths, a file the method writes becomes a temp path whose contents go back as a
 * download, a typed path must stay inside the folders the user named, and names of the view's
 * nodes become their address (or account id), so `peer: bob` works where a method wants an address.
 */
import { basename, isAbsolute, resolve } from 'node:path';
import { callArgs, type ApiMethod, type ApiParam, type ParamKind } from '../runtime/api.ts';
import type { PeerlabError } from '../runtime/errors.ts';
import { refuse } from './refusal.ts';
import { checkArgs, type CallRequest } from './call-check.ts';
import type { FolderRule } from './folder-rule.ts';

export interface ArgsContext {
  /** The view's nodes: name -> address and account id (empty while unknown). */
  readonly nodes: ReadonlyMap<string, { address: string; id: string }>;
  /** The path of an upload by its id, if there is one. */
  upload(id: string): string | undefined;
  /** A fresh private path for a file the method writes, named like `name`. */
  downloadPath(name: string): Promise<string>;
  /** Where typed paths may point. */
  readonly folders: FolderRule;
}

export interface PreparedCall {
  args: unknown[];
  /** The file to send back as a download once the call has succeeded, with its name. */
  download?: { path: string; name: string };
}

const bad = (message: string): PeerlabError => refuse(message);

export async function prepareCall(method: ApiMethod, req: CallRequest, ctx: ArgsContext): Promise<PreparedCall> {
  const args: Record<string, unknown> = { ...req.args };
  let download: PreparedCall['download'];
  const fromUploads = new Set<string>();
  // Files first, so that the schema sees the strings the method takes.
  for (const p of method.params) {
    const v = args[p.name];
    if (p.kind !== 'path' || v === undefined) continue;
    if (p.io === 'read' && isUpload(v)) {
      const path = ctx.upload(v.upload);
      if (!path) throw bad(`${method.name}: ${p.name}: no uploaded file ${JSON.stringify(v.upload.slice(0, 40))} (upload it again)`);
      args[p.name] = path;
      fromUploads.add(p.name);
    } else if (p.io === 'write' && typeof v === 'string' && v.trim() !== '') {
      const name = downloadName(v);
      download = { path: await ctx.downloadPath(name), name };
      args[p.name] = download.path;
    }
  }
  checkArgs(method, args);
  for (const p of method.params) {
    const v = args[p.name];
    if (p.kind === 'path' && p.io === 'read' && typeof v === 'string' && !fromUploads.has(p.name)) {
      const problem = ctx.folders.problem(v);
      if (problem) throw bad(`${method.name}: ${p.name}: ${problem}`);
      args[p.name] = resolve(ctx.folders.base, v);
    }
    if (v !== undefined) args[p.name] = withNames(p, args[p.name], ctx);
  }
  const out: PreparedCall = { args: callArgs(method, (p) => args[p.name]) };
  if (download) out.download = download;
  return out;
}

/** Node names in the view stand for the node: its address where one is reached, its id for money. */
function withNames(p: ApiParam, v: unknown, ctx: ArgsContext): unknown {
  if (p.kind === 'options' && p.options && v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = { ...(v as Record<string, unknown>) };
    for (const opt of p.options) if (o[opt.name] !== undefined) o[opt.name] = withNames(opt, o[opt.name], ctx);
    return o;
  }
  if (p.kind === 'addresses' && Array.isArray(v)) return v.map((x) => nameTo('address', x, ctx));
  return nameTo(p.kind, v, ctx);
}

function nameTo(kind: ParamKind, v: unknown, ctx: ArgsContext): unknown {
  if (typeof v !== 'string') return v;
  const n = ctx.nodes.get(v.trim());
  if (!n) return v;
  if (kind === 'account') return n.id || v;
  if (kind === 'peer' || kind === 'address' || kind === 'addresses') return n.address || v;
  return v;
}

function isUpload(v: unknown): v is { upload: string } {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as { upload?: unknown }).upload === 'string' && Object.keys(v).length === 1;
}

/** The name a download gets: the last part of what the user typed, without odd characters. */
export function downloadName(text: string): string {
  const base = basename(isAbsolute(text) ? text : `/${text}`).replace(/[^\w.+-]+/g, '_').replace(/^\.+/, '');
  return (base || 'download').slice(0, 120);
}

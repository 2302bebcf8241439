/**
 * The live view (issue 14, DESIGN.md §1 `src/ui/`): one page, served by the process that runs the
 * nodes, that shows them live and offers the API table's methods as forms.
 *
 *   GET  /?token=…             the page (everything inline: it fetches nothing from elsewhere)
 *   GET  /events?token=…       server-sent events: hello, state (every 500 ms), batch (every 100 ms)
 *   GET  /api/read?node&method&args[&tail]   a read-only method of the table
 *   POST /api/call   {node, method, args}    any method the control socket allows (not read-only)
 *   POST /api/upload (raw body, X-Peerlab-Filename)   a file to send, kept in a private temp folder
 *
 * Every request passes the gate (gate.ts: Host, Origin, token) before anything else. The socket
 * itself is opened in src/runtime/net/http-listener.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { listenHttp, type HttpListener } from '../runtime/net/http-listener.ts';
import { PeerlabError } from '../runtime/errors.ts';
import { encodeLine, toErrorBody } from '../runtime/control/protocol.ts';
import { formSpecs, isAction } from './api-forms.ts';
import { prepareCall, type ArgsContext } from './call-args.ts';
import { checkCall } from './call-check.ts';
import { Feed } from './feed.ts';
import { FolderRule } from './folder-rule.ts';
import { Gate, newToken } from './gate.ts';
import type { LiveSource } from './live-source.ts';
import { pageHtml } from './page.ts';
import { FileDrop } from './uploads.ts';
import { readBody, sendJson, sendText, securityHeaders } from './http-util.ts';
import { refuse, statusOf } from './refusal.ts';

export interface LiveViewOptions {
  source: LiveSource;
  /** Bind address (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: a free one). */
  port?: number;
  /** Shows without actions: no forms, every POST refused. */
  readonly?: boolean;
  /** Where typed file paths may point (default: the working folder). */
  folders?: FolderRule;
  /** The page's title (default "peerlab live view"). */
  title?: string;
  /** Largest upload, bytes (default 256 MiB, the nodes' default file limit). */
  maxUploadBytes?: number;
  /** A fixed token (tests); a random one otherwise. */
  token?: string;
}

const MAX_JSON_BYTES = 1024 * 1024;

export class LiveView {
  readonly token: string;
  readonly readonly: boolean;
  private readonly gate: Gate;
  private readonly feed: Feed;
  private readonly files: FileDrop;
  private readonly folders: FolderRule;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly listener: HttpListener,
    private readonly opts: LiveViewOptions,
    gate: Gate,
  ) {
    this.gate = gate;
    this.token = gate.token;
    this.readonly = opts.readonly === true;
    this.feed = new Feed(opts.source);
    this.files = new FileDrop(opts.maxUploadBytes ?? 256 * 1024 * 1024);
    this.folders = opts.folders ?? FolderRule.workingFolder();
  }

  static async start(opts: LiveViewOptions): Promise<LiveView> {
    const host = opts.host ?? '127.0.0.1';
    const token = opts.token ?? newToken();
    let view: LiveView | undefined;
    const listener = await listenHttp(host, opts.port ?? 0, (req, res) => {
      if (!view) return sendText(res, 503, 'starting');
      void view.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { ok: false, error: toErrorBody(err) });
        else res.destroy();
      });
    });
    view = new LiveView(listener, opts, new Gate(token, host, listener.port));
    view.feed.start();
    return view;
  }

  get host(): string {
    return this.listener.host;
  }

  get port(): number {
    return this.listener.port;
  }

  /** The address to open, with the token: `http://127.0.0.1:PORT/?token=…`. */
  get url(): string {
    const h = this.listener.host;
    const shown = h === '0.0.0.0' || h === '::' || h === '' ? '127.0.0.1' : h.includes(':') ? `[${h}]` : h;
    return `http://${shown}:${this.port}/?token=${this.token}`;
  }

  /** Whether it listens beyond this machine (the CLI warns). */
  get exposed(): boolean {
    return !['127.0.0.1', 'localhost', '::1'].includes(this.listener.host) && !this.listener.host.startsWith('127.');
  }

  /** Ends every stream, stops listening, removes uploads. Idempotent. */
  stop(): Promise<void> {
    this.closing ??= (async () => {
      this.feed.stop();
      await this.listener.close();
      await this.files.clear();
    })();
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    securityHeaders(res);
    const url = new URL(req.url ?? '/', 'http://view.invalid');
    const refused = this.gate.check(req.headers, url.searchParams);
    if (refused) return sendText(res, refused.status, refused.message);
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    switch (route) {
      case 'GET /':
      case 'HEAD /':
        return this.page(res);
      case 'GET /events':
        return this.feed.open(res, this.intro());
      case 'GET /api/read':
        return this.read(url.searchParams, res);
      case 'POST /api/call':
        return this.call(req, res);
      case 'POST /api/upload':
        return this.upload(req, res);
    }
    if (['/', '/events', '/api/read', '/api/call', '/api/upload'].includes(url.pathname)) {
      res.setHeader('Allow', url.pathname.startsWith('/api/c') || url.pathname.startsWith('/api/u') ? 'POST' : 'GET');
      return sendText(res, 405, `${req.method} is not allowed on ${url.pathname}`);
    }
    return sendText(res, 404, 'not found');
  }

  private page(res: ServerResponse): void {
    const { html, nonce } = pageHtml(this.opts.title ?? 'peerlab live view');
    res.setHeader(
      'Content-Security-Policy',
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data: blob:; ` +
        "form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
    );
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(html);
  }

  /** What a page learns first: its title, whether it may act, and the forms to offer. */
  private intro(): unknown {
    return {
      title: this.opts.title ?? 'peerlab live view',
      readonly: this.readonly,
      nodes: this.nodeNames(),
      forms: formSpecs().filter((f) => !this.readonly || !isAction(f)).map((f) => ({ ...f, action: isAction(f) })),
    };
  }

  private nodeNames(): string[] {
    return this.opts.source.nodes().map((n) => n.name);
  }

  private argsContext(): ArgsContext {
    const nodes = new Map<string, { address: string; id: string }>();
    for (const n of this.opts.source.nodes()) nodes.set(n.name, { address: safe(() => n.address), id: safe(() => n.id) });
    return {
      nodes,
      upload: (id) => this.files.path(id),
      downloadPath: (name) => this.files.downloadPath(name),
      folders: this.folders,
    };
  }

  private async read(q: URLSearchParams, res: ServerResponse): Promise<void> {
    try {
      let args: unknown = {};
      const raw = q.get('args');
      if (raw !== null && raw !== '') {
        try {
          args = JSON.parse(raw);
        } catch {
          throw refuse('args must be JSON');
        }
      }
      const { req, method } = checkCall({ node: q.get('node') ?? '', method: q.get('method') ?? '', args }, this.nodeNames());
      if (isAction(method)) throw refuse(`${method.name} changes something: POST it to /api/call`, 'BAD_ARGUMENT', 405);
      const prepared = await prepareCall(method, req, this.argsContext());
      const result = await this.nodeOf(req.node).call(method.name, prepared.args);
      const tail = Number(q.get('tail') ?? '');
      if (Array.isArray(result) && Number.isInteger(tail) && tail > 0 && result.length > tail) {
        return sendJson(res, 200, { ok: true, result: result.slice(-tail), total: result.length });
      }
      sendJson(res, 200, { ok: true, result, ...(Array.isArray(result) ? { total: result.length } : {}) });
    } catch (err) {
      sendJson(res, statusOf(err), { ok: false, error: toErrorBody(err) });
    }
  }

  private async call(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.readonly) return sendJson(res, 403, { ok: false, error: { code: 'BAD_ARGUMENT', message: 'this live view is read-only (--ui-readonly): it takes no actions' } });
    let download: { path: string; name: string } | undefined;
    try {
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
        return sendJson(res, 415, { ok: false, error: { code: 'BAD_ARGUMENT', message: 'a call is sent as application/json' } });
      }
      let body: unknown;
      try {
        body = JSON.parse((await readBody(req, MAX_JSON_BYTES)).toString('utf8'));
      } catch (err) {
        if (err instanceof PeerlabError) throw err;
        throw refuse('the call is not JSON');
      }
      const { req: call, method } = checkCall(body, this.nodeNames());
      const prepared = await prepareCall(method, call, this.argsContext());
      download = prepared.download;
      const result = await this.nodeOf(call.node).call(method.name, prepared.args);
      if (download) {
        const bytes = await readFile(download.path);
        res.writeHead(200, {
          'Content-Type': download.name.endsWith('.csv') ? 'text/csv; charset=utf-8' : 'application/octet-stream',
          'Content-Disposition': `attachment; filename="${download.name}"`,
          'X-Peerlab-Result': encodeURIComponent(encodeLine(result).trim()).slice(0, 4000),
        });
        res.end(bytes);
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(encodeLine({ ok: true, result }));
    } catch (err) {
      sendJson(res, statusOf(err), { ok: false, error: toErrorBody(err) });
    } finally {
      if (download) await rm(dirname(download.path), { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private async upload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.readonly) return sendJson(res, 403, { ok: false, error: { code: 'BAD_ARGUMENT', message: 'this live view is read-only (--ui-readonly): it takes no uploads' } });
    try {
      const rawName = req.headers['x-peerlab-filename'];
      let name = 'upload';
      if (typeof rawName === 'string' && rawName !== '') {
        try {
          name = decodeURIComponent(rawName);
        } catch {
          throw refuse('X-Peerlab-Filename must be URI-encoded');
        }
      }
      const length = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
      const up = await this.files.receive(req, name, Number.isFinite(length) ? length : undefined);
      sendJson(res, 200, { ok: true, result: { upload: up.id, name: up.name, size: up.size } });
    } catch (err) {
      req.resume();
      sendJson(res, statusOf(err), { ok: false, error: toErrorBody(err) });
    }
  }

  private nodeOf(name: string) {
    const n = this.opts.source.nodes().find((x) => x.name === name);
    if (!n) throw refuse(`no node ${JSON.stringify(name)} here`, 'UNKNOWN_PEER', 404);
    return n;
  }
}

function safe(f: () => string): string {
  try {
    return f();
  } catch {
    return '';
  }
}

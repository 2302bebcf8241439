/**
 * Issue 14 item 4: the live view is safe by default. Raw HTTP against a real view over real nodes:
 * bound to 127.0.0.1; every request needs the token (header or query, never a cookie); the Host
 * header is checked before anything else (a foreign Host gets 421 even with the token); a foreign
 * Origin is refused; actions are POSTs; only the page and its API are served (no path reaches a
 * file); a read-only view refuses every action; and what is served says so in its headers.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRig, type Rig } from './harness.ts';

let rig: Rig;
let ro: Rig;

beforeAll(async () => {
  rig = await startRig(2);
  ro = await startRig(2, { view: { readonly: true } });
}, 60_000);

afterAll(async () => {
  await rig?.stop();
  await ro?.stop();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with exactly these headers (Host included). */
function send(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, setHost: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      // The event stream does not end by itself: its head is enough.
      if (res.headers['content-type']?.startsWith('text/event-stream')) {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
        res.destroy();
      }
    });
    req.on('error', reject);
    req.end(body);
  });
}

const host = (r: Rig): string => `127.0.0.1:${r.view.port}`;
const sendBody = JSON.stringify({ node: 'alice', method: 'send', args: { to: 'bob', amount: '5' } });
const json = { 'Content-Type': 'application/json' };

describe('the gate', () => {
  it('binds 127.0.0.1 by default and prints an address with the token', () => {
    expect(rig.view.host).toBe('127.0.0.1');
    expect(rig.view.exposed).toBe(false);
    expect(rig.view.url).toBe(`http://127.0.0.1:${rig.view.port}/?token=${rig.view.token}`);
    expect(rig.view.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses every request without the token (401) or with a wrong one (403)', async () => {
    const p = rig.view.port;
    for (const [method, path] of [['GET', '/'], ['GET', '/events'], ['GET', '/api/read?node=alice&method=peers'], ['POST', '/api/call'], ['POST', '/api/upload'], ['GET', '/nothing']] as const) {
      const none = await send(p, method, path, { Host: host(rig), ...json }, method === 'POST' ? sendBody : undefined);
      expect(none.status, `${method} ${path} without a token`).toBe(401);
      const sep = path.includes('?') ? '&' : '?';
      const wrong = await send(p, method, `${path}${sep}token=${'x'.repeat(43)}`, { Host: host(rig), ...json }, method === 'POST' ? sendBody : undefined);
      expect(wrong.status, `${method} ${path} with a wrong token`).toBe(403);
      const header = await send(p, method, path, { Host: host(rig), 'X-Peerlab-Token': 'nope', ...json }, method === 'POST' ? sendBody : undefined);
      expect(header.status).toBe(403);
    }
    // A cookie is not a way in.
    const cookie = await send(p, 'GET', '/', { Host: host(rig), Cookie: `token=${rig.view.token}` });
    expect(cookie.status).toBe(401);
    expect(rig.byName.alice!.transactions()).toHaveLength(0);
  });

  it('checks the Host before anything else: a foreign Host gets 421 even with the token', async () => {
    const p = rig.view.port;
    const t = rig.view.token;
    for (const h of ['evil.example', `evil.example:${p}`, `127.0.0.1:${p + 1}`, `localhost.evil.example:${p}`, '']) {
      const page = await send(p, 'GET', `/?token=${t}`, { Host: h });
      expect(page.status, `Host ${JSON.stringify(h)}`).toBe(421);
      const call = await send(p, 'POST', '/api/call', { Host: h, 'X-Peerlab-Token': t, ...json }, sendBody);
      expect(call.status).toBe(421);
    }
    // Without the token too: the Host is judged first.
    expect((await send(p, 'GET', '/', { Host: 'evil.example' })).status).toBe(421);
    expect(rig.byName.alice!.transactions()).toHaveLength(0);
    // Its own names pass.
    for (const h of [`127.0.0.1:${p}`, `localhost:${p}`, `[::1]:${p}`]) expect((await send(p, 'GET', `/?token=${t}`, { Host: h })).status).toBe(200);
  });

  it('refuses a foreign Origin (403), and a call that is not JSON (415)', async () => {
    const p = rig.view.port;
    const h = { Host: host(rig), 'X-Peerlab-Token': rig.view.token };
    expect((await send(p, 'POST', '/api/call', { ...h, Origin: 'http://evil.example', ...json }, sendBody)).status).toBe(403);
    expect((await send(p, 'POST', '/api/call', { ...h, Origin: `http://127.0.0.1:${p}`, ...json }, sendBody)).status).toBe(200);
    // A form post (what another site could make a browser send) is not a call.
    expect((await send(p, 'POST', '/api/call', { ...h, 'Content-Type': 'application/x-www-form-urlencoded' }, 'node=alice')).status).toBe(415);
    expect(rig.byName.alice!.transactions()).toHaveLength(1);
  });

  it('takes actions only as POSTs; reads answer GET', async () => {
    const p = rig.view.port;
    const h = { Host: host(rig), 'X-Peerlab-Token': rig.view.token };
    expect((await send(p, 'GET', '/api/call', h)).status).toBe(405);
    const viaGet = await send(p, 'GET', `/api/read?node=alice&method=send&args=${encodeURIComponent('{"to":"bob","amount":"1"}')}`, h);
    expect(viaGet.status).toBe(405);
    expect(JSON.parse(viaGet.body).error.message).toBe('send changes something: POST it to /api/call');
    const read = await send(p, 'GET', '/api/read?node=alice&method=balance', h);
    expect(read.status).toBe(200);
    expect(JSON.parse(read.body)).toEqual({ ok: true, result: rig.byName.alice!.balance() });
  });

  it('serves the page and its API only: no path reaches a file', async () => {
    const p = rig.view.port;
    const h = { Host: host(rig), 'X-Peerlab-Token': rig.view.token };
    for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/src/ui/server.ts', '/assets/core.js', '/package.json', '//etc/passwd', '/api/../package.json']) {
      const r = await send(p, 'GET', path, h);
      expect(r.status, path).toBe(404);
      expect(r.body).not.toMatch(/root:|peerlab|import /);
    }
  });

  it('marks what it serves: no caching, no framing, no referrer, a policy that loads nothing from elsewhere', async () => {
    const r = await send(rig.view.port, 'GET', `/?token=${rig.view.token}`, { Host: host(rig) });
    expect(r.status).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['set-cookie']).toBeUndefined();
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/connect-src 'self'/);
    expect(csp).not.toMatch(/https?:/);
    // Nothing in the page points elsewhere (the SVG namespace is a name, never fetched).
    const urls = (r.body.match(/https?:\/\/[^\s'"`)<]+/g) ?? []).filter((u) => u !== 'http://www.w3.org/2000/svg');
    expect(urls).toEqual([]);
  });

  it('a read-only view shows, and refuses every action and upload with 403 (valid token)', async () => {
    const p = ro.view.port;
    const h = { Host: host(ro), 'X-Peerlab-Token': ro.view.token };
    const call = await send(p, 'POST', '/api/call', { ...h, ...json }, sendBody);
    expect(call.status).toBe(403);
    expect(JSON.parse(call.body).error.message).toMatch(/read-only/);
    const up = await send(p, 'POST', '/api/upload', { ...h, 'X-Peerlab-Filename': 'a.txt' }, 'hello');
    expect(up.status).toBe(403);
    expect(ro.byName.alice!.transactions()).toHaveLength(0);
    expect((await send(p, 'GET', '/api/read?node=alice&method=peers', h)).status).toBe(200);
    const events = await send(p, 'GET', `/events?token=${ro.view.token}`, { Host: host(ro) });
    expect(events.status).toBe(200);
  });
});

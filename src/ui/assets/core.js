// peerlab live view, the core: the token, the event stream, and the state the other files draw.
// page.ts runs this file, then lanes.js, graph.js, tables.js, log.js and forms.js, inside one
// function scope (they share what is declared here), and start() last. Nothing is fetched from
// anywhere but this page's own server, and every request carries the token in a header (the
// event stream, which cannot set headers, in its query), never in a cookie.
var TOKEN = new URLSearchParams(location.search).get('token') || '';
var PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#ff9da7',
  '#1f77b4', '#17becf', '#bcbd22', '#8c564b', '#e377c2', '#7f7f7f', '#2ca02c', '#9467bd'];
var S = {
  intro: null,
  lanes: [],          // node names, in lane order
  snap: {},           // name -> NodeSnapshot (snapshot.ts)
  addr: {},           // address -> node name
  total: null,
  clock: { now: 0, rate: 1, at: 0 },
  msgs: [],           // drawn messages, oldest first
  sent: {},           // message number -> its drawn message
  marks: [],          // events on lanes: { t, node, type, data }
  says: [],           // playbook say: markers
  bands: [],          // intervals per node: { node, kind: 'down' | 'cut', t0, t1 }
  skipped: 0,
  markSeq: 0,
};
// Called with each batch, each state, and the intro (the other files add themselves).
var onBatch = [], onState = [], onIntro = [];

function $(sel, root) { return (root || document).querySelector(sel); }
function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
function el(tag, attrs, kids) {
  var e = document.createElement(tag);
  for (var k in attrs || {}) {
    if (k === 'text') e.textContent = attrs[k];
    else if (k === 'cls') e.className = attrs[k];
    else if (attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== false) e.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
  }
  (kids || []).forEach(function (c) { if (c !== null && c !== undefined) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
  return e;
}
function colour(name) {
  var i = S.lanes.indexOf(name);
  return i < 0 ? '#888' : PALETTE[i % PALETTE.length];
}
/** A peer's address shown as the node's name where the view knows it. */
function nameOf(addr) { return S.addr[addr] || addr; }
/** Where the nodes' clock is now (it runs on between batches at the rate the server gave). */
function nowMs() {
  if (!S.clock.at) return 0;
  return S.clock.now + (performance.now() - S.clock.at) * S.clock.rate;
}
function clockText(t) {
  var d = new Date(t);
  function p(n, w) { return String(n).padStart(w || 2, '0'); }
  return p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds()) + '.' + p(d.getMilliseconds(), 3).slice(0, 1);
}

/** GET a read-only method: resolves with { ok, result, total } or { ok: false, error }. */
function readApi(node, method, args, tail) {
  var q = 'node=' + encodeURIComponent(node) + '&method=' + encodeURIComponent(method);
  if (args) q += '&args=' + encodeURIComponent(JSON.stringify(args));
  if (tail) q += '&tail=' + tail;
  return fetch('/api/read?' + q, { headers: { 'X-Peerlab-Token': TOKEN } }).then(answer);
}
/** POST a call of the API table: { node, method, args by parameter name }. */
function callApi(node, method, args) {
  return fetch('/api/call', {
    method: 'POST',
    headers: { 'X-Peerlab-Token': TOKEN, 'Content-Type': 'application/json' },
    body: JSON.stringify({ node: node, method: method, args: args || {} }),
  }).then(function (res) {
    var cd = res.headers.get('Content-Disposition') || '';
    if (res.ok && /attachment/.test(cd)) return download(res, cd);
    return answer(res);
  });
}
function answer(res) {
  return res.text().then(function (text) {
    try { return JSON.parse(text); } catch (e) { return { ok: false, error: { code: 'HTTP_' + res.status, message: text.trim() || res.statusText } }; }
  });
}
/** A file the call wrote comes back as a download (never a path on the server). */
function download(res, cd) {
  var name = (/filename="([^"]+)"/.exec(cd) || [])[1] || 'download';
  var result = null;
  try { result = JSON.parse(decodeURIComponent(res.headers.get('X-Peerlab-Result') || '')); } catch (e) { result = null; }
  return res.blob().then(function (blob) {
    var url = URL.createObjectURL(blob);
    var a = el('a', { href: url, download: name });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 30000);
    return { ok: true, result: result && result.result !== undefined ? result.result : result, downloaded: name, bytes: blob.size };
  });
}
/** An error as one line, like the REPL's: `✖ message (CODE)`. */
function errorLine(err) {
  if (!err) return '✖ failed';
  return '✖ ' + String(err.message || err).replace(/\s*\n\s*/g, ' ') + (err.code ? ' (' + err.code + ')' : '');
}

function setLanes(names) {
  names.forEach(function (n) { if (S.lanes.indexOf(n) < 0) S.lanes.push(n); });
}

function takeState(st) {
  S.total = st.total;
  var names = st.nodes.map(function (n) { return n.name; });
  setLanes(names);
  var now = nowMs();
  st.nodes.forEach(function (n) {
    var before = S.snap[n.name];
    if (n.address) S.addr[n.address] = n.name;
    // Stops and partitions the events did not show (a process that died) still become bands.
    band(n.name, 'down', !n.running, now);
    if (n.faults) band(n.name, 'cut', n.faults.partitioned.length > 0, now);
    S.snap[n.name] = n;
    if (!before && n.running === false) band(n.name, 'down', true, now);
  });
  $('#count').textContent = names.length + ' node' + (names.length === 1 ? '' : 's');
  $('#total').textContent = 'total ' + (st.total === null ? '—' : st.total);
  onState.forEach(function (f) { f(st); });
}

/** Opens or closes an interval of a kind for a node. */
function band(node, kind, on, t) {
  var open = null;
  for (var i = S.bands.length - 1; i >= 0; i--) {
    var b = S.bands[i];
    if (b.node === node && b.kind === kind && b.t1 === null) { open = b; break; }
  }
  if (on && !open) S.bands.push({ node: node, kind: kind, t0: t, t1: null });
  else if (!on && open) open.t1 = t;
}

function takeBatch(b) {
  S.clock = { now: b.now, rate: b.rate, at: performance.now() };
  b.msgs.forEach(takeMsg);
  b.events.forEach(function (e) {
    if (e.type === 'node-started' && e.data && e.data.address) S.addr[e.data.address] = e.node;
    if (e.type === 'node-stopped') band(e.node, 'down', true, e.time);
    if (e.type === 'node-started') band(e.node, 'down', false, e.time);
    if (e.type === 'faults-changed') band(e.node, 'cut', e.data.faults.partitioned.length > 0, e.time);
    setLanes([e.node]);
    S.marks.push({ n: ++S.markSeq, t: e.time, node: e.node, type: e.type, data: e.data });
  });
  b.says.forEach(function (s) { S.says.push({ t: s.time, text: s.text }); });
  S.skipped += b.skipped;
  onBatch.forEach(function (f) { f(b); });
}

/** `[kind, time, node, msg, type, from, to, reason]` -> the drawn message. */
function takeMsg(r) {
  var kind = r[0], t = r[1], node = r[2], n = r[3], type = r[4], from = r[5], to = r[6], reason = r[7];
  var m = S.sent[n];
  if (kind === 's') {
    m = { n: n, t0: t, from: node, to: S.addr[to] || null, toAddr: to, type: type, t1: null, drop: null };
    S.sent[n] = m;
    S.msgs.push(m);
  } else if (kind === 'd') {
    if (m && m.t1 === null) { m.t1 = t; m.to = node; }
    else if (m) S.msgs.push({ n: n, t0: m.t0, from: m.from, to: node, type: type, t1: t, drop: null });
    else S.msgs.push({ n: n, t0: t, from: S.addr[from] || null, to: node, type: type, t1: t, drop: null });
  } else if (m && m.from === node) {
    m.t1 = t; m.drop = 'out'; m.reason = reason;
  } else if (m) {
    m.t1 = t; m.to = node; m.drop = 'in'; m.reason = reason;
  } else {
    S.msgs.push({ n: n, t0: t, from: S.addr[from] || null, to: node, type: type, t1: t, drop: 'in', reason: reason });
  }
}

/** Forgets what has scrolled out of the longest window. */
function prune() {
  var cut = nowMs() - 125000;
  var i = 0;
  while (i < S.msgs.length && S.msgs[i].t0 < cut) { delete S.sent[S.msgs[i].n]; i++; }
  if (i) S.msgs.splice(0, i);
  i = 0;
  while (i < S.marks.length && S.marks[i].t < cut) i++;
  if (i) S.marks.splice(0, i);
  S.bands = S.bands.filter(function (b) { return b.t1 === null || b.t1 > cut; });
  S.says = S.says.filter(function (s) { return s.t > cut; });
}

function connect() {
  var status = $('#status');
  var es = new EventSource('/events?token=' + encodeURIComponent(TOKEN));
  es.addEventListener('hello', function (e) {
    var intro = JSON.parse(e.data);
    var first = !S.intro;
    S.intro = intro;
    setLanes(intro.nodes);
    document.title = intro.title;
    $('#title').textContent = intro.title;
    document.body.classList.toggle('readonly', intro.readonly);
    document.body.classList.toggle('can-act', !intro.readonly);
    $('#mode').hidden = !intro.readonly;
    if (first) onIntro.forEach(function (f) { f(intro); });
  });
  es.addEventListener('state', function (e) { takeState(JSON.parse(e.data)); });
  es.addEventListener('batch', function (e) { takeBatch(JSON.parse(e.data)); });
  es.addEventListener('missed', function (e) { S.skipped += Number(e.data) || 0; });
  es.onopen = function () { status.textContent = 'live'; status.className = 'pill status-live'; };
  es.onerror = function () { status.textContent = 'disconnected — retrying'; status.className = 'pill status-down'; };
}

function start() {
  connect();
  setInterval(prune, 2000);
  setInterval(function () { if (S.clock.at) $('#clock').textContent = clockText(nowMs()) + (S.clock.rate !== 1 ? ' ×' + S.clock.rate : ''); }, 100);
  startLanes();
}

// The lanes: one horizontal lane per node, time flowing from right ("now") to left, every message
// an arrow from its sender's lane at the send to its receiver's lane at the delivery. A message on
// its way is drawn to "now" on the receiver's lane; a drop ends in a red cross; a stopped node's
// lane is hatched grey and a partitioned one red. Drawn on a canvas, once per animation frame,
// with one path per message type, so hundreds of messages a second stay smooth.
var canvas = $('#lanes');
var ctx = canvas.getContext('2d');
var LEFT = 92, RIGHT = 14, TOPM = 18, BOTTOMM = 22;
var hiddenTypes = { ping: true, ack: true };   // pings are quiet unless asked
var typeColours = {};
var frozenAt = null;
/** Messages not delivered after this long are drawn as lost. */
var LOST_MS = 3000;
/**
 * About this many messages and events are drawn per frame: beyond, one in 2, 4, 8, ... (by message
 * number, so the same ones stay on screen from frame to frame) over the whole window.
 */
var MAX_DRAWN_MSGS = 2000, MAX_DRAWN_MARKS = 1000;
/** A frame that took longer than this to draw makes the next one wait a frame (the page stays responsive). */
var FRAME_BUDGET_MS = 10;
var skipNext = false;
var MARK_COLOURS = {
  'txn-accepted': '#59a14f', 'txn-voided': '#e15759', 'txn-rejected': '#e15759', 'txn-pending': '#edc948', 'txn-dropped': '#e15759',
  'peer-added': '#4e79a7', 'peer-removed': '#e15759', 'peer-suspected': '#edc948', 'peer-refuted': '#76b7b2', 'heartbeat-timeout': '#e15759',
  'fork-detected': '#ff5a5f', 'faults-changed': '#b07aa1', 'node-started': '#59a14f', 'node-stopped': '#e15759',
  'file-sent': '#17becf', 'file-received': '#17becf', 'file-failed': '#e15759', log: '#e6e9ec', 'robot-started': '#bcbd22', 'robot-stopped': '#bcbd22',
};

function typeColour(t) {
  if (!typeColours[t]) {
    var n = Object.keys(typeColours).length;
    typeColours[t] = PALETTE[(n + 3) % PALETTE.length];
    addTypeToggle(t);
  }
  return typeColours[t];
}

function addTypeToggle(t) {
  var box = el('input', { type: 'checkbox', 'data-type': t });
  box.checked = !hiddenTypes[t];
  box.addEventListener('change', function () { hiddenTypes[t] = !box.checked; });
  var sw = el('span', { cls: 'sw' });
  sw.style.background = typeColours[t];
  $('#types').appendChild(el('label', {}, [box, sw, t]));
}

// The canvas's width follows its box (a ResizeObserver, so no frame forces a layout); its height
// follows the number of lanes.
var canvasW = 0, canvasH = 0;
if (window.ResizeObserver) new ResizeObserver(function (es) { canvasW = es[0].contentRect.width; }).observe(canvas);
function sizeCanvas() {
  var dpr = window.devicePixelRatio || 1;
  var h = Math.max(180, Math.min(520, 40 + S.lanes.length * 34));
  if (h !== canvasH) { canvasH = h; canvas.style.height = h + 'px'; }
  var w = canvasW || canvas.clientWidth;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { w: w, h: h };
}

/** One in `stride` of the items in the window: a power of two, so it changes rarely. */
function strideFor(list, t0, key, max) {
  var n = 0;
  for (var i = list.length - 1; i >= 0 && list[i][key] >= t0 - LOST_MS; i--) n++;
  var stride = 1;
  while (n / stride > max) stride *= 2;
  return stride;
}

function startLanes() {
  $('#freeze').addEventListener('change', function (e) { frozenAt = e.target.checked ? nowMs() : null; });
  onBatch.push(function (b) {
    b.msgs.forEach(function (r) { typeColour(r[4]); });
    if (b.says.length) $('#say').textContent = '» ' + b.says[b.says.length - 1].text;
    $('#skipped').textContent = S.skipped ? S.skipped + ' messages not drawn (too many)' : '';
  });
  requestAnimationFrame(frame);
}

function frame() {
  if (skipNext) skipNext = false;
  else {
    var t = performance.now();
    try { draw(); } catch (e) { /* one bad frame must not stop the next */ }
    skipNext = performance.now() - t > FRAME_BUDGET_MS;
  }
  requestAnimationFrame(frame);
}

function draw() {
  var size = sizeCanvas();
  var w = size.w, h = size.h;
  ctx.clearRect(0, 0, w, h);
  var n = S.lanes.length;
  if (!n || !S.clock.at) return;
  var now = frozenAt === null ? nowMs() : frozenAt;
  var win = Number($('#window').value) || 10000;
  var plotW = w - LEFT - RIGHT;
  var k = plotW / win;
  var laneH = (h - TOPM - BOTTOMM) / n;
  var index = {};
  S.lanes.forEach(function (name, i) { index[name] = i; });
  function x(t) { return LEFT + plotW - (now - t) * k; }
  function y(name) { return TOPM + (index[name] + 0.5) * laneH; }
  var t0 = now - win;

  // Bands: stopped nodes and cut nodes, behind everything.
  S.bands.forEach(function (b) {
    if (index[b.node] === undefined) return;
    var end = b.t1 === null ? now : b.t1;
    if (end < t0) return;
    var xa = Math.max(LEFT, x(b.t0)), xb = Math.min(LEFT + plotW, x(end));
    ctx.fillStyle = b.kind === 'down' ? 'rgba(120,120,120,0.28)' : 'rgba(255,90,95,0.22)';
    ctx.fillRect(xa, y(b.node) - laneH * 0.32, Math.max(2, xb - xa), laneH * 0.64);
  });

  // Time grid, one line a second (or every 10 s on long windows).
  var step = win > 30000 ? 10000 : win > 10000 ? 5000 : 1000;
  ctx.strokeStyle = '#1e262e';
  ctx.fillStyle = '#6b7680';
  ctx.font = '11px system-ui, sans-serif';
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (var g = Math.ceil(t0 / step) * step; g <= now; g += step) {
    var gx = Math.round(x(g)) + 0.5;
    ctx.moveTo(gx, TOPM - 6); ctx.lineTo(gx, h - BOTTOMM + 4);
    ctx.fillText('-' + Math.round((now - g) / 1000) + ' s', gx + 3, h - 6);
  }
  ctx.stroke();

  // Lanes and their names.
  ctx.font = '600 13px system-ui, sans-serif';
  S.lanes.forEach(function (name) {
    var snap = S.snap[name];
    var down = snap && snap.running === false;
    var cut = snap && snap.faults && snap.faults.partitioned.length > 0;
    var ly = Math.round(y(name)) + 0.5;
    ctx.strokeStyle = down ? '#555' : cut ? '#ff5a5f' : '#39434d';
    ctx.setLineDash(down ? [4, 6] : []);
    ctx.lineWidth = cut ? 2 : 1;
    ctx.beginPath(); ctx.moveTo(LEFT, ly); ctx.lineTo(LEFT + plotW, ly); ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = colour(name);
    ctx.beginPath(); ctx.arc(10, ly, 5, 0, Math.PI * 2); ctx.fill();
    ctx.fillStyle = down ? '#777' : '#e6e9ec';
    ctx.fillText(name.length > 10 ? name.slice(0, 9) + '…' : name, 20, ly + 4);
  });
  ctx.lineWidth = 1;

  // Says: a vertical rule with as much of the text as fits before the next one (the newest is
  // also written out in full above the lanes).
  ctx.font = '12px system-ui, sans-serif';
  S.says.forEach(function (s, i) {
    if (s.t < t0) return;
    var sx = x(s.t);
    var room = (i + 1 < S.says.length ? x(S.says[i + 1].t) : LEFT + plotW + 400) - sx - 8;
    ctx.strokeStyle = '#edc948'; ctx.setLineDash([3, 3]);
    ctx.beginPath(); ctx.moveTo(sx, TOPM - 8); ctx.lineTo(sx, h - BOTTOMM); ctx.stroke(); ctx.setLineDash([]);
    if (room < 24) return;
    var text = s.text;
    while (text.length > 1 && ctx.measureText(text).width > room) text = text.slice(0, Math.max(1, Math.floor(text.length * 0.8))) ;
    if (text !== s.text) text = text.slice(0, -1) + '…';
    ctx.fillStyle = '#edc948'; ctx.fillText(text, sx + 3, TOPM - 6);
  });

  drawMessages(now, t0, x, y, index, laneH);
  drawMarks(t0, x, y, index);
}

function drawMessages(now, t0, x, y, index, laneH) {
  var byType = {};
  var crosses = [];
  var heads = [];
  var stride = strideFor(S.msgs, t0, 't0', MAX_DRAWN_MSGS);
  for (var i = S.msgs.length - 1; i >= 0; i--) {
    var m = S.msgs[i];
    if (stride > 1 && m.n % stride) continue;
    var end = m.t1 === null ? now : m.t1;
    if (end < t0) { if (m.t0 < t0 - 10000) break; continue; }
    if (hiddenTypes[m.type] || index[m.from] === undefined) continue;
    var lost = m.t1 === null && now - m.t0 > LOST_MS;
    var x1 = x(m.t0), y1 = y(m.from), x2, y2;
    if (m.drop === 'out' || lost || index[m.to] === undefined) {
      // A stub toward the receiver (if known): the message left and went nowhere.
      var ty = index[m.to] !== undefined ? y(m.to) : y1 + laneH * 0.4;
      x2 = x1 + Math.min(24, (x(end) - x1) || 12) + 6;
      y2 = y1 + (ty - y1) * 0.25;
      if (m.drop || lost) crosses.push(x2, y2);
    } else {
      x2 = x(end); y2 = y(m.to);
      if (m.drop === 'in') crosses.push(x2, y2);
      else if (m.t1 !== null) heads.push(x1, y1, x2, y2, m.type);
    }
    var list = byType[m.type] || (byType[m.type] = []);
    list.push(x1, y1, x2, y2, m.t1 === null ? 1 : 0);
  }
  ctx.lineWidth = 1;
  for (var t in byType) {
    var pts = byType[t];
    ctx.strokeStyle = typeColour(t);
    ctx.beginPath();
    for (var j = 0; j < pts.length; j += 5) if (!pts[j + 4]) { ctx.moveTo(pts[j], pts[j + 1]); ctx.lineTo(pts[j + 2], pts[j + 3]); }
    ctx.stroke();
    // In flight: dashed.
    ctx.setLineDash([5, 4]);
    ctx.beginPath();
    for (j = 0; j < pts.length; j += 5) if (pts[j + 4]) { ctx.moveTo(pts[j], pts[j + 1]); ctx.lineTo(pts[j + 2], pts[j + 3]); }
    ctx.stroke();
    ctx.setLineDash([]);
  }
  // Arrow heads while they are few enough to tell apart.
  if (heads.length / 5 < 600) {
    for (var a = 0; a < heads.length; a += 5) arrowHead(heads[a], heads[a + 1], heads[a + 2], heads[a + 3], typeColour(heads[a + 4]));
  }
  ctx.strokeStyle = '#ff5a5f';
  ctx.lineWidth = 2;
  ctx.beginPath();
  for (var c = 0; c < crosses.length; c += 2) {
    var cx = crosses[c], cy = crosses[c + 1];
    ctx.moveTo(cx - 4, cy - 4); ctx.lineTo(cx + 4, cy + 4); ctx.moveTo(cx + 4, cy - 4); ctx.lineTo(cx - 4, cy + 4);
  }
  ctx.stroke();
  ctx.lineWidth = 1;
}

function arrowHead(x1, y1, x2, y2, c) {
  var a = Math.atan2(y2 - y1, x2 - x1), s = 6;
  ctx.fillStyle = c;
  ctx.beginPath();
  ctx.moveTo(x2, y2);
  ctx.lineTo(x2 - s * Math.cos(a - 0.45), y2 - s * Math.sin(a - 0.45));
  ctx.lineTo(x2 - s * Math.cos(a + 0.45), y2 - s * Math.sin(a + 0.45));
  ctx.fill();
}

function drawMarks(t0, x, y, index) {
  // One path per colour: a small square per event, a bar for a start or a stop.
  var byColour = {};
  var stride = strideFor(S.marks, t0, 't', MAX_DRAWN_MARKS);
  for (var i = S.marks.length - 1; i >= 0; i--) {
    var m = S.marks[i];
    if (m.t < t0) break;
    // Starts and stops always show; the rest is thinned when there are too many.
    if (stride > 1 && m.n % stride && m.type !== 'node-stopped' && m.type !== 'node-started') continue;
    if (index[m.node] === undefined) continue;
    var c = MARK_COLOURS[m.type];
    if (!c) continue;
    var mx = x(m.t), my = y(m.node);
    var list = byColour[c] || (byColour[c] = []);
    if (m.type === 'node-stopped' || m.type === 'node-started') list.push(mx - 2, my - 9, 4, 18);
    else list.push(mx - 3, my - 3, 6, 6);
  }
  for (var colourKey in byColour) {
    var r = byColour[colourKey];
    ctx.fillStyle = colourKey;
    ctx.beginPath();
    for (var j = 0; j < r.length; j += 4) ctx.rect(r[j], r[j + 1], r[j + 2], r[j + 3]);
    ctx.fill();
  }
}

// peerlab trace report, the core: inlined into the HTML file (nothing is fetched). html-report.ts
// runs this file, then labels.js, hover.js, overview.js, txn-view.js and balances.js, inside one
// function scope (they share what is declared here), and start() last. The server writes the
// elements in the order of the arrays in #trace-data, so element i of #arrows is D.arrows[i].
var D = JSON.parse(document.getElementById('trace-data').textContent);
var svg = document.getElementById('diagram');
var scroll = document.getElementById('scroll');
var head = document.getElementById('lanes-head');
var tip = document.getElementById('tip');
var TOP = D.top, BOTTOM = D.bottom, LEFT = D.left, GAP = D.gap;
var mode = 'time';
var k = D.k0; // px per ms
var kl = D.kl0; // px per Lamport tick
var hidden = {}; // class name -> true
var NS = 'http://www.w3.org/2000/svg'; // a namespace name for createElementNS, never fetched

var arrowEls = document.querySelectorAll('#arrows > .arrow');
var dropEls = document.querySelectorAll('#drops > .drop');
var lostEls = document.querySelectorAll('#lost > .lost');
var markEls = document.querySelectorAll('#marks > .mark');
var sayEls = document.querySelectorAll('#says > .say');
var laneEls = document.querySelectorAll('#lanes > .lane');
var labels = document.getElementById('labels');
var axis = document.getElementById('axis');
var pathLayer = document.getElementById('path');
// Called after every layout (elements that follow the axis), and when the visible range changes.
var afterLayout = [];
var afterView = [];

// Geometry of what is drawn, for hit testing and labels: [x1, y1, x2, y2] per element.
var GA = new Float64Array(D.arrows.length * 4);
var GD = new Float64Array(D.drops.length * 4);
var GL = new Float64Array(D.lost.length * 4);
var GM = new Float64Array(D.marks.length * 2);

function laneX(i) { return LEFT + GAP * i + GAP / 2; }
function yt(ms) { return TOP + ms * k; }
function yl(l) { return TOP + l * kl; }
/** The y of something at this time and Lamport time, on the current axis. */
function yOf(ms, lamport) { return mode === 'time' ? yt(ms) : yl(lamport); }
function scale() { return mode === 'time' ? k : kl; }
function span() { return mode === 'time' ? D.t1 - D.t0 : D.maxLamport; }
function fmt(n) { return String(Math.round(n * 10) / 10); }
function set(el, a) { for (var key in a) el.setAttribute(key, a[key]); }
function height() { return TOP + BOTTOM + span() * scale(); }
function esc(s) {
  return String(s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; });
}
function at(ms) { return '+' + (ms / 1000).toFixed(3) + ' s'; }
function lane(i) { return esc(D.lanes[i].name); }

// Lanes share the width on screen (within bounds), so two nodes are not a thin strip.
function fitWidth() {
  GAP = Math.round(Math.min(320, Math.max(90, (scroll.clientWidth - LEFT - 24) / Math.max(1, D.lanes.length))));
  var w = LEFT + GAP * D.lanes.length + 20;
  svg.setAttribute('width', String(w));
  var hs = head.querySelector('svg');
  hs.setAttribute('width', String(w));
  hs.querySelectorAll('text').forEach(function (t, i) { t.setAttribute('x', fmt(laneX(i))); });
  for (var i = 0; i < laneEls.length; i++) set(laneEls[i].firstElementChild, { x1: fmt(laneX(i)), x2: fmt(laneX(i)) });
  for (i = 0; i < sayEls.length; i++) sayEls[i].firstElementChild.setAttribute('x2', String(w));
}

function layout() {
  var h = height();
  svg.setAttribute('height', fmt(h));
  var i, a, x1, x2, y1, y2, ex, ey;
  for (i = 0; i < laneEls.length; i++) set(laneEls[i].firstElementChild, { y2: fmt(h - BOTTOM / 2) });
  for (i = 0; i < D.arrows.length; i++) {
    a = D.arrows[i]; // [from, to, sent, delivered, lamport, lamportRecv, type, bytes]
    x1 = laneX(a[0]); x2 = laneX(a[1]);
    y1 = yOf(a[2], a[4]);
    y2 = yOf(a[3], a[5]);
    GA[i * 4] = x1; GA[i * 4 + 1] = y1; GA[i * 4 + 2] = x2; GA[i * 4 + 3] = y2;
    set(arrowEls[i], { x1: fmt(x1), y1: fmt(y1), x2: fmt(x2), y2: fmt(y2) });
  }
  for (i = 0; i < D.drops.length; i++) {
    a = D.drops[i]; // [from, to, sent, time, lamport, type, side, reason]
    x1 = laneX(a[0]); x2 = laneX(a[1]);
    y1 = yOf(a[2], a[4]);
    if (a[6] === 0) { // lost at the sender: a short stub, X next to the sender's lane
      ex = x1 + Math.sign(x2 - x1) * Math.min(Math.abs(x2 - x1) * 0.4, 48);
      ey = Math.max(y1 + 6, mode === 'time' ? yt(a[3]) : y1);
    } else { // lost at the receiver: nearly all the way, X next to the receiver's lane
      ex = x1 + (x2 - x1) * 0.85;
      ey = Math.max(y1 + 6, yOf(a[3], a[4] + 1));
    }
    GD[i * 4] = x1; GD[i * 4 + 1] = y1; GD[i * 4 + 2] = ex; GD[i * 4 + 3] = ey;
    dropEls[i].firstElementChild.setAttribute('d', 'M' + fmt(x1) + ' ' + fmt(y1) + 'L' + fmt(ex) + ' ' + fmt(ey));
    dropEls[i].lastElementChild.setAttribute('d', 'M' + fmt(ex - 4) + ' ' + fmt(ey - 4) + 'l8 8m0 -8l-8 8');
  }
  for (i = 0; i < D.lost.length; i++) {
    a = D.lost[i]; // [from, to, sent, lamport, type]
    x1 = laneX(a[0]); x2 = laneX(a[1]);
    y1 = yOf(a[2], a[3]);
    ex = x1 + (x2 - x1) * 0.92; ey = y1 + 10; // headed for its lane, never arrived
    GL[i * 4] = x1; GL[i * 4 + 1] = y1; GL[i * 4 + 2] = ex; GL[i * 4 + 3] = ey;
    lostEls[i].setAttribute('d', 'M' + fmt(x1) + ' ' + fmt(y1) + 'L' + fmt(ex) + ' ' + fmt(ey) + 'm3 0a3 3 0 1 1 -6 0a3 3 0 1 1 6 0');
  }
  for (i = 0; i < D.marks.length; i++) {
    a = D.marks[i]; // [lane, time, lamport, category, origin, type, summary, label, txn]
    x1 = laneX(a[0]); y1 = yOf(a[1], a[2]);
    GM[i * 2] = x1; GM[i * 2 + 1] = y1;
    set(markEls[i], { cx: fmt(x1), cy: fmt(y1) });
  }
  for (i = 0; i < sayEls.length; i++) {
    y1 = fmt(yOf(D.says[i][0], D.says[i][1]));
    set(sayEls[i].firstElementChild, { y1: y1, y2: y1 });
    sayEls[i].lastElementChild.setAttribute('y', String(Number(y1) - 3));
  }
  drawAxis();
  afterLayout.forEach(function (fn) { fn(); });
  viewChanged();
}

function niceStep(raw) {
  var p = Math.pow(10, Math.floor(Math.log10(raw)));
  var m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

function drawAxis() {
  var s = scale();
  var step = niceStep(Math.max(60 / s, mode === 'time' ? 0.1 : 1));
  var w = Number(svg.getAttribute('width'));
  var frag = document.createDocumentFragment();
  for (var u = 0; u <= span() + step / 2; u += step) {
    var y = fmt(TOP + u * s);
    var g = document.createElementNS(NS, 'line');
    set(g, { x1: LEFT - 4, x2: w, y1: y, y2: y, class: 'grid' });
    frag.appendChild(g);
    var t = document.createElementNS(NS, 'text');
    set(t, { x: LEFT - 8, y: String(Number(y) + 3), class: 'tick' });
    t.textContent = mode === 'time' ? rel(u, step) : 'L' + Math.round(u);
    frag.appendChild(t);
  }
  axis.textContent = '';
  axis.appendChild(frag);
}

function rel(ms, step) {
  if (step >= 1000 || ms >= 10000) return '+' + (ms / 1000).toFixed(step >= 1000 ? 0 : step >= 100 ? 1 : 2) + ' s';
  return '+' + (step < 1 ? ms.toFixed(1) : Math.round(ms)) + ' ms';
}

// ---- the visible range, zoom, axis mode ----------------------------------------------------------
var viewQueued = false;
/** Labels and the overview frame follow the view, once per frame. */
function viewChanged() {
  if (viewQueued) return;
  viewQueued = true;
  requestAnimationFrame(function () {
    viewQueued = false;
    drawLabels();
    afterView.forEach(function (fn) { fn(); });
  });
}

/** [from, to] on the current axis (ms from the start, or Lamport ticks) that the diagram shows. */
function visibleRange() {
  var s = scale();
  var from = Math.max(0, (scroll.scrollTop - TOP) / s);
  return [from, Math.max(from, Math.min(span(), (scroll.scrollTop + scroll.clientHeight - TOP) / s))];
}

function setScale(s) {
  if (mode === 'time') k = Math.min(Math.max(s, D.kMin), 400); else kl = Math.min(Math.max(s, D.klMin), 400);
}

/** Shows this range (current axis units) in the whole height of the diagram. */
function showRange(u0, u1) {
  var min = mode === 'time' ? 1 : 2;
  u0 = Math.max(0, u0); u1 = Math.min(span(), u1);
  if (u1 - u0 < min) { var c = (u0 + u1) / 2; u0 = Math.max(0, c - min / 2); u1 = u0 + min; }
  setScale((Math.max(60, scroll.clientHeight - 12)) / (u1 - u0));
  layout();
  scroll.scrollTop = TOP + u0 * scale() - 6;
  viewChanged();
}

function zoomAt(factor, clientY) {
  var rect = scroll.getBoundingClientRect();
  var offset = (clientY === undefined ? rect.top + scroll.clientHeight / 2 : clientY) - rect.top;
  var units = (scroll.scrollTop + offset - TOP) / scale();
  setScale(scale() * factor);
  layout();
  scroll.scrollTop = TOP + units * scale() - offset;
}

function fit() {
  setScale(Math.max(100, scroll.clientHeight - TOP - BOTTOM) / span());
  layout();
  scroll.scrollTop = 0;
}

function initControls() {
  function applyFilter(cls, on) {
    if (on) delete hidden[cls]; else hidden[cls] = true;
    svg.classList.toggle('hide-' + cls, !on);
    viewChanged();
  }
  document.querySelectorAll('#controls input[data-filter]').forEach(function (box) {
    box.addEventListener('change', function () { applyFilter(box.getAttribute('data-filter'), box.checked); });
  });
  document.querySelectorAll('#controls button[data-set]').forEach(function (btn) {
    btn.addEventListener('click', function () {
      var on = btn.getAttribute('data-set') === 'all';
      btn.closest('fieldset').querySelectorAll('input[data-filter]').forEach(function (box) {
        box.checked = on;
        applyFilter(box.getAttribute('data-filter'), on);
      });
    });
  });
  document.getElementById('zoom-in').addEventListener('click', function () { zoomAt(2); });
  document.getElementById('zoom-out').addEventListener('click', function () { zoomAt(0.5); });
  document.getElementById('zoom-fit').addEventListener('click', fit);
  scroll.addEventListener('wheel', function (e) {
    if (!e.ctrlKey && !e.metaKey) return;
    e.preventDefault();
    zoomAt(e.deltaY < 0 ? 1.25 : 0.8, e.clientY);
  }, { passive: false });
  document.querySelectorAll('input[name="axis"]').forEach(function (r) {
    r.addEventListener('change', function () {
      var frac = scroll.scrollTop / Math.max(1, svg.getBoundingClientRect().height);
      mode = r.value;
      layout();
      scroll.scrollTop = frac * height();
      drawOverview();
    });
  });
  document.getElementById('show-labels').addEventListener('change', function (e) {
    svg.classList.toggle('hide-labels', !e.target.checked);
    viewChanged();
  });
  scroll.addEventListener('scroll', function () {
    head.scrollLeft = scroll.scrollLeft;
    viewChanged();
  });
  var resizeQueued = false;
  window.addEventListener('resize', function () {
    if (resizeQueued) return;
    resizeQueued = true;
    requestAnimationFrame(function () { resizeQueued = false; fitWidth(); layout(); drawOverview(); });
  });
}

function start() {
  initControls();
  initHover();
  initTxnView();
  initBalances();
  initOverview(); // sizes the strip first: the diagram takes the width left
  fitWidth();
  layout();
  // After the first labels (queued by layout for the next frame).
  requestAnimationFrame(function () { document.body.setAttribute('data-ready', 'true'); });
}

// peerlab trace report: inlined into the HTML file (nothing is fetched). Lays out the space-time
// diagram (time or Lamport axis, zoom), filters by kind, labels what is on screen, shows details on
// hover, and reads balances off the charts. The elements are written by the server in the same
// order as the arrays in #trace-data, so element i of #arrows is D.arrows[i].
(function () {
  'use strict';
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

  // Geometry of what is drawn, for hit testing and labels: [x1, y1, x2, y2] per element.
  var GA = new Float64Array(D.arrows.length * 4);
  var GD = new Float64Array(D.drops.length * 4);
  var GL = new Float64Array(D.lost.length * 4);
  var GM = new Float64Array(D.marks.length * 2);

  function laneX(i) { return LEFT + GAP * i + GAP / 2; }
  function yt(ms) { return TOP + ms * k; }
  function yl(l) { return TOP + l * kl; }
  function fmt(n) { return String(Math.round(n * 10) / 10); }
  function set(el, a) { for (var key in a) el.setAttribute(key, a[key]); }

  function height() {
    return TOP + BOTTOM + (mode === 'time' ? (D.t1 - D.t0) * k : D.maxLamport * kl);
  }

  // Lanes share the width on screen (within bounds), so two nodes are not a thin strip.
  function fitWidth() {
    GAP = Math.round(Math.min(320, Math.max(D.gap, (scroll.clientWidth - LEFT - 24) / Math.max(1, D.lanes.length))));
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
      y1 = mode === 'time' ? yt(a[2]) : yl(a[4]);
      y2 = mode === 'time' ? yt(a[3]) : yl(a[5]);
      GA[i * 4] = x1; GA[i * 4 + 1] = y1; GA[i * 4 + 2] = x2; GA[i * 4 + 3] = y2;
      set(arrowEls[i], { x1: fmt(x1), y1: fmt(y1), x2: fmt(x2), y2: fmt(y2) });
    }
    for (i = 0; i < D.drops.length; i++) {
      a = D.drops[i]; // [from, to, sent, time, lamport, type, side, reason]
      x1 = laneX(a[0]); x2 = laneX(a[1]);
      y1 = mode === 'time' ? yt(a[2]) : yl(a[4]);
      if (a[6] === 0) { // lost at the sender: a short stub, X next to the sender's lane
        ex = x1 + Math.sign(x2 - x1) * Math.min(Math.abs(x2 - x1) * 0.4, 48);
        ey = Math.max(y1 + 6, mode === 'time' ? yt(a[3]) : y1);
      } else { // lost at the receiver: nearly all the way, X next to the receiver's lane
        ex = x1 + (x2 - x1) * 0.85;
        ey = Math.max(y1 + 6, mode === 'time' ? yt(a[3]) : yl(a[4] + 1));
      }
      GD[i * 4] = x1; GD[i * 4 + 1] = y1; GD[i * 4 + 2] = ex; GD[i * 4 + 3] = ey;
      dropEls[i].firstElementChild.setAttribute('d', 'M' + fmt(x1) + ' ' + fmt(y1) + 'L' + fmt(ex) + ' ' + fmt(ey));
      dropEls[i].lastElementChild.setAttribute('d', 'M' + fmt(ex - 4) + ' ' + fmt(ey - 4) + 'l8 8m0 -8l-8 8');
    }
    for (i = 0; i < D.lost.length; i++) {
      a = D.lost[i]; // [from, to, sent, lamport, type]
      x1 = laneX(a[0]); x2 = laneX(a[1]);
      y1 = mode === 'time' ? yt(a[2]) : yl(a[3]);
      ex = x1 + (x2 - x1) * 0.92; ey = y1 + 10; // headed for its lane, never arrived
      GL[i * 4] = x1; GL[i * 4 + 1] = y1; GL[i * 4 + 2] = ex; GL[i * 4 + 3] = ey;
      lostEls[i].setAttribute('d', 'M' + fmt(x1) + ' ' + fmt(y1) + 'L' + fmt(ex) + ' ' + fmt(ey) + 'm3 0a3 3 0 1 1 -6 0a3 3 0 1 1 6 0');
    }
    for (i = 0; i < D.marks.length; i++) {
      a = D.marks[i]; // [lane, time, lamport, category, origin, type, summary, label]
      x1 = laneX(a[0]); y1 = mode === 'time' ? yt(a[1]) : yl(a[2]);
      GM[i * 2] = x1; GM[i * 2 + 1] = y1;
      set(markEls[i], { cx: fmt(x1), cy: fmt(y1) });
    }
    for (i = 0; i < sayEls.length; i++) {
      y1 = fmt(mode === 'time' ? yt(D.says[i][0]) : yl(D.says[i][1]));
      set(sayEls[i].firstElementChild, { y1: y1, y2: y1 });
      sayEls[i].lastElementChild.setAttribute('y', String(Number(y1) - 3));
    }
    drawAxis();
    relabel();
  }

  function niceStep(raw) {
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    var m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }

  function drawAxis() {
    var scale = mode === 'time' ? k : kl;
    var span = mode === 'time' ? D.t1 - D.t0 : D.maxLamport;
    var step = niceStep(Math.max(60 / scale, mode === 'time' ? 0.1 : 1));
    var w = Number(svg.getAttribute('width'));
    var frag = document.createDocumentFragment();
    for (var u = 0; u <= span + step / 2; u += step) {
      var y = fmt(TOP + u * scale);
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

  // Labels only for what is on screen, spaced so they never pile up (thousands of arrows stay readable).
  var labelsQueued = false;
  function relabel() {
    if (labelsQueued) return;
    labelsQueued = true;
    requestAnimationFrame(function () {
      labelsQueued = false;
      labels.textContent = '';
      if (svg.classList.contains('hide-labels')) return;
      var top = scroll.scrollTop - 20, bottom = scroll.scrollTop + scroll.clientHeight + 20;
      var cand = [];
      for (var i = 0; i < D.arrows.length; i++) {
        var my = (GA[i * 4 + 1] + GA[i * 4 + 3]) / 2;
        if (my < top || my > bottom || hidden['m' + D.arrows[i][6]]) continue;
        cand.push(i);
      }
      var frag = document.createDocumentFragment();
      var lastY = {};
      var shown = 0;
      cand.sort(function (p, q) { return GA[p * 4 + 1] + GA[p * 4 + 3] - GA[q * 4 + 1] - GA[q * 4 + 3]; });
      for (var c = 0; c < cand.length && shown < 400; c++) {
        var j = cand[c];
        var mx = (GA[j * 4] + GA[j * 4 + 2]) / 2, my2 = (GA[j * 4 + 1] + GA[j * 4 + 3]) / 2;
        var col = Math.round(mx / 20);
        if (lastY[col] !== undefined && my2 - lastY[col] < 12) continue;
        lastY[col] = my2;
        shown++;
        var t = document.createElementNS(NS, 'text');
        set(t, { x: fmt(mx), y: fmt(my2 - 2), class: 'lbl m' + D.arrows[j][6] });
        t.textContent = D.types[D.arrows[j][6]];
        frag.appendChild(t);
      }
      if (cand.length <= 120) { // few on screen: Lamport times at the ends of arrows, where there is room
        var taken = {};
        for (var n = 0; n < cand.length; n++) {
          var a = D.arrows[cand[n]], g = cand[n] * 4, dir = GA[g + 2] >= GA[g] ? 1 : -1;
          if (room(taken, a[0] + (dir > 0 ? 'r' : 'l'), GA[g + 1] - 3)) frag.appendChild(lam(GA[g] + dir * 5, GA[g + 1] - 3, a[4], dir > 0 ? 'start' : 'end'));
          if (room(taken, a[1] + (dir > 0 ? 'l' : 'r'), GA[g + 3] + 10)) frag.appendChild(lam(GA[g + 2] - dir * 9, GA[g + 3] + 10, a[5], dir > 0 ? 'end' : 'start'));
        }
      }
      var marks = 0, spots = {};
      for (var m = 0; m < D.marks.length && marks < 150; m++) {
        var mk = D.marks[m];
        var y = GM[m * 2 + 1];
        if (!mk[7] || y < top || y > bottom || hidden['c-' + mk[3]] || !room(spots, mk[0], y)) continue;
        marks++;
        var tx = document.createElementNS(NS, 'text');
        set(tx, { x: fmt(GM[m * 2] + 7), y: fmt(y + 3), class: 'amt' });
        tx.textContent = mk[7];
        frag.appendChild(tx);
      }
      labels.appendChild(frag);
    });
  }

  // One Lamport label per 11px on each side of a lane.
  function room(taken, side, y) {
    var ys = taken[side] || (taken[side] = []);
    for (var i = 0; i < ys.length; i++) if (Math.abs(ys[i] - y) < 11) return false;
    ys.push(y);
    return true;
  }

  function lam(x, y, v, anchor) {
    var t = document.createElementNS(NS, 'text');
    set(t, { x: fmt(x), y: fmt(y), class: 'lam', 'text-anchor': anchor });
    t.textContent = 'L' + v;
    return t;
  }

  // ---- filters ------------------------------------------------------------------------------
  function applyFilter(cls, on) {
    if (on) delete hidden[cls]; else hidden[cls] = true;
    svg.classList.toggle('hide-' + cls, !on);
    relabel();
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

  // ---- zoom, axis mode ----------------------------------------------------------------------
  function zoomAt(factor, clientY) {
    var rect = scroll.getBoundingClientRect();
    var offset = (clientY === undefined ? rect.top + scroll.clientHeight / 2 : clientY) - rect.top;
    var units = (scroll.scrollTop + offset - TOP) / (mode === 'time' ? k : kl);
    if (mode === 'time') k = Math.min(Math.max(k * factor, D.kMin), 400); else kl = Math.min(Math.max(kl * factor, D.klMin), 400);
    layout();
    scroll.scrollTop = TOP + units * (mode === 'time' ? k : kl) - offset;
  }
  function fit() {
    var avail = Math.max(100, scroll.clientHeight - TOP - BOTTOM);
    if (mode === 'time') k = avail / Math.max(1, D.t1 - D.t0); else kl = avail / Math.max(1, D.maxLamport);
    layout();
    scroll.scrollTop = 0;
  }
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
    });
  });
  document.getElementById('show-labels').addEventListener('change', function (e) {
    svg.classList.toggle('hide-labels', !e.target.checked);
    relabel();
  });
  scroll.addEventListener('scroll', function () {
    head.scrollLeft = scroll.scrollLeft;
    relabel();
  });

  // ---- details on hover ---------------------------------------------------------------------
  var lit = null;
  var pending = null;
  function seg(px, py, g, i) {
    var x1 = g[i], y1 = g[i + 1], x2 = g[i + 2], y2 = g[i + 3];
    var dx = x2 - x1, dy = y2 - y1, len = dx * dx + dy * dy;
    var t = len === 0 ? 0 : Math.max(0, Math.min(1, ((px - x1) * dx + (py - y1) * dy) / len));
    var ex = x1 + t * dx - px, ey = y1 + t * dy - py;
    return ex * ex + ey * ey;
  }
  function nearest(px, py) {
    var best = 49, hit = null, i, d;
    for (i = 0; i < D.marks.length; i++) {
      if (hidden['c-' + D.marks[i][3]]) continue;
      d = (GM[i * 2] - px) * (GM[i * 2] - px) + (GM[i * 2 + 1] - py) * (GM[i * 2 + 1] - py);
      if (d < best) { best = d; hit = ['mark', i]; }
    }
    if (hit) return hit; // marks sit on lanes, where arrows start and end: they win
    var groups = [['arrow', GA, D.arrows, 6], ['drop', GD, D.drops, 5], ['lost', GL, D.lost, 4]];
    for (var g = 0; g < groups.length; g++) {
      var G = groups[g][1], rows = groups[g][2], ti = groups[g][3];
      for (i = 0; i < rows.length; i++) {
        var y1 = G[i * 4 + 1], y2 = G[i * 4 + 3];
        if (py < Math.min(y1, y2) - 7 || py > Math.max(y1, y2) + 7 || hidden['m' + rows[i][ti]]) continue;
        d = seg(px, py, G, i * 4);
        if (d < best) { best = d; hit = [groups[g][0], i]; }
      }
    }
    return hit;
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; });
  }
  function at(ms) { return '+' + (ms / 1000).toFixed(3) + ' s'; }
  function lane(i) { return esc(D.lanes[i].name); }
  function describe(hit) {
    var i = hit[1], a;
    if (hit[0] === 'arrow') {
      a = D.arrows[i];
      return '<b>' + esc(D.types[a[6]]) + '</b> ' + lane(a[0]) + ' → ' + lane(a[1]) +
        '<br>sent ' + at(a[2]) + ' at L' + a[4] + ' · delivered ' + at(a[3]) + ' at L' + a[5] +
        '<br><span class="dim">' + (a[3] - a[2]) + ' ms in flight' + (a[7] >= 0 ? ' · ' + a[7] + ' bytes' : '') +
        ' · id ' + esc(arrowEls[i].getAttribute('data-msg')) + '</span>';
    }
    if (hit[0] === 'drop') {
      a = D.drops[i];
      return '<b>' + esc(D.types[a[5]]) + ' dropped</b> ' + lane(a[0]) + ' → ' + lane(a[1]) +
        '<br>lost at the ' + (a[6] === 0 ? 'sender' : 'receiver') + ': ' + esc(a[7]) +
        '<br><span class="dim">sent ' + at(a[2]) + ' at L' + a[4] + ' · id ' + esc(dropEls[i].getAttribute('data-msg')) + '</span>';
    }
    if (hit[0] === 'lost') {
      a = D.lost[i];
      return '<b>' + esc(D.types[a[4]]) + ' not delivered</b> ' + lane(a[0]) + ' → ' + lane(a[1]) +
        '<br>sent ' + at(a[2]) + ' at L' + a[3] + '; no delivery or drop in the trace' +
        '<br><span class="dim">id ' + esc(lostEls[i].getAttribute('data-msg')) + '</span>';
    }
    a = D.marks[i];
    return '<b>' + esc(a[5]) + '</b> at ' + lane(a[0]) + '<br>' + esc(a[6]) +
      '<br><span class="dim">' + at(a[1]) + ' · L' + a[2] + '</span>';
  }
  function elOf(hit) {
    return hit[0] === 'arrow' ? arrowEls[hit[1]] : hit[0] === 'drop' ? dropEls[hit[1]] : hit[0] === 'lost' ? lostEls[hit[1]] : markEls[hit[1]];
  }
  function showTip(html, cx, cy) {
    tip.innerHTML = html;
    tip.hidden = false;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    tip.style.left = Math.min(cx + 14, window.innerWidth - w - 8) + 'px';
    tip.style.top = (cy + 14 + h > window.innerHeight ? cy - h - 10 : cy + 14) + 'px';
  }
  function hideTip() {
    tip.hidden = true;
    if (lit) lit.classList.remove('hl');
    lit = null;
  }
  scroll.addEventListener('mousemove', function (e) {
    var first = pending === null;
    pending = e;
    if (!first) return;
    requestAnimationFrame(function () {
      var ev = pending;
      pending = null;
      var r = svg.getBoundingClientRect();
      var hit = nearest(ev.clientX - r.left, ev.clientY - r.top);
      if (!hit) return hideTip();
      var el = elOf(hit);
      if (lit !== el) {
        if (lit) lit.classList.remove('hl');
        lit = el;
        el.classList.add('hl');
      }
      showTip(describe(hit), ev.clientX, ev.clientY);
    });
  });
  scroll.addEventListener('mouseleave', hideTip);

  // ---- balances -----------------------------------------------------------------------------
  document.querySelectorAll('.chart svg').forEach(function (chart) {
    var v = D.balances.views[Number(chart.getAttribute('data-view'))];
    var B = D.balances;
    var cursor = chart.querySelector('.cursor');
    chart.addEventListener('mousemove', function (e) {
      var r = chart.getBoundingClientRect();
      var x = e.clientX - r.left;
      var ms = (x - B.padL) / (B.w - B.padL - B.padR) * (D.t1 - D.t0);
      if (ms < 0 || ms > D.t1 - D.t0) { cursor.setAttribute('visibility', 'hidden'); tip.hidden = true; return; }
      cursor.setAttribute('x1', fmt(x)); cursor.setAttribute('x2', fmt(x));
      cursor.setAttribute('visibility', 'visible');
      var rows = v.series.map(function (pts, ai) {
        var lo = 0, hi = pts.length - 1;
        while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (pts[mid][0] <= ms) lo = mid; else hi = mid - 1; }
        return esc(B.accounts[ai]) + ' <b>' + esc(pts[lo][1]) + '</b>';
      });
      showTip('<b>' + esc(v.node) + '</b> sees at ' + at(ms) + '<br>' + rows.join('<br>'), e.clientX, e.clientY);
    });
    chart.addEventListener('mouseleave', function () { cursor.setAttribute('visibility', 'hidden'); tip.hidden = true; });
  });

  var resizeQueued = false;
  window.addEventListener('resize', function () {
    if (resizeQueued) return;
    resizeQueued = true;
    requestAnimationFrame(function () { resizeQueued = false; fitWidth(); layout(); });
  });

  fitWidth();
  layout();
  document.body.setAttribute('data-ready', 'true');
})();

// ---- the overview: the whole run in one strip, brushed to choose what the diagram shows ---------
// A column per lane, shaded by how many messages it sent or received in each slice of the run
// (binned in TypeScript: src/trace/overview.ts), drops and undelivered messages in red on its
// right edge, transactions made in gold on its left edge, narration in orange. The frame is the range the diagram shows:
// drag on the strip to show another range, drag the frame to move it, double-click for all.
var ov = document.getElementById('overview');
var rangeEl = document.getElementById('range');
var OV_PAD = 6;
var ovH = 0;
var ovFrame = null;
var ovSel = null;

function yIn(e) { return e.clientY - ov.getBoundingClientRect().top; }
function ovAxis() { return mode === 'time' ? D.overview.time : D.overview.lamport; }
function ovY(u) { return OV_PAD + (u / ovAxis().span) * (ovH - 2 * OV_PAD); }
function ovU(y) { return Math.max(0, Math.min(ovAxis().span, ((y - OV_PAD) / (ovH - 2 * OV_PAD)) * ovAxis().span)); }

function drawOverview() {
  var ax = ovAxis(), n = D.lanes.length, bins = D.overview.bins;
  var col = Math.max(6, Math.min(14, Math.floor(96 / Math.max(1, n))));
  var w = 8 + n * (col + 2);
  ovH = Math.max(120, head.offsetHeight + scroll.clientHeight);
  set(ov, { width: String(w), height: String(ovH) });
  var bh = (ovH - 2 * OV_PAD) / bins;
  var parts = ['<rect class="ov-bg" x="0" y="0" width="' + w + '" height="' + ovH + '"/>'];
  for (var l = 0; l < n; l++) {
    var x = 4 + l * (col + 2);
    parts.push('<rect class="ov-lane" x="' + x + '" y="' + OV_PAD + '" width="' + col + '" height="' + fmt(ovH - 2 * OV_PAD) + '"><title>' + esc(D.lanes[l].name) + '</title></rect>');
    for (var b = 0; b < bins; b++) {
      var y = fmt(OV_PAD + b * bh), h = fmt(Math.max(1, bh));
      var m = ax.messages[l][b], d = ax.drops[l][b], t = ax.txns[l][b];
      if (m) parts.push('<rect class="ov-m" x="' + x + '" y="' + y + '" width="' + col + '" height="' + h + '" fill-opacity="' + fmt(0.12 + 0.88 * Math.sqrt(m / Math.max(1, ax.max))) + '"/>');
      if (t) parts.push('<rect class="ov-t" x="' + (x - 1) + '" y="' + y + '" width="3" height="' + h + '"/>');
      if (d) parts.push('<rect class="ov-d" x="' + (x + col - 3) + '" y="' + y + '" width="3" height="' + h + '"/>');
    }
  }
  for (var s = 0; s < D.says.length; s++) {
    var sy = fmt(ovY(mode === 'time' ? D.says[s][0] : D.says[s][1]));
    parts.push('<line class="ov-say" x1="0" x2="' + w + '" y1="' + sy + '" y2="' + sy + '"/>');
  }
  parts.push('<rect class="ov-frame" x="1" width="' + (w - 2) + '"/><rect class="ov-sel" x="1" width="' + (w - 2) + '" visibility="hidden"/>');
  ov.innerHTML = parts.join('');
  ovFrame = ov.querySelector('.ov-frame');
  ovSel = ov.querySelector('.ov-sel');
  updateFrame();
}

/** The frame follows the diagram; the readout and data-from/data-to say the range shown. */
function updateFrame() {
  if (!ovFrame) return;
  var r = visibleRange();
  var y0 = ovY(r[0]), y1 = ovY(r[1]);
  set(ovFrame, { y: fmt(y0), height: fmt(Math.max(3, y1 - y0)) });
  ov.setAttribute('data-from', String(r[0]));
  ov.setAttribute('data-to', String(r[1]));
  rangeEl.textContent = mode === 'time'
    ? 'showing +' + (r[0] / 1000).toFixed(2) + ' to +' + (r[1] / 1000).toFixed(2) + ' s of ' + (span() / 1000).toFixed(2) + ' s'
    : 'showing L' + Math.round(r[0]) + ' to L' + Math.round(r[1]) + ' of L' + Math.round(span());
}

function initOverview() {
  afterView.push(updateFrame);
  drawOverview();
  var drag = null; // { move: true, grab } or { from }
  ov.addEventListener('pointerdown', function (e) {
    if (e.button !== 0) return;
    e.preventDefault();
    tip.hidden = true;
    ov.setPointerCapture(e.pointerId);
    var u = ovU(yIn(e)), r = visibleRange();
    drag = u >= r[0] && u <= r[1] ? { move: true, grab: u - r[0] } : { from: u };
  });
  ov.addEventListener('pointermove', function (e) {
    if (!drag) return ovTip(e);
    var u = ovU(yIn(e));
    if (drag.move) {
      scroll.scrollTop = TOP + (u - drag.grab) * scale() - 6;
      return;
    }
    var a = ovY(Math.min(drag.from, u)), b = ovY(Math.max(drag.from, u));
    set(ovSel, { y: fmt(a), height: fmt(Math.max(1, b - a)), visibility: 'visible' });
  });
  ov.addEventListener('pointerup', function (e) {
    if (!drag) return;
    var u = ovU(yIn(e)), d = drag;
    drag = null;
    ovSel.setAttribute('visibility', 'hidden');
    if (d.move) return;
    if (Math.abs(ovY(u) - ovY(d.from)) >= 3) showRange(Math.min(d.from, u), Math.max(d.from, u));
    else { // a click: centre the view there
      var r = visibleRange();
      scroll.scrollTop = TOP + (u - (r[1] - r[0]) / 2) * scale();
    }
  });
  ov.addEventListener('dblclick', fit);
  ov.addEventListener('pointerleave', function () { tip.hidden = true; });
}

/** What the slice under the pointer holds, over all lanes. */
function ovTip(e) {
  var ax = ovAxis(), bins = D.overview.bins;
  var u = ovU(yIn(e)), b = Math.min(bins - 1, Math.floor((u / ax.span) * bins));
  var m = 0, d = 0, t = 0;
  for (var l = 0; l < D.lanes.length; l++) { m += ax.messages[l][b]; d += ax.drops[l][b]; t += ax.txns[l][b]; }
  var from = (b * ax.span) / bins, to = ((b + 1) * ax.span) / bins;
  var when = mode === 'time' ? at(from) + ' to ' + at(to) : 'L' + Math.round(from) + ' to L' + Math.round(to);
  showTip('<b>' + when + '</b><br>' + m + ' message ends · ' + d + ' lost · ' + t + ' transactions made' +
    '<br><span class="dim">drag to show a range · double-click for the whole run</span>', e.clientX, e.clientY);
}

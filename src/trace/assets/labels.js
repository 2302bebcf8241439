// ---- labels that never overlap ------------------------------------------------------------------
// Every text the diagram shows — axis ticks, narration, the picked transaction's notes, amounts,
// message types, Lamport times, in that order of importance — goes through one placer that keeps
// the boxes already taken. A label tries a few spots and is left out when none is free: its details
// stay in the tooltip. Only what is on screen is labelled, so thousands of arrows stay cheap.
var LABEL_PAD = 1.5; // px around each text, so halos do not touch either
var CELL = 48; // px: the placer's grid
var measureCtx = document.createElement('canvas').getContext('2d');
var fonts = {};
var widths = {};
var labelRounds = 0;

/** Font and vertical metrics of a text of this class inside this parent (measured once). */
function fontOf(cls, parent) {
  var key = cls + '|' + (parent.id || parent.getAttribute('class'));
  if (fonts[key]) return fonts[key];
  var probe = document.createElementNS(NS, 'text');
  if (cls) probe.setAttribute('class', cls);
  probe.setAttribute('y', '0');
  probe.textContent = 'Hgjy';
  parent.appendChild(probe);
  var cs = getComputedStyle(probe);
  var bb = probe.getBBox();
  var f = { font: cs.fontStyle + ' ' + cs.fontWeight + ' ' + cs.fontSize + ' ' + cs.fontFamily, asc: -bb.y, h: bb.height };
  parent.removeChild(probe);
  if (bb.height > 0) fonts[key] = f; // a hidden parent measures nothing: measure again next time
  return f;
}

function textWidth(f, s) {
  var key = f.font + '|' + s;
  var w = widths[key];
  if (w === undefined) {
    measureCtx.font = f.font;
    w = widths[key] = measureCtx.measureText(s).width;
  }
  return w;
}

/** The box a text takes, with x/y its anchor point and baseline. */
function textBox(f, text, x, y, anchor) {
  var w = textWidth(f, text);
  var x0 = anchor === 'middle' ? x - w / 2 : anchor === 'end' ? x - w : x;
  return { x: x0 - LABEL_PAD, y: y - f.asc - LABEL_PAD, w: w + 2 * LABEL_PAD, h: f.h + 2 * LABEL_PAD };
}

function Placer() { this.cells = {}; }
Placer.prototype.cellsOf = function (b, fn) {
  for (var cx = Math.floor(b.x / CELL); cx <= Math.floor((b.x + b.w) / CELL); cx++) {
    for (var cy = Math.floor(b.y / CELL); cy <= Math.floor((b.y + b.h) / CELL); cy++) {
      if (fn(cx + ',' + cy) === false) return false;
    }
  }
  return true;
};
Placer.prototype.free = function (b) {
  var cells = this.cells;
  return this.cellsOf(b, function (key) {
    var list = cells[key];
    for (var i = 0; list && i < list.length; i++) {
      var o = list[i];
      if (b.x < o.x + o.w && o.x < b.x + b.w && b.y < o.y + o.h && o.y < b.y + b.h) return false;
    }
    return true;
  });
};
Placer.prototype.take = function (b) {
  var cells = this.cells;
  this.cellsOf(b, function (key) { (cells[key] || (cells[key] = [])).push(b); });
};

/**
 * Writes `text` at the first free spot ([x, y, anchor] each) into `frag`, and takes its box.
 * Returns the element, or null when every spot is taken.
 */
function place(placer, frag, f, cls, text, spots) {
  for (var i = 0; i < spots.length; i++) {
    var s = spots[i];
    var b = textBox(f, text, s[0], s[1], s[2]);
    if (!placer.free(b)) continue;
    placer.take(b);
    var t = document.createElementNS(NS, 'text');
    set(t, { x: fmt(s[0]), y: fmt(s[1]), class: cls, 'text-anchor': s[2] });
    t.textContent = text;
    frag.appendChild(t);
    return t;
  }
  return null;
}

function drawLabels() {
  labels.textContent = '';
  labelRounds++;
  svg.setAttribute('data-labelled', String(labelRounds));
  var placer = new Placer();
  var top = scroll.scrollTop - 20, bottom = scroll.scrollTop + scroll.clientHeight + 20;
  var w = Number(svg.getAttribute('width'));
  var tick = fontOf('tick', axis);
  axis.querySelectorAll('text').forEach(function (t) {
    var y = Number(t.getAttribute('y'));
    if (y >= top && y <= bottom) placer.take(textBox(tick, t.textContent, LEFT - 8, y, 'end'));
  });
  placeSays(placer, top, bottom, w);
  if (svg.classList.contains('hide-labels')) return;
  var frag = document.createDocumentFragment();
  pathLabels(placer, frag, top, bottom);
  var i, y, x1, y1, x2, y2;
  var amt = fontOf('amt', labels);
  for (i = 0; i < D.marks.length; i++) {
    var mk = D.marks[i];
    y = GM[i * 2 + 1];
    if (!mk[7] || y < top || y > bottom || hidden['c-' + mk[3]] || (picked >= 0 && mk[8] !== picked)) continue;
    place(placer, frag, amt, 'amt', mk[7], [[GM[i * 2] + 8, y + 3, 'start'], [GM[i * 2] - 8, y + 3, 'end'], [GM[i * 2] + 8, y + 14, 'start']]);
  }
  // Message types along their arrows, top down; when a transaction is picked, only its carriers.
  var cand = [];
  for (i = 0; i < D.arrows.length; i++) {
    var my = (GA[i * 4 + 1] + GA[i * 4 + 3]) / 2;
    if (my < top || my > bottom || hidden['m' + D.arrows[i][6]] || (picked >= 0 && !onPath.arrows[i])) continue;
    cand.push(i);
  }
  cand.sort(function (p, q) { return GA[p * 4 + 1] + GA[p * 4 + 3] - GA[q * 4 + 1] - GA[q * 4 + 3]; });
  var lbl = fontOf('lbl', labels);
  var shown = 0;
  for (var c = 0; c < cand.length && c < 3000 && shown < 400; c++) {
    var j = cand[c];
    x1 = GA[j * 4]; y1 = GA[j * 4 + 1]; x2 = GA[j * 4 + 2]; y2 = GA[j * 4 + 3];
    var spots = [0.5, 0.32, 0.68].map(function (f) { return [x1 + (x2 - x1) * f, y1 + (y2 - y1) * f - 2, 'middle']; });
    if (place(placer, frag, lbl, 'lbl m' + D.arrows[j][6], D.types[D.arrows[j][6]], spots)) shown++;
  }
  if (cand.length <= 120) { // few on screen: Lamport times at the ends of arrows, where there is room
    var lam = fontOf('lam', labels);
    for (var n = 0; n < cand.length; n++) {
      var a = D.arrows[cand[n]], g = cand[n] * 4, dir = GA[g + 2] >= GA[g] ? 1 : -1;
      place(placer, frag, lam, 'lam', 'L' + a[4], [[GA[g] + dir * 5, GA[g + 1] - 3, dir > 0 ? 'start' : 'end']]);
      place(placer, frag, lam, 'lam', 'L' + a[5], [[GA[g + 2] - dir * 9, GA[g + 3] + 10, dir > 0 ? 'end' : 'start']]);
    }
  }
  labels.appendChild(frag);
}

/** Narration first: on its line, else further right, else below it; hidden when nothing is free. */
function placeSays(placer, top, bottom, width) {
  if (!sayEls.length) return;
  var f = fontOf('', sayEls[0]);
  for (var i = 0; i < sayEls.length; i++) {
    var text = sayEls[i].lastElementChild;
    var y = Number(sayEls[i].firstElementChild.getAttribute('y1'));
    if (y < top || y > bottom) continue;
    var s = text.textContent, w = textWidth(f, s), spots = [];
    for (var x = LEFT + 4; x + w <= width || x === LEFT + 4; x += Math.max(80, w / 2)) spots.push([x, y - 3], [x, y + 11]);
    var done = false;
    for (var j = 0; j < spots.length && !done; j++) {
      var b = textBox(f, s, spots[j][0], spots[j][1], 'start');
      if (!placer.free(b)) continue;
      placer.take(b);
      set(text, { x: fmt(spots[j][0]), y: fmt(spots[j][1]) });
      done = true;
    }
    text.classList.toggle('crowded', !done);
  }
}

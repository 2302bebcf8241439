// ---- details on hover; a click on a transaction's dot picks it ----------------------------------
var lit = null;

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
  if (hit) return hit;
  for (i = 0; i < sayEls.length; i++) { // narration lines (their text may have been left out)
    if (Math.abs(Number(sayEls[i].firstElementChild.getAttribute('y1')) - py) <= 4) return ['say', i];
  }
  return null;
}

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
  if (hit[0] === 'say') {
    return '<b>say</b> ' + esc(sayEls[i].lastElementChild.textContent) + '<br><span class="dim">' + at(D.says[i][0]) + '</span>';
  }
  a = D.marks[i];
  return '<b>' + esc(a[5]) + '</b> at ' + lane(a[0]) + '<br>' + esc(a[6]) +
    '<br><span class="dim">' + at(a[1]) + ' · L' + a[2] + (a[8] >= 0 ? ' · click to see its path' : '') + '</span>';
}

function elOf(hit) {
  return hit[0] === 'arrow' ? arrowEls[hit[1]] : hit[0] === 'drop' ? dropEls[hit[1]] : hit[0] === 'lost' ? lostEls[hit[1]] : hit[0] === 'say' ? sayEls[hit[1]] : markEls[hit[1]];
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

function hitAt(e) {
  var r = svg.getBoundingClientRect();
  return nearest(e.clientX - r.left, e.clientY - r.top);
}

function initHover() {
  var pending = null;
  scroll.addEventListener('mousemove', function (e) {
    var first = pending === null;
    pending = e;
    if (!first) return;
    requestAnimationFrame(function () {
      var ev = pending;
      pending = null;
      var hit = hitAt(ev);
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
  scroll.addEventListener('click', function (e) {
    var hit = hitAt(e);
    if (hit && hit[0] === 'mark' && D.marks[hit[1]][8] >= 0) pickTxn(D.marks[hit[1]][8], false);
  });
}

// ---- the transaction view ------------------------------------------------------------------------
// The list of transactions, and for the one picked (from the list, or by clicking its dot), its
// path: when each node first had it, from whom and in which message, hops from the author, and
// for a node that never had it, why. The path is computed in TypeScript (src/trace/txn-paths.ts);
// this only shows it: the diagram dims everything else, rings where each node first had it, and
// notes the hops and the reasons beside the lanes.
// D.txns rows: [id, authorLane, author, to, amount, seq, lamport, made, nodes]
// nodes[i] (lane i): had [1, at, lamport, hops, arrow, fromLane, fitting, status, author]
//                    missed [0, kind, at, drop, lost, detail]
var picked = -1;
var onPath = { arrows: {} };
var txnMarks = []; // per transaction: the marks (events) about it
var listEl = document.getElementById('txn-list');
var detailEl = document.getElementById('txn-detail');

function reach(t) {
  var n = 0;
  t[8].forEach(function (e) { if (e[0] === 1) n++; });
  return n;
}

function txnTitle(t) {
  return esc(t[2]) + ' → ' + esc(t[3]) + ' <b>' + esc(t[4]) + '</b>';
}

function initTxnView() {
  D.txns.forEach(function () { txnMarks.push([]); });
  D.marks.forEach(function (m, i) { if (m[8] >= 0) txnMarks[m[8]].push(i); });
  var items = D.txns.map(function (t, i) {
    var r = reach(t), all = t[8].length;
    return '<li' + (r < all ? ' class="partial"' : '') + '><button type="button" data-txn="' + i + '">' +
      '<span class="when">' + at(t[7]) + '</span> ' + txnTitle(t) +
      ' <span class="reach" title="nodes that had it">' + r + '/' + all + '</span></button></li>';
  });
  listEl.innerHTML = items.join('');
  listEl.addEventListener('click', function (e) {
    var b = e.target.closest('button[data-txn]');
    if (b) pickTxn(Number(b.getAttribute('data-txn')), true);
  });
  document.getElementById('txn-missed-only').addEventListener('change', function (e) {
    listEl.classList.toggle('missed-only', e.target.checked);
  });
  detailEl.addEventListener('click', function (e) {
    if (e.target.closest('#txn-clear')) clearTxn();
    if (e.target.closest('#txn-show')) revealTxn();
  });
  afterLayout.push(drawPath);
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') clearTxn(); });
}

function setOnPath(on) {
  var t = D.txns[picked];
  t[8].forEach(function (e) {
    if (e[0] === 1 && e[4] >= 0) { arrowEls[e[4]].classList.toggle('on-path', on); onPath.arrows[e[4]] = on; }
    if (e[0] === 0 && e[3] >= 0) dropEls[e[3]].classList.toggle('on-path', on);
    if (e[0] === 0 && e[4] >= 0) lostEls[e[4]].classList.toggle('on-path', on);
  });
  txnMarks[picked].forEach(function (m) { markEls[m].classList.toggle('on-path', on); });
}

function pickTxn(i, reveal) {
  if (picked >= 0) setOnPath(false);
  onPath = { arrows: {} };
  picked = i;
  setOnPath(true);
  svg.classList.add('picked');
  listEl.querySelectorAll('button.active').forEach(function (b) { b.classList.remove('active'); });
  var btn = listEl.querySelector('button[data-txn="' + i + '"]');
  btn.classList.add('active');
  renderDetail(D.txns[i]);
  var r = btn.getBoundingClientRect(), lr = listEl.getBoundingClientRect(); // scroll the list only, not the page
  if (r.top < lr.top || r.bottom > lr.bottom) listEl.scrollTop += r.top - lr.top - lr.height / 2;
  drawPath();
  if (reveal) revealTxn(); else viewChanged();
}

function clearTxn() {
  if (picked < 0) return;
  setOnPath(false);
  picked = -1;
  onPath = { arrows: {} };
  svg.classList.remove('picked');
  listEl.querySelectorAll('button.active').forEach(function (b) { b.classList.remove('active'); });
  detailEl.hidden = true;
  pathLayer.textContent = '';
  viewChanged();
}

/** Where a node's entry sits on the current axis: [y units (ms or Lamport)] */
function entryAt(t, e) {
  if (e[0] === 1) return mode === 'time' ? e[1] : e[2];
  if (mode === 'time') return Math.max(e[2], t[7]); // what blocked it, or when it was made
  return e[3] >= 0 ? D.drops[e[3]][4] : e[4] >= 0 ? D.lost[e[4]][3] : t[6];
}

/** Shows the picked transaction's whole life: from when it was made to the last node's entry. */
function revealTxn() {
  var t = D.txns[picked];
  var u0 = mode === 'time' ? t[7] : t[6], u1 = u0;
  t[8].forEach(function (e) { u1 = Math.max(u1, entryAt(t, e)); });
  var pad = Math.max(mode === 'time' ? 5 : 2, (u1 - u0) * 0.15);
  showRange(u0 - pad, u1 + pad);
}

function renderDetail(t) {
  var rows = t[8].map(function (e, l) {
    if (e[0] === 1) {
      var from = e[8] ? 'made it' : e[5] >= 0
        ? 'from <b>' + lane(e[5]) + '</b> in ' + (e[4] >= 0 ? esc(D.types[D.arrows[e[4]][6]]) : 'a message') + (e[6] > 1 ? ' <span class="dim" title="' + e[6] + ' messages fitted; the earliest was taken">(likely)</span>' : '')
        : '<span class="dim">unknown (no traced message fits: a bulk sync over TCP, or its own log)</span>';
      return '<tr data-node="' + lane(l) + '" class="had"><td>' + lane(l) + '</td><td>' + at(e[1]) + ' · L' + e[2] + (e[7] !== 'accepted' ? ' · ' + esc(e[7]) : '') +
        '</td><td class="hops">' + (e[3] >= 0 ? e[3] : '?') + '</td><td>' + from + '</td></tr>';
    }
    return '<tr data-node="' + lane(l) + '" class="missed"><td>' + lane(l) + '</td><td colspan="3" class="why"><b>never had it: ' + esc(e[1]) + '</b> — ' + esc(e[5]) + '</td></tr>';
  });
  var r = reach(t), hops = -1;
  t[8].forEach(function (e) { if (e[0] === 1) hops = Math.max(hops, e[3]); });
  detailEl.innerHTML =
    '<h3>' + txnTitle(t) + '</h3>' +
    '<p class="note">#' + esc(t[0].slice(0, 12)) + (t[5] >= 0 ? ' · seq ' + t[5] : '') + ' · made ' + at(t[7]) + ' at L' + t[6] +
    ' · reached ' + r + ' of ' + t[8].length + ' nodes' + (hops > 0 ? ' · up to ' + hops + ' hop' + (hops === 1 ? '' : 's') : '') + '</p>' +
    '<table><thead><tr><th>node</th><th>first had it</th><th>hops</th><th>how</th></tr></thead><tbody>' + rows.join('') + '</tbody></table>' +
    '<p class="note">A trace does not record what a message carried: each carrier is the earliest <i>txn</i> or <i>txn-batch</i> that reached the node by then from a node that had it.</p>' +
    '<button type="button" id="txn-show">show its path</button> <button type="button" id="txn-clear">clear</button>';
  detailEl.hidden = false;
}

/** Rings where each node first had it, and a red ring where one never did (at what blocked it). */
function drawPath() {
  pathLayer.textContent = '';
  if (picked < 0) return;
  var t = D.txns[picked], parts = [];
  t[8].forEach(function (e, l) {
    var y = fmt(mode === 'time' ? yt(entryAt(t, e)) : yl(entryAt(t, e)));
    parts.push('<circle class="ring' + (e[0] === 1 ? '' : ' never') + '" data-node="' + lane(l) + '" cx="' + fmt(laneX(l)) + '" cy="' + y + '" r="' + (e[0] === 1 ? 8 : 10) + '"/>');
  });
  pathLayer.innerHTML = parts.join('');
}

/** The picked transaction's notes beside its rings: placed before every other label. */
function pathLabels(placer, frag, top, bottom) {
  if (picked < 0) return;
  var t = D.txns[picked];
  var hop = fontOf('hop', labels), why = fontOf('why', labels);
  t[8].forEach(function (e, l) {
    var y = mode === 'time' ? yt(entryAt(t, e)) : yl(entryAt(t, e)), x = laneX(l);
    if (y < top || y > bottom) return;
    var text = e[0] === 0 ? 'never: ' + e[1] : e[8] ? 'author' : 'hop ' + (e[3] >= 0 ? e[3] : '?');
    place(placer, frag, e[0] === 0 ? why : hop, e[0] === 0 ? 'why' : 'hop', text,
      [[x + 12, y + 4, 'start'], [x - 12, y + 4, 'end'], [x + 12, y + 16, 'start'], [x - 12, y + 16, 'end'], [x + 12, y - 8, 'start']]);
  });
}

// The peer graph: the nodes on a circle, a line for each pair that knows of each other, coloured by
// what the two think of the link (alive, suspect, removed) and drawn red and dashed where one of
// them has cut it (faults.partition). Clicking a link cuts it; clicking a cut link heals the nodes
// that cut it (faults.heal). Both go through the same calls as the forms.
var SVGNS = 'http://www.w3.org/2000/svg'; // a namespace name for createElementNS, never fetched
var graph = $('#graph');

onState.push(drawGraph);
onIntro.push(function (intro) {
  $('#graph-hint').textContent = intro.readonly ? '' : 'click a link to cut it, a cut link to heal';
});

function svg(tag, attrs) {
  var e = document.createElementNS(SVGNS, tag);
  for (var k in attrs) e.setAttribute(k, attrs[k]);
  return e;
}

/** What `a` thinks of `b`: alive, suspect, removed, or nothing. */
function viewOf(a, b) {
  if (!a || !b || !a.peers) return null;
  var seen = a.peers.filter(function (p) { return p.id === b.id || p.addr === b.address; })[0];
  if (seen) return seen.state === 'suspect' ? 'suspect' : 'alive';
  var gone = (a.retrying || []).some(function (r) { return r.addr === b.address; }) ||
    (a.banned && (a.banned.addrs.indexOf(b.address) >= 0 || a.banned.ids.indexOf(b.id) >= 0));
  return gone ? 'removed' : null;
}
function cuts(a, b) { return !!(a && a.faults && b && b.address && a.faults.partitioned.indexOf(b.address) >= 0); }

var graphKey = '';
function drawGraph() {
  var names = S.lanes.filter(function (n) { return S.snap[n]; });
  // Redrawn only when something it shows has changed, so that a click is not lost to a redraw.
  var key = JSON.stringify(names.map(function (n) {
    var s = S.snap[n];
    return [n, s.running, s.balance && s.balance.balance, (s.peers || []).map(function (p) { return p.id + p.state; }), s.retrying, s.banned, s.faults && s.faults.partitioned];
  }));
  if (key === graphKey) return;
  graphKey = key;
  while (graph.firstChild) graph.removeChild(graph.firstChild);
  var W = 400, H = 320, R = Math.min(W, H) / 2 - 40;
  var pos = {};
  names.forEach(function (n, i) {
    var a = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, names.length);
    pos[n] = { x: W / 2 + R * Math.cos(a), y: H / 2 + R * Math.sin(a) };
  });
  var edges = svg('g', {}), nodes = svg('g', {});
  graph.appendChild(edges);
  graph.appendChild(nodes);
  for (var i = 0; i < names.length; i++) {
    for (var j = i + 1; j < names.length; j++) {
      var a = S.snap[names[i]], b = S.snap[names[j]];
      var ab = viewOf(a, b), ba = viewOf(b, a);
      var cut = cuts(a, b) || cuts(b, a);
      if (!ab && !ba && !cut) continue;
      var rank = { removed: 3, suspect: 2, alive: 1 };
      var worst = (rank[ab] || 0) >= (rank[ba] || 0) ? ab : ba;
      var cls = 'edge ' + (cut ? 'cut' : worst) + (ab && ba ? '' : ' half');
      var p = pos[names[i]], q = pos[names[j]];
      var hit = svg('line', { x1: p.x, y1: p.y, x2: q.x, y2: q.y, class: 'hit', 'data-a': names[i], 'data-b': names[j] });
      var line = svg('line', { x1: p.x, y1: p.y, x2: q.x, y2: q.y, class: cls, 'data-link': names[i] + '|' + names[j] });
      var title = svg('title', {});
      title.textContent = names[i] + ' → ' + names[j] + ': ' + (ab || 'unknown') + ', ' + names[j] + ' → ' + names[i] + ': ' + (ba || 'unknown') + (cut ? ' (cut)' : '');
      hit.appendChild(title);
      hit.addEventListener('click', linkClicked);
      edges.appendChild(hit);
      edges.appendChild(line);
    }
  }
  names.forEach(function (n) {
    var s = S.snap[n], p = pos[n];
    var g = svg('g', { class: s.running ? 'up' : 'down', 'data-node': n });
    g.appendChild(svg('circle', { class: 'node', cx: p.x, cy: p.y, r: 17, fill: colour(n) }));
    if (!s.running) {
      g.appendChild(svg('line', { class: 'cross', x1: p.x - 9, y1: p.y - 9, x2: p.x + 9, y2: p.y + 9 }));
      g.appendChild(svg('line', { class: 'cross', x1: p.x + 9, y1: p.y - 9, x2: p.x - 9, y2: p.y + 9 }));
    }
    var t = svg('text', { x: p.x, y: p.y + (p.y < H / 2 ? -24 : 34) });
    t.textContent = n + (s.balance ? ' ' + s.balance.balance : '');
    g.appendChild(t);
    nodes.appendChild(g);
  });
}

function linkClicked(e) {
  if (!S.intro || S.intro.readonly) return;
  var a = e.target.getAttribute('data-a'), b = e.target.getAttribute('data-b');
  var sa = S.snap[a], sb = S.snap[b];
  var calls;
  if (cuts(sa, sb) || cuts(sb, sa)) {
    calls = [a, b].filter(function (n, i) { return cuts(S.snap[n], S.snap[i ? a : b]); }).map(function (n) { return [n, 'faults.heal', {}]; });
  } else {
    calls = [[a, 'faults.partition', { addrs: [b] }]];
  }
  var line = $('#last');
  Promise.all(calls.map(function (c) { return callApi(c[0], c[1], c[2]); })).then(function (rs) {
    var bad = rs.filter(function (r) { return !r.ok; })[0];
    line.className = 'result ' + (bad ? 'err' : 'ok');
    line.textContent = bad ? errorLine(bad.error) : '✓ ' + calls.map(function (c) { return c[0] + ' ' + c[1] + (c[2].addrs ? ' ' + c[2].addrs.join(', ') : ''); }).join('; ');
  });
}

// ---- balances: each chart reads its node's view off the data under the cursor -------------------
function initBalances() {
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
}

// The tables: every node with its balance and state (and the sum of the balances), and, as one
// node sees them, the transactions in index order with status, custom fields and linked files,
// the faults on every node and link, and the files received.
var viewer = $('#viewer');
var activeTab = 'txns';
var txnsDirty = true, filesDirty = true, txnTimer = null;

onState.push(function (st) {
  renderNodes(st);
  renderFaults(st);
  syncSelect(viewer, S.lanes);
  syncSelect($('#log-node'), [''].concat(S.lanes));
});
onIntro.push(function () {
  syncSelect(viewer, S.lanes);
  refreshViewer();
});
onBatch.push(function (b) {
  var who = viewer.value;
  b.events.forEach(function (e) {
    if (e.node !== who) return;
    if (/^txn-|^ledger-|^fork-/.test(e.type)) txnsDirty = true;
    if (/^file-received|^txn-accepted/.test(e.type)) filesDirty = true;
  });
  if (txnsDirty || filesDirty) scheduleRefresh();
});
$$('.tabs button').forEach(function (b) {
  b.addEventListener('click', function () {
    activeTab = b.getAttribute('data-tab');
    $$('.tabs button').forEach(function (x) { x.classList.toggle('on', x === b); });
    $$('.tab').forEach(function (t) { t.hidden = t.id !== 'tab-' + activeTab; });
    refreshViewer();
  });
});

/** Keeps a <select>'s options equal to `values`, keeping the choice. */
function syncSelect(sel, values) {
  var have = $$('option', sel).map(function (o) { return o.value; });
  if (have.join('\n') === values.join('\n')) return;
  var keep = sel.value;
  while (sel.firstChild) sel.removeChild(sel.firstChild);
  values.forEach(function (v) { sel.appendChild(el('option', { value: v, text: v === '' ? 'all' : v })); });
  if (values.indexOf(keep) >= 0) sel.value = keep;
}

function renderNodes(st) {
  var body = $('#nodes tbody');
  var rows = st.nodes.map(function (n) {
    var peers = n.peers || [];
    var suspect = peers.filter(function (p) { return p.state === 'suspect'; }).length;
    var name = el('td', {}, [dot(n.name), n.name]);
    return el('tr', { cls: n.running ? '' : 'stopped', 'data-node': n.name }, [
      name,
      el('td', { text: n.running ? 'running' : 'stopped' }),
      el('td', { text: n.address || '' }),
      el('td', { cls: 'num balance', text: n.balance ? n.balance.balance : '—' }),
      el('td', { cls: 'num', text: n.balance ? n.balance.spendable : '—' }),
      el('td', { cls: 'num', text: n.running ? peers.length + (suspect ? ' (' + suspect + ' suspect)' : '') : '—' }),
      el('td', { cls: 'num', text: n.counts ? String(n.counts.transactions) : '—' }),
      el('td', { cls: 'num', text: n.lamport === undefined ? '—' : String(n.lamport) }),
      el('td', { text: n.robot && n.robot.running ? 'on (' + n.robot.actions + ')' : 'off' }),
      el('td', { text: faultSummary(n) }),
    ]);
  });
  replaceRows(body, rows);
  $('#sum').textContent = st.total === null ? '—' : st.total;
}

function dot(name) {
  var d = el('span', { cls: 'dot' });
  d.style.background = colour(name);
  return d;
}

function faultSummary(n) {
  if (!n.faults) return '';
  var f = n.faults.node, out = [];
  ['drop', 'dropIn', 'duplicate'].forEach(function (k) { if (f[k]) out.push(k + ' ' + f[k]); });
  ['delay', 'jitter'].forEach(function (k) { if (f[k]) out.push(k + ' ' + f[k] + 'ms'); });
  var links = Object.keys(n.faults.links).length;
  if (links) out.push(links + ' link' + (links === 1 ? '' : 's'));
  if (n.faults.partitioned.length) out.push('cut from ' + n.faults.partitioned.map(nameOf).join(', '));
  return out.join(', ');
}

function replaceRows(body, rows) {
  while (body.firstChild) body.removeChild(body.firstChild);
  rows.forEach(function (r) { body.appendChild(r); });
}

function renderFaults(st) {
  if (activeTab !== 'faults') return;
  replaceRows($('#faults tbody'), st.nodes.filter(function (n) { return n.faults; }).map(function (n) {
    var f = n.faults.node;
    var links = Object.keys(n.faults.links).map(function (a) {
      var l = n.faults.links[a];
      return nameOf(a) + ': ' + Object.keys(l).map(function (k) { return k + ' ' + l[k]; }).join(' ');
    }).join('; ');
    return el('tr', { 'data-node': n.name }, [
      el('td', {}, [dot(n.name), n.name]),
      el('td', { text: String(f.drop) }), el('td', { text: String(f.dropIn) }),
      el('td', { text: f.delay + ' ms' }), el('td', { text: f.jitter + ' ms' }), el('td', { text: String(f.duplicate) }),
      el('td', { text: links }), el('td', { cls: n.faults.partitioned.length ? 'err' : '', text: n.faults.partitioned.map(nameOf).join(', ') }),
    ]);
  }));
}

function scheduleRefresh() {
  if (txnTimer) return;
  txnTimer = setTimeout(function () { txnTimer = null; refreshViewer(); }, 1000);
}

function refreshViewer() {
  var who = viewer.value;
  if (!who) return;
  if (activeTab === 'txns' && txnsDirty) { txnsDirty = false; loadTxns(who); }
  if (activeTab === 'files' && filesDirty) { filesDirty = false; loadFiles(who); }
  if (activeTab === 'faults') renderFaults({ nodes: S.lanes.map(function (n) { return S.snap[n]; }).filter(Boolean) });
}
viewer.addEventListener('change', function () { txnsDirty = filesDirty = true; refreshViewer(); });

var inboxBySha = {};
function loadTxns(who) {
  Promise.all([readApi(who, 'transactions', null, 300), readApi(who, 'inbox', null, 2000)]).then(function (rs) {
    if (viewer.value !== who) return;
    var r = rs[0];
    inboxBySha = {};
    if (rs[1].ok) rs[1].result.forEach(function (f) { inboxBySha[f.sha256] = f; });
    if (!r.ok) { $('#txn-note').textContent = errorLine(r.error); return; }
    $('#txn-note').textContent = r.total + ' transaction' + (r.total === 1 ? '' : 's') + ' as ' + who + ' holds them, in index order' +
      (r.total > r.result.length ? ' (the last ' + r.result.length + ')' : '');
    replaceRows($('#txns tbody'), r.result.map(txnRow));
  });
}

function txnRow(t) {
  var fields = t.fields ? Object.keys(t.fields).map(function (k) { return k + '=' + t.fields[k]; }).join(', ') : '';
  var file = '';
  if (t.file) {
    var got = inboxBySha[t.file.sha256];
    file = t.file.name + ' (' + t.file.size + ' B, ' + t.file.sha256.slice(0, 8) + ')' + (got ? ' ✓ received' : '');
  }
  return el('tr', { 'data-index': t.index, 'data-id': t.id }, [
    el('td', { cls: 'num', text: String(t.index) }), el('td', { text: t.from }), el('td', { text: t.to }),
    el('td', { cls: 'num amount', text: t.amount }),
    el('td', { cls: 'st-' + t.status, text: t.status + (t.reason ? ' (' + t.reason + ')' : '') }),
    el('td', { cls: 'num', text: String(t.lamport) }), el('td', { text: fields }), el('td', { text: file }),
  ]);
}

function loadFiles(who) {
  readApi(who, 'inbox', null, 500).then(function (r) {
    if (viewer.value !== who || !r.ok) return;
    replaceRows($('#files tbody'), r.result.map(function (f) {
      return el('tr', {}, [
        el('td', { text: f.name || f.file || '' }), el('td', { text: f.fromName || f.from || '' }), el('td', { cls: 'num', text: String(f.size) }),
        el('td', { text: String(f.sha256 || '').slice(0, 16) }), el('td', { text: f.transaction ? String(f.transaction).slice(0, 10) : '' }),
      ]);
    }));
  });
}

// The log: every node event as one line, newest first, with filters by kind and by node. Pings
// (and their acks) are silent unless asked for, as in the REPL; file progress is never listed.
var LOG_MAX = 1500;
var logItems = [];   // { t, node, kind, text, level }
var logDirty = false;
var KINDS = [
  { id: 'txn', label: 'transactions', test: /^(txn-|fork-|ledger-)/ },
  { id: 'peer', label: 'peers', test: /^(peer-|heartbeat-)/ },
  { id: 'file', label: 'files', test: /^file-/ },
  { id: 'fault', label: 'faults & drops', test: /^(faults-|message-)/ },
  { id: 'node', label: 'node & robot', test: /^(node-|robot-)/ },
  { id: 'log', label: 'log entries', test: /^log$/ },
];
var shownKinds = { txn: true, peer: true, file: true, fault: true, node: true, log: true };

KINDS.forEach(function (k) {
  var box = el('input', { type: 'checkbox', 'data-kind': k.id });
  box.checked = true;
  box.addEventListener('change', function () { shownKinds[k.id] = box.checked; renderLog(); });
  $('#log-types').appendChild(el('label', {}, [box, k.label]));
});
$('#show-pings').addEventListener('change', renderLog);
$('button[data-tab="log"]').addEventListener('click', renderLog);
$('#log-node').addEventListener('change', renderLog);

function kindOf(type) {
  for (var i = 0; i < KINDS.length; i++) if (KINDS[i].test.test(type)) return KINDS[i].id;
  return 'node';
}

onBatch.push(function (b) {
  b.events.forEach(function (e) {
    if (e.type === 'file-progress') return;
    var d = describe(e);
    logItems.push({ t: e.time, node: e.node, kind: kindOf(e.type), type: e.type, text: d.text, level: d.level });
  });
  b.msgs.forEach(function (r) {
    if ((r[4] !== 'ping' && r[4] !== 'ack') || r[0] === 'd') return;
    var what = r[0] === 's' ? r[4] + ' → ' + nameOf(r[6]) : r[4] + ' dropped (' + (r[7] || 'drop') + ')';
    logItems.push({ t: r[1], node: r[2], kind: 'ping', type: r[4], text: what, level: 'dim' });
  });
  if (logItems.length > LOG_MAX * 1.25) logItems.splice(0, logItems.length - LOG_MAX);
  if (b.events.length) logDirty = true;
  if (b.msgs.length && $('#show-pings').checked) logDirty = true;
});
// Drawn only while the log is on screen.
setInterval(function () { if (logDirty && !$('#tab-log').hidden) renderLog(); }, 300);

function renderLog() {
  logDirty = false;
  var pings = $('#show-pings').checked, who = $('#log-node').value;
  var list = $('#log');
  var out = [];
  for (var i = logItems.length - 1; i >= 0 && out.length < 400; i--) {
    var it = logItems[i];
    if (it.kind === 'ping' ? !pings : !shownKinds[it.kind]) continue;
    if (who && it.node !== who) continue;
    var li = el('li', { 'data-type': it.type, 'data-node': it.node }, [
      el('span', { cls: 't', text: clockText(it.t) + ' ' }),
      el('span', { cls: 'n', text: it.node + ' ' }),
      el('span', { cls: 'lv-' + (it.level || 'none'), text: it.type + ' ' + it.text }),
    ]);
    li.firstChild.nextSibling.style.color = colour(it.node);
    out.push(li);
  }
  while (list.firstChild) list.removeChild(list.firstChild);
  out.forEach(function (li) { list.appendChild(li); });
}

/** One event as a short line and a level (colour), by its type; anything else as key=value. */
function describe(e) {
  var d = e.data || {};
  var peer = d.name || (d.peer ? nameOf(d.peer) : '');
  switch (e.type) {
    case 'txn-accepted': return { text: d.from + ' → ' + d.to + ' ' + d.amount + ' (seq ' + d.seq + ', ' + d.was + ')', level: 'ok' };
    case 'txn-voided': return { text: d.from + ' → ' + d.to + ' ' + d.amount + ' void: ' + d.code, level: 'bad' };
    case 'txn-rejected': return { text: d.reason + ' (' + d.code + ')', level: 'bad' };
    case 'txn-pending': return { text: d.from + ' → ' + d.to + ' ' + d.amount + ' waits for ' + d.missing, level: 'warn' };
    case 'txn-dropped': return { text: d.from + ' → ' + d.to + ' ' + d.amount + ': ' + d.code, level: 'bad' };
    case 'peer-added': return { text: peer + ' (' + d.via + ')', level: 'ok' };
    case 'peer-removed': return { text: peer + ' (' + d.reason + ')', level: 'bad' };
    case 'peer-suspected': return { text: peer + ' silent ' + d.silentMs + ' ms', level: 'warn' };
    case 'heartbeat-timeout': return { text: peer + ' silent ' + d.silentMs + ' ms', level: 'bad' };
    case 'peer-refuted': return { text: peer + ' answered', level: 'ok' };
    case 'message-dropped': return { text: d.msgType + ' ' + (d.direction === 'out' ? 'to ' : 'from ') + nameOf(d.peer) + ' (' + d.reason + ')', level: 'dim' };
    case 'faults-changed': return { text: faultText(d.faults), level: 'warn' };
    case 'log': return { text: '[' + d.level + '] ' + d.message, level: d.level === 'error' ? 'bad' : 'none' };
    case 'file-received': return { text: d.name + ' from ' + nameOf(d.peer) + ' (' + d.size + ' B)', level: 'ok' };
    case 'file-sent': return { text: d.name + ' to ' + nameOf(d.peer) + ' (' + d.size + ' B, ' + d.ms + ' ms)', level: 'ok' };
    case 'node-stopped': return { text: '', level: 'bad' };
  }
  var parts = [];
  for (var k in d) {
    var v = d[k];
    if (v === null || typeof v === 'object') continue;
    parts.push(k + '=' + (typeof v === 'string' && v.length > 24 ? v.slice(0, 12) + '…' : v));
  }
  return { text: parts.join(' '), level: /failed|refused|fork/.test(e.type) ? 'bad' : 'none' };
}

function faultText(f) {
  if (!f) return '';
  var parts = [];
  for (var k in f.node) if (f.node[k]) parts.push(k + ' ' + f.node[k]);
  var links = Object.keys(f.links || {});
  if (links.length) parts.push(links.length + ' link setting' + (links.length === 1 ? '' : 's'));
  if (f.partitioned.length) parts.push('cut from ' + f.partitioned.map(nameOf).join(', '));
  return parts.join(', ') || 'no faults';
}

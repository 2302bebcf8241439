// The actions: one form per method the server offers (api-forms.ts builds them from the API table,
// so a new method appears here with no code of its own), grouped by topic. The widget follows the
// parameter's kind; node fields take a name, an address or an id prefix, as everywhere else. A
// method with a confirmation asks first; a file the method writes comes back as a download; an
// error is one line, like the REPL's.
var GROUPS = { peers: 'Peers', ledger: 'Ledger', files: 'Files', faults: 'Faults', heartbeat: 'Heartbeat', robot: 'Robot', logs: 'Details & logs', lifecycle: 'Lifecycle' };
var OPEN_GROUPS = { peers: true, ledger: true, faults: true, robot: true };
var acting = $('#acting');

onIntro.push(buildForms);
onState.push(function () {
  syncSelect(acting, S.lanes);
  $$('form.call select.caller').forEach(function (s) { syncSelect(s, S.lanes); });
  var dl = $('#peer-names');
  var names = S.lanes.slice();
  if ($$('option', dl).map(function (o) { return o.value; }).join() !== names.join()) {
    while (dl.firstChild) dl.removeChild(dl.firstChild);
    names.forEach(function (n) { dl.appendChild(el('option', { value: n })); });
  }
});
acting.addEventListener('change', function () {
  $$('form.call select.caller').forEach(function (s) { s.value = acting.value; });
});

function buildForms(intro) {
  var box = $('#forms');
  while (box.firstChild) box.removeChild(box.firstChild);
  if (intro.readonly) return;
  syncSelect(acting, S.lanes);
  var groups = {};
  intro.forms.forEach(function (spec) {
    if (!groups[spec.group]) {
      var d = el('details', { 'data-group': spec.group, open: !!OPEN_GROUPS[spec.group] }, [el('summary', { text: GROUPS[spec.group] || spec.group })]);
      groups[spec.group] = d;
      box.appendChild(d);
    }
    groups[spec.group].appendChild(buildForm(spec));
  });
}

function buildForm(spec) {
  var form = el('form', { cls: 'call' + (spec.action ? '' : ' read') + (spec.confirm ? ' confirm' : ''), 'data-method': spec.method, autocomplete: 'off' });
  form.appendChild(el('div', { cls: 'head', title: spec.description }, [el('b', { text: spec.summary }), el('code', { text: spec.signature })]));
  var caller = el('select', { name: spec.caller, cls: 'caller' });
  syncSelect(caller, S.lanes);
  if (acting.value) caller.value = acting.value;
  form.appendChild(row(spec.caller, caller));
  spec.fields.forEach(function (f) { form.appendChild(row(f.name + (f.optional ? '' : ' *'), widget(f), f.description)); });
  form.appendChild(el('button', { type: 'submit', cls: 'run', text: spec.action ? spec.method : 'show' }));
  form.appendChild(el('output', { cls: 'result' }));
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    submit(form, spec);
  });
  return form;
}

function row(label, input, hint) {
  return el('label', { cls: 'f', title: hint || '' }, [el('span', { cls: 'k', text: label }), input]);
}

/** The input for one field, by the parameter's kind. */
function widget(f) {
  var attrs = { name: f.name, 'data-kind': f.kind };
  switch (f.kind) {
    case 'account': case 'peer': case 'address':
      return el('input', Object.assign(attrs, { type: 'text', list: 'peer-names', placeholder: 'name, host:port or id prefix' }));
    case 'addresses':
      return el('input', Object.assign(attrs, { type: 'text', list: 'peer-names', placeholder: 'names or host:port, comma-separated' }));
    case 'amount':
      return el('input', Object.assign(attrs, { type: 'text', inputmode: 'decimal', placeholder: 'e.g. 25.50' }));
    case 'duration':
      return el('input', Object.assign(attrs, { type: 'text', placeholder: 'e.g. 500ms, 2s' }));
    case 'number': case 'index':
      return el('input', Object.assign(attrs, { type: 'number', step: f.kind === 'index' ? '1' : 'any', min: f.kind === 'index' ? '0' : null }));
    case 'probability': return slider(attrs);
    case 'fields': return fieldRows(attrs);
    case 'path':
      if (f.io === 'write') return el('input', Object.assign(attrs, { type: 'text', value: f.initial || '', placeholder: 'file name to download as' }));
      return filePicker(f, attrs);
    case 'value':
      return el('input', Object.assign(attrs, { type: 'text', placeholder: 'text, or JSON such as ["send","ping"]' }));
    default:
      return el('input', Object.assign(attrs, { type: 'text' }));
  }
}

/** A file to send: picked in the browser (uploaded) or a path here; choosing one clears the other. */
function filePicker(f, attrs) {
  var file = el('input', { type: 'file', name: f.name + '-upload', 'data-upload-for': f.name });
  var path = el('input', Object.assign(attrs, { type: 'text', placeholder: 'or a path here' }));
  file.addEventListener('change', function () { if (file.files.length) path.value = ''; });
  path.addEventListener('input', function () { if (path.value) file.value = ''; });
  return el('span', { cls: 'pair' }, [file, path]);
}

/** A probability: a slider, sent only once moved (an untouched slider leaves the setting alone). */
function slider(attrs) {
  var input = el('input', Object.assign(attrs, { type: 'range', min: '0', max: '1', step: '0.05', value: '0' }));
  var shown = el('span', { cls: 'val', text: 'unset' });
  var clear = el('button', { type: 'button', cls: 'small', title: 'leave unchanged', text: '×' });
  input.addEventListener('input', function () { input.setAttribute('data-touched', '1'); shown.textContent = input.value; });
  clear.addEventListener('click', function () { input.removeAttribute('data-touched'); input.value = '0'; shown.textContent = 'unset'; });
  return el('span', { cls: 'pair' }, [input, shown, clear]);
}

/** Custom fields: key / value rows. */
function fieldRows(attrs) {
  var box = el('span', { cls: 'rows', 'data-fields': attrs.name, 'data-kind': 'fields' });
  var add = el('button', { type: 'button', cls: 'small', text: '+ field' });
  function addRow() {
    var r = el('span', { cls: 'row' }, [el('input', { type: 'text', placeholder: 'key', 'data-key': '1' }), el('input', { type: 'text', placeholder: 'value', 'data-value': '1' })]);
    box.insertBefore(r, add);
    return r;
  }
  add.addEventListener('click', addRow);
  box.appendChild(add);
  addRow();
  return box;
}

/** The value of one field, or undefined when left empty. */
function valueOf(form, f) {
  if (f.kind === 'fields') {
    var out = {}, any = false;
    $$('[data-fields="' + f.name + '"] .row', form).forEach(function (r) {
      var k = $('[data-key]', r).value.trim();
      if (k) { out[k] = $('[data-value]', r).value; any = true; }
    });
    return any ? out : undefined;
  }
  var input = form.elements[f.name];
  if (!input) return undefined;
  if (f.kind === 'probability') return input.hasAttribute('data-touched') ? Number(input.value) : undefined;
  var v = input.value.trim();
  if (v === '') return undefined;
  if (f.kind === 'addresses') return v.split(/[,\s]+/).filter(Boolean);
  if (f.kind === 'number' || f.kind === 'index') return Number(v);
  if (f.kind === 'value') { try { return JSON.parse(v); } catch (e) { return v; } }
  return v;
}

/** Arguments by parameter name, options gathered into their object, uploads done first. */
function gather(form, spec) {
  var args = {}, uploads = [];
  spec.fields.forEach(function (f) {
    var file = f.kind === 'path' && f.io === 'read' ? $('[data-upload-for="' + f.name + '"]', form) : null;
    if (file && file.files && file.files.length) { uploads.push({ f: f, file: file.files[0] }); return; }
    var v = valueOf(form, f);
    if (f.option) {
      if (v !== undefined) (args[f.param] = args[f.param] || {})[f.option] = v;
    } else if (v !== undefined) args[f.param] = v;
  });
  // A required options object is sent even when empty (the node says what it needs).
  spec.required.forEach(function (p) {
    if (args[p] === undefined && spec.fields.some(function (f) { return f.param === p && f.option; })) args[p] = {};
  });
  return Promise.all(uploads.map(function (u) {
    return fetch('/api/upload', {
      method: 'POST',
      headers: { 'X-Peerlab-Token': TOKEN, 'X-Peerlab-Filename': encodeURIComponent(u.file.name), 'Content-Type': 'application/octet-stream' },
      body: u.file,
    }).then(answer).then(function (r) {
      if (!r.ok) throw r.error;
      args[u.f.param] = { upload: r.result.upload };
    });
  })).then(function () { return args; });
}

function submit(form, spec) {
  var out = $('output.result', form);
  var node = form.elements[spec.caller].value;
  var go = function () {
    form.classList.add('busy');
    out.className = 'result';
    out.textContent = '…';
    gather(form, spec).then(function (args) { return callOrRead(node, spec, args); }).then(function (r) {
      show(out, r, spec, node);
    }, function (err) {
      show(out, { ok: false, error: err }, spec, node);
    }).then(function () { form.classList.remove('busy'); });
  };
  if (spec.confirm) confirmFirst(spec.confirm + ' (' + node + ')', go);
  else go();
}

function callOrRead(node, spec, args) {
  if (spec.action) return callApi(node, spec.method, args);
  return readApi(node, spec.method, args);
}

function confirmFirst(text, go) {
  var d = $('#confirm');
  $('#confirm-text').textContent = text;
  d.returnValue = '';
  d.onclose = function () { if (d.returnValue === 'yes') go(); };
  d.showModal();
}

/** The outcome as one line (and, for a bigger result, the whole of it below). */
function show(out, r, spec, node) {
  while (out.firstChild) out.removeChild(out.firstChild);
  var line = r.ok ? '✓ ' + node + '.' + spec.method + ': ' + summary(r) : errorLine(r.error);
  out.className = 'result ' + (r.ok ? 'ok' : 'err');
  out.appendChild(document.createTextNode(line));
  if (r.ok && r.result !== null && typeof r.result === 'object') out.appendChild(el('pre', { text: JSON.stringify(r.result, null, 1).slice(0, 20000) }));
  var last = $('#last');
  last.className = out.className;
  last.textContent = line;
}

function summary(r) {
  if (r.downloaded) return 'downloaded ' + r.downloaded + ' (' + r.bytes + ' bytes)';
  var v = r.result;
  if (v === undefined || v === null) return 'done';
  if (typeof v !== 'object') return short(v);
  if (Array.isArray(v)) return (r.total !== undefined ? r.total : v.length) + ' item' + (v.length === 1 ? '' : 's');
  var parts = [];
  // Scalars and short lists, one level of nesting flattened (`node.drop 0.3`).
  (function add(o, prefix, depth) {
    for (var k in o) {
      if (parts.length >= 6) return;
      var x = o[k];
      if (Array.isArray(x) && x.every(function (y) { return typeof y !== 'object'; })) x = x.length <= 4 ? x.map(short).join(' ') || 'none' : x.length;
      if (x !== null && typeof x === 'object') { if (depth === 0 && !Array.isArray(x)) add(x, prefix + k + '.', 1); continue; }
      parts.push(prefix + k + ' ' + (k === 'addr' || k === 'address' ? String(x) : short(x)));
    }
  })(v, '', 0);
  return parts.join(', ') || 'done';
}

/** A value for the line: a node's address as its name, long ids cut short. */
function short(x) {
  if (typeof x !== 'string') return String(x);
  if (S.addr[x]) return S.addr[x];
  return x.length > 24 ? x.slice(0, 10) + '…' : x;
}

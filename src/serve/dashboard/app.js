// The unbundled dashboard: polls /api/status, draws /api/plan, tails a view over SSE.
import { drawGraph } from './graph.js';

const TAIL_MAX = 200;
const params = new URLSearchParams(location.hash.slice(1));
if (params.get('token')) sessionStorage.setItem('unbundled-token', params.get('token'));
const token = sessionStorage.getItem('unbundled-token');
const headers = token ? { authorization: `Bearer ${token}` } : {};
const $ = (sel) => document.querySelector(sel);

async function getJson(path) {
  const res = await fetch(path, { headers });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

const fmt = new Intl.NumberFormat('en');
function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

function sparkline(values) {
  const w = 120;
  const h = 22;
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? w / (values.length - 1) : w;
  const points = values.map(
    (v, i) => `${(i * step).toFixed(1)},${(h - 1 - (v / max) * (h - 2)).toFixed(1)}`,
  );
  const last = values.length ? values[values.length - 1] : 0;
  return `<svg class="spark" width="${w}" height="${h}"><polyline points="${points.join(' ')}"/></svg> <span class="num">${fmt.format(last)}</span>`;
}

function rebuildCell(r) {
  if (!r) return '—';
  const pct = r.total === 0 ? 100 : Math.floor((100 * r.done) / r.total);
  return `<span class="bar"><i style="width:${pct}%"></i></span> ${pct}%`;
}

function esc(s) {
  return String(s).replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c],
  );
}

function viewRow(v) {
  return [
    `<td>${esc(v.name)}</td>`,
    `<td>${esc(v.store)}</td>`,
    `<td class="phase-${esc(v.phase)}" title="${esc(v.error ?? '')}">${esc(v.phase)}</td>`,
    `<td title="${esc(v.version)}">${esc(v.version.slice(0, 8))}</td>`,
    `<td class="num" data-field="applied">${fmt.format(v.appliedRecords)}</td>`,
    `<td class="num" data-field="lag">${fmt.format(v.lagRecords)}</td>`,
    `<td class="num">${duration(v.lagMs)}</td>`,
    `<td class="num">${v.sinceCommitMs === null ? '—' : `${duration(v.sinceCommitMs)} ago`}</td>`,
    `<td>${sparkline(v.recordsPerSecond)}</td>`,
    `<td>${rebuildCell(v.rebuild)}</td>`,
    `<td class="num" data-field="dlq">${fmt.format(v.deadLetters)}</td>`,
    `<td class="num">${fmt.format(v.sseClients)}</td>`,
  ].join('');
}

let badges = new Map();

function render(status) {
  $('#system').textContent = status.system;
  const applied = status.views.reduce((a, v) => a + v.appliedRecords, 0);
  const live = status.views.filter((v) => v.phase === 'live').length;
  $('#summary').innerHTML =
    `<span>views live <b>${live}/${status.views.length}</b></span>` +
    `<span>records applied <b>${fmt.format(applied)}</b></span>` +
    `<span>dead letters <b>${fmt.format(status.deadLetters)}</b></span>`;
  const body = $('#views tbody');
  for (const v of status.views) {
    let tr = body.querySelector(`tr[data-view="${CSS.escape(v.name)}"]`);
    if (!tr) {
      tr = document.createElement('tr');
      tr.dataset.view = v.name;
      body.append(tr);
    }
    tr.innerHTML = viewRow(v);
    badges
      .get(v.name)
      ?.replaceChildren(`lag ${fmt.format(v.lagRecords)} · ${fmt.format(v.appliedRecords)}`);
  }
  $('#topics tbody').innerHTML = status.topics
    .map((t) => {
      const n = t.partitions.reduce((a, p) => a + (p.end - p.beginning), 0);
      return `<tr><td>${esc(t.name)}</td><td class="num">${t.partitions.length}</td><td class="num">${fmt.format(n)}</td></tr>`;
    })
    .join('');
  const select = $('#tail-view');
  if (select.options.length === 0) {
    for (const v of status.views) select.add(new Option(v.name, v.name));
    // Start with the busiest view, so the tail shows something.
    const busiest = [...status.views].sort(
      (a, b) =>
        (b.recordsPerSecond.at(-1) ?? 0) - (a.recordsPerSecond.at(-1) ?? 0) ||
        b.writesOut - a.writesOut,
    )[0];
    if (busiest) select.value = busiest.name;
    select.addEventListener('change', () => tail(select.value));
    tail(select.value);
  }
}

let source = null;
function tail(view) {
  source?.close();
  const list = $('#tail');
  list.replaceChildren();
  const q = token ? `?access_token=${encodeURIComponent(token)}` : '';
  source = new EventSource(`/api/views/${encodeURIComponent(view)}/changes${q}`);
  const add = (cls, text) => {
    const li = document.createElement('li');
    li.className = cls;
    li.textContent = text;
    list.prepend(li);
    while (list.children.length > TAIL_MAX) list.lastChild.remove();
  };
  source.addEventListener('open', () => ($('#tail-state').textContent = 'live'));
  source.addEventListener('error', () => ($('#tail-state').textContent = 'reconnecting…'));
  source.addEventListener('resync', (e) =>
    add('resync', `resync (${JSON.parse(e.data).reason}): following changes from here`),
  );
  source.addEventListener('change', (e) => {
    const { writes } = JSON.parse(e.data);
    const time = new Date().toLocaleTimeString();
    for (const w of writes.slice(-20)) {
      if (w.row === null) add('del', `${time}  − ${w.key}`);
      else add('set', `${time}  ${w.key}  ${JSON.stringify(w.row)}`);
    }
  });
}

async function poll() {
  try {
    render(await getJson('/api/status'));
    $('#conn').textContent = `updated ${new Date().toLocaleTimeString()}`;
    $('#conn').className = 'conn ok';
  } catch (err) {
    $('#conn').textContent = String(err.message ?? err);
    $('#conn').className = 'conn bad';
  }
}

async function main() {
  try {
    badges = drawGraph($('#graph'), await getJson('/api/plan'));
  } catch (err) {
    $('#graph').textContent = `plan unavailable: ${err.message}`;
  }
  await poll();
  setInterval(poll, 1000);
}

main();

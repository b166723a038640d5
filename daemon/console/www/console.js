// The console's pages: one message a second from /api/live (Server-Sent Events), drawn here.
// Every text from the gateway goes in through textContent: a barcode is never markup.
import { outboxChart, rssiHistogram, sparkline } from '/charts.js';

const $ = (id) => document.getElementById(id);
const el = (tag, text, cls) => {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
};
const time = (ms) => new Date(ms).toLocaleTimeString();
const MAX_ROWS = 200;

// Pages by the address's #fragment.
function showPage() {
  const page = location.hash.slice(1) || 'readers';
  for (const s of document.querySelectorAll('section.page')) s.hidden = s.id !== page;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('current', a.hash === `#${page}`);
  if (page === 'config') loadConfig();
}
addEventListener('hashchange', showPage);
showPage();

const sparks = new Map();
const histograms = new Map();
let updateOutbox;
let lastRead = 0;
let lastSeq = 0;
const reads = [];

function decodeCell(r) {
  if (r.reject) return el('td', `rejected: ${r.reject}`, 'reject');
  if (r.belowFloor) return el('td', `below floor: ${r.unit ?? ''}`, 'below');
  return el('td', r.unit ?? '', 'code');
}

function drawReaders(v) {
  const body = $('reader-rows');
  for (const r of v.readers) {
    let row = body.querySelector(`tr[data-reader="${CSS.escape(r.id)}"]`);
    if (!row) {
      row = el('tr');
      row.dataset.reader = r.id;
      for (let i = 0; i < 7; i++) row.append(el('td'));
      row.children[0].textContent = r.id;
      sparks.set(r.id, sparkline(row.children[4]));
      body.append(row);
    }
    const c = row.children;
    row.dataset.state = r.state;
    row.dataset.reads = String(r.reads);
    c[1].textContent = r.driver;
    c[2].replaceChildren(el('span', r.state, 'state'));
    c[2].firstChild.dataset.state = r.state;
    if (r.lastError) c[2].append(el('div', r.lastError, 'muted'));
    c[3].textContent = String(r.reads);
    c[3].className = 'num';
    sparks.get(r.id)(r.spark);
    row.dataset.sparkPoints = String(r.spark.length);
    const codes = Object.entries(r.rejectsByCode);
    c[5].textContent = codes.length ? codes.map(([k, n]) => `${k}: ${n}`).join(', ') : 'none';
    const last = r.lastRead;
    c[6].replaceChildren(
      ...(last
        ? [
            el('div', `${time(last.at)}  ${last.text}`, 'code'),
            el('div', last.reject ? `rejected: ${last.reject}` : last.unit, last.reject ? 'reject' : 'muted'),
          ]
        : [el('span', 'no read yet', 'muted')]),
    );
  }
}

function fillSelect(select, values) {
  const have = new Set([...select.options].map((o) => o.value));
  for (const v of values) if (!have.has(v)) select.append(new Option(v, v));
}

function drawReads(v) {
  for (const r of v.stream) if (r.n > lastRead) reads.push(r);
  if (v.stream.length) lastRead = Math.max(lastRead, v.stream.at(-1).n);
  reads.splice(0, Math.max(0, reads.length - MAX_ROWS));
  fillSelect(
    $('filter-reader'),
    v.readers.map((r) => r.id),
  );
  fillSelect($('filter-point'), v.readPoints);
  renderReads();
  $('not-shown').textContent = v.notShown ? `${v.notShown} reads not shown (a sample of each second is)` : '';
}

function renderReads() {
  const reader = $('filter-reader').value;
  const point = $('filter-point').value;
  const rows = reads
    .filter((r) => (!reader || r.reader === reader) && (!point || r.readPoint === point))
    .slice(-100)
    .reverse()
    .map((r) => {
      const row = el('tr');
      row.dataset.reader = r.reader;
      row.append(
        el('td', time(r.at)),
        el('td', r.reader),
        el('td', r.zone ? `${r.readPoint} (${r.zone})` : r.readPoint),
        el('td', r.antenna ?? ''),
        el('td', r.rssi ?? '', 'num'),
        el('td', r.text, 'code'),
        decodeCell(r),
      );
      return row;
    });
  $('read-rows').replaceChildren(...rows);
}
$('filter-reader').addEventListener('change', renderReads);
$('filter-point').addEventListener('change', renderReads);

function drawAntennas(v) {
  const box = $('antennas');
  for (const a of v.antennas) {
    const key = `${a.reader}/${a.antenna}`;
    let card = box.querySelector(`[data-antenna="${CSS.escape(key)}"]`);
    if (!card) {
      card = el('div', undefined, 'card');
      card.dataset.antenna = key;
      card.append(el('h4', `${a.reader} antenna ${a.antenna}`), el('div', '', 'muted'), el('div'));
      histograms.set(key, rssiHistogram(card.children[2], v.rssi));
      box.append(card);
    }
    const total = a.readsPerMinute.reduce((s, n) => s + n, 0);
    card.dataset.bars = String(a.histogram.filter((n) => n > 0).length);
    card.dataset.reads = String(total);
    card.children[1].textContent =
      `${a.readPoint ?? '?'}${a.zone ? ` (${a.zone})` : ''}, ${a.floorDbm === undefined ? 'no floor' : `floor ${a.floorDbm} dBm`}; ` +
      `reads/min: ${a.readsPerMinute.join(' ')}`;
    histograms.get(key)(a.histogram, a.floorDbm);
  }
  if (!v.antennas.length && !box.children.length)
    box.replaceChildren(el('p', 'no RFID reads with an antenna yet', 'muted'));
  else box.querySelector('p')?.remove();
}

function drawPasses(v) {
  const counts = $('pass-counts');
  counts.replaceChildren(
    ...Object.entries(v.passes.counts).map(([point, c]) => {
      const card = el('div', undefined, 'card');
      card.dataset.readPoint = point;
      card.append(el('h4', point), ...Object.entries(c).map(([k, n]) => el('div', `${k}: ${n}`)));
      return card;
    }),
  );
  const body = $('pass-rows');
  for (const t of v.passes.recent) {
    if (t.seq <= lastSeq) continue;
    lastSeq = t.seq;
    const row = el('tr');
    row.dataset.readPoint = t.readPoint;
    row.dataset.kind = t.direction ? `${t.kind} ${t.direction}` : t.kind;
    row.append(
      el('td', time(t.at)),
      el('td', t.readPoint),
      el('td', t.kind),
      el('td', t.direction ?? ''),
      el('td', t.confidence === undefined ? '' : t.confidence.toFixed(2), 'num'),
      el('td', t.unit, 'code'),
      el('td', t.reads, 'num'),
    );
    body.prepend(row);
  }
  while (body.children.length > MAX_ROWS) body.lastChild.remove();
}

function facts(dl, pairs) {
  dl.replaceChildren(...pairs.flatMap(([k, val]) => [el('dt', k), el('dd', val)]));
}

function drawOutbox(v) {
  const o = v.outbox;
  facts($('outbox-now'), [
    ['depth', o.depth],
    ['oldest undelivered', o.oldestAgeS === null ? 'none' : `${o.oldestAgeS} s`],
    ['runway', o.runwayS === null ? 'not filling' : `${Math.round(o.runwayS)} s`],
    ['in / acknowledged per s', `${o.appendRate} / ${o.ackRate}`],
    ['when full', o.policy],
  ]);
  updateOutbox ??= outboxChart($('outbox-chart'));
  updateOutbox(o.series);
  const u = v.uplink;
  facts($('uplink-now'), [
    ['state', u.state],
    ['connects', u.connects],
    ['in flight', u.inflight],
    ...(u.rttMs !== undefined ? [['round trip', `${u.rttMs} ms`]] : []),
    ['events published', v.events.published],
  ]);
}

function drawAlerts(v) {
  $('alerts').replaceChildren(...v.alerts.map((a) => el('p', a)));
  const held = v.holdAlerts.recent;
  $('hold-alerts').hidden = held.length === 0;
  $('hold-alert-rows').replaceChildren(
    ...held.map((a) => {
      const row = el('tr');
      row.dataset.unit = a.unit;
      row.dataset.readPoint = a.readPoint;
      row.append(
        el('td', new Date(a.time).toLocaleTimeString()),
        el('td', a.unit, 'code'),
        el('td', a.readPoint),
        el('td', a.reader),
        el('td', `${a.kind}${a.reason ? `: ${a.reason}` : ''}`),
        el('td', a.reference ?? ''),
        el('td', a.list),
      );
      return row;
    }),
  );
}

async function loadConfig() {
  const res = await fetch('/api/config');
  if (!res.ok) {
    $('check').replaceChildren(el('p', `could not load: ${res.status}`, 'bad'));
    return;
  }
  const c = await res.json();
  $('config-text').textContent = c.text;
  const check = c.check;
  $('check').replaceChildren(
    el('p', `${check.file ?? ''}: ${check.valid ? 'valid' : 'invalid'}`, check.valid ? 'ok' : 'bad'),
    ...(check.reload ? [el('p', check.reload)] : []),
    ...check.problems.map((p) => el('p', p, 'bad code')),
  );
}

const live = new EventSource('/api/live');
live.onopen = () => setLink('live');
live.onerror = () => setLink('lost');
live.onmessage = (m) => {
  const v = JSON.parse(m.data);
  if (v.starting) return;
  $('gateway').textContent = `${v.site} / ${v.gateway}`;
  drawAlerts(v);
  drawReaders(v);
  drawReads(v);
  drawAntennas(v);
  drawPasses(v);
  drawOutbox(v);
  document.body.dataset.updated = v.time;
};
function setLink(state) {
  $('link').textContent = state;
  $('link').dataset.state = state;
}

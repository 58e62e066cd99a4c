/* global document, window, localStorage, location, fetch, URLSearchParams, Option, Image, HTMLInputElement, HTMLSelectElement */
// The labeling page: plain browser JavaScript, no framework and no build step.
// Boxes are kept in image pixels (continuous, 0-based) and turned into VOC integers on save.

const TOKEN_KEY = 'edge-stl-labeling-token';
const HANDLE = 6;
const $ = (id) => document.getElementById(id);

const state = {
  token: localStorage.getItem(TOKEN_KEY),
  job: null,
  classes: [],
  samples: [],
  current: null,
  image: null,
  boxes: [],
  selected: -1,
  scale: 1,
  drag: null,
};

async function api(path, init = {}) {
  const res = await fetch(path, {
    ...init,
    headers: { ...(init.headers || {}), authorization: `Bearer ${state.token}` },
  });
  if (res.status === 401) {
    showLogin('Your token was refused; log in again.');
    throw new Error('unauthorized');
  }
  if (!res.ok) {
    const body = await res.json().catch(() => ({ message: res.statusText }));
    throw new Error(body.message || res.statusText);
  }
  return res;
}

function status(text, isError = false) {
  $('status').textContent = text;
  $('status').className = isError ? 'error' : '';
}

function showLogin(message = '') {
  $('login').classList.remove('hidden');
  $('workspace').classList.add('hidden');
  $('logout').classList.add('hidden');
  $('login-error').textContent = message;
}

async function login(event) {
  event.preventDefault();
  const token = $('token').value;
  const res = await fetch('/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (!res.ok) {
    $('login-error').textContent = 'Wrong token.';
    return;
  }
  state.token = token;
  localStorage.setItem(TOKEN_KEY, token);
  await start();
}

async function start() {
  $('login').classList.add('hidden');
  $('workspace').classList.remove('hidden');
  $('logout').classList.remove('hidden');
  const { jobs } = await (await api('/api/jobs')).json();
  const wanted = new URLSearchParams(location.search).get('job');
  $('job').replaceChildren(
    ...jobs.map((j) => new Option(`${j.namespace}/${j.job}`, `${j.namespace}/${j.job}`)),
  );
  if (wanted && jobs.some((j) => `${j.namespace}/${j.job}` === wanted)) $('job').value = wanted;
  if (jobs.length === 0) status('No jobs to label.');
  else await selectJob($('job').value);
}

async function selectJob(value) {
  state.job = value;
  await refreshSamples();
  if (state.samples.length > 0) await openSample(state.samples[0]);
  else clearCanvas('Nothing left to label.');
}

async function refreshSamples() {
  const data = await (await api(`/api/jobs/${state.job}/samples?limit=200`)).json();
  state.classes = data.classes;
  state.samples = data.samples;
  $('counts').textContent =
    `${data.counts.pending} pending · ${data.counts.labeled} labeled · ${data.counts.total} total`;
  $('class').replaceChildren(...data.classes.map((c, i) => new Option(`${i + 1} ${c}`, c)));
  $('samples').replaceChildren(
    ...data.samples.map((s) => {
      const li = document.createElement('li');
      li.textContent = `${s.node}/${s.id.slice(0, 12)}`;
      li.title = `${s.node}/${s.id} · ${s.uploadedAt}`;
      li.dataset.key = `${s.node}/${s.id}`;
      li.addEventListener('click', () => openSample(s));
      return li;
    }),
  );
  markCurrent();
}

function markCurrent() {
  const key = state.current && `${state.current.node}/${state.current.id}`;
  for (const li of $('samples').children) li.classList.toggle('current', li.dataset.key === key);
}

async function openSample(entry) {
  const base = `/api/jobs/${state.job}/samples/${entry.node}/${entry.id}`;
  const sample = await (await api(base)).json();
  const blob = await (await api(`${base}/image`)).blob();
  const image = new Image();
  image.src = URL.createObjectURL(blob);
  await image.decode();
  state.current = sample;
  state.image = image;
  state.boxes = sample.detections.map((d) => ({ class: d.class, ...d.box, score: d.score }));
  state.selected = -1;
  const canvas = $('canvas');
  // Fit the view: small edge crops are enlarged (up to 3x) so boxes can be drawn precisely.
  state.scale = Math.min(3, 960 / image.width, 640 / image.height);
  canvas.width = Math.round(image.width * state.scale);
  canvas.height = Math.round(image.height * state.scale);
  markCurrent();
  status(`${sample.node}/${sample.id.slice(0, 12)} · ${sample.detections.length} predicted box(es)`);
  draw();
}

function clearCanvas(message) {
  state.current = null;
  state.image = null;
  state.boxes = [];
  const canvas = $('canvas');
  canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
  status(message);
}

function colorOf(cls) {
  const i = Math.max(0, state.classes.indexOf(cls));
  return `hsl(${(i * 137) % 360} 85% 45%)`;
}

function draw() {
  const canvas = $('canvas');
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!state.image) return;
  ctx.drawImage(state.image, 0, 0, canvas.width, canvas.height);
  state.boxes.forEach((b, i) => {
    const [x, y, w, h] = [b.xmin, b.ymin, b.xmax - b.xmin, b.ymax - b.ymin].map((v) => v * state.scale);
    ctx.strokeStyle = colorOf(b.class);
    ctx.lineWidth = i === state.selected ? 3 : 2;
    ctx.strokeRect(x, y, w, h);
    ctx.fillStyle = colorOf(b.class);
    ctx.font = '12px sans-serif';
    const label = b.score === undefined ? b.class : `${b.class} ${b.score.toFixed(2)}`;
    ctx.fillText(label, x + 2, Math.max(12, y - 3));
    if (i === state.selected) {
      for (const [cx, cy] of corners(b))
        ctx.fillRect(cx * state.scale - HANDLE / 2, cy * state.scale - HANDLE / 2, HANDLE, HANDLE);
    }
  });
  if (state.drag && state.drag.kind === 'draw') {
    const d = state.drag;
    ctx.setLineDash([4, 3]);
    ctx.strokeStyle = colorOf($('class').value);
    ctx.strokeRect(
      d.x0 * state.scale,
      d.y0 * state.scale,
      (d.x1 - d.x0) * state.scale,
      (d.y1 - d.y0) * state.scale,
    );
    ctx.setLineDash([]);
  }
}

function corners(b) {
  return [
    [b.xmin, b.ymin],
    [b.xmax, b.ymin],
    [b.xmin, b.ymax],
    [b.xmax, b.ymax],
  ];
}

function toImage(event) {
  const rect = $('canvas').getBoundingClientRect();
  const sx = $('canvas').width / rect.width;
  const x = ((event.clientX - rect.left) * sx) / state.scale;
  const y = ((event.clientY - rect.top) * sx) / state.scale;
  return [clamp(x, 0, state.image.width), clamp(y, 0, state.image.height)];
}

function clamp(v, lo, hi) {
  return Math.min(hi, Math.max(lo, v));
}

function hitCorner(x, y) {
  const r = (HANDLE * 1.5) / state.scale;
  for (let i = state.boxes.length - 1; i >= 0; i--) {
    const c = corners(state.boxes[i]).findIndex(([cx, cy]) => Math.abs(cx - x) <= r && Math.abs(cy - y) <= r);
    if (c >= 0) return { box: i, corner: c };
  }
  return null;
}

function hitBox(x, y) {
  for (let i = state.boxes.length - 1; i >= 0; i--) {
    const b = state.boxes[i];
    if (x >= b.xmin && x <= b.xmax && y >= b.ymin && y <= b.ymax) return i;
  }
  return -1;
}

function onMouseDown(event) {
  if (!state.image) return;
  const [x, y] = toImage(event);
  const corner = hitCorner(x, y);
  if (corner) {
    state.selected = corner.box;
    state.drag = { kind: 'corner', ...corner };
  } else if (hitBox(x, y) >= 0 && !event.shiftKey) {
    state.selected = hitBox(x, y);
    $('class').value = state.boxes[state.selected].class;
    state.drag = null;
  } else {
    state.selected = -1;
    state.drag = { kind: 'draw', x0: x, y0: y, x1: x, y1: y };
  }
  draw();
}

function onMouseMove(event) {
  if (!state.drag) return;
  const [x, y] = toImage(event);
  if (state.drag.kind === 'draw') {
    state.drag.x1 = x;
    state.drag.y1 = y;
  } else {
    const b = state.boxes[state.drag.box];
    const c = state.drag.corner;
    if (c === 0 || c === 2) b.xmin = x;
    else b.xmax = x;
    if (c === 0 || c === 1) b.ymin = y;
    else b.ymax = y;
    delete b.score;
  }
  draw();
}

function onMouseUp() {
  const d = state.drag;
  state.drag = null;
  if (!d) return;
  if (d.kind === 'draw') {
    const box = {
      class: $('class').value,
      xmin: Math.min(d.x0, d.x1),
      ymin: Math.min(d.y0, d.y1),
      xmax: Math.max(d.x0, d.x1),
      ymax: Math.max(d.y0, d.y1),
    };
    if (box.xmax - box.xmin >= 2 && box.ymax - box.ymin >= 2) {
      state.boxes.push(box);
      state.selected = state.boxes.length - 1;
    }
  } else {
    const b = state.boxes[d.box];
    [b.xmin, b.xmax] = [Math.min(b.xmin, b.xmax), Math.max(b.xmin, b.xmax)];
    [b.ymin, b.ymax] = [Math.min(b.ymin, b.ymax), Math.max(b.ymin, b.ymax)];
  }
  draw();
}

function setClass(cls) {
  if (!state.classes.includes(cls)) return;
  $('class').value = cls;
  if (state.selected >= 0) {
    state.boxes[state.selected].class = cls;
    delete state.boxes[state.selected].score;
    draw();
  }
}

function deleteSelected() {
  if (state.selected < 0) return;
  state.boxes.splice(state.selected, 1);
  state.selected = -1;
  draw();
}

/** VOC boxes: 1-based inclusive integer pixels inside the image, known classes only. */
function vocBoxes() {
  const { width, height } = state.current.image;
  return state.boxes
    .filter((b) => state.classes.includes(b.class))
    .map((b) => ({
      class: b.class,
      xmin: clamp(Math.round(b.xmin) + 1, 1, width),
      ymin: clamp(Math.round(b.ymin) + 1, 1, height),
      xmax: clamp(Math.round(b.xmax), 1, width),
      ymax: clamp(Math.round(b.ymax), 1, height),
    }))
    .filter((b) => b.xmin < b.xmax && b.ymin < b.ymax);
}

async function save() {
  if (!state.current) return;
  const { node, id } = state.current;
  const boxes = vocBoxes();
  try {
    await api(`/api/jobs/${state.job}/samples/${node}/${id}/labels`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ boxes }),
    });
  } catch (err) {
    status(`Save failed: ${err.message}`, true);
    return;
  }
  const done = `${node}/${id}`;
  const at = state.samples.findIndex((s) => `${s.node}/${s.id}` === done);
  await refreshSamples();
  status(`Saved ${boxes.length} box(es) for ${node}/${id.slice(0, 12)}`);
  if (state.samples.length > 0)
    await openSample(state.samples[Math.min(Math.max(at, 0), state.samples.length - 1)]);
  else clearCanvas(`Saved ${boxes.length} box(es). Nothing left to label.`);
}

async function next() {
  if (state.samples.length === 0) return;
  const at = state.samples.findIndex(
    (s) => state.current && s.node === state.current.node && s.id === state.current.id,
  );
  await openSample(state.samples[(at + 1) % state.samples.length]);
}

function onKey(event) {
  if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement || !state.current)
    return;
  const key = event.key.toLowerCase();
  if (key === 'a' || key === 's') void save();
  else if (key === 'd' || key === 'delete' || key === 'backspace') deleteSelected();
  else if (key === 'n') void next();
  else if (/^[1-9]$/.test(key)) setClass(state.classes[Number(key) - 1]);
  else return;
  event.preventDefault();
}

function wire() {
  $('login').addEventListener('submit', (e) => void login(e));
  $('logout').addEventListener('click', () => {
    localStorage.removeItem(TOKEN_KEY);
    state.token = null;
    showLogin();
  });
  $('job').addEventListener('change', (e) => void selectJob(e.target.value));
  $('class').addEventListener('change', (e) => setClass(e.target.value));
  $('accept').addEventListener('click', () => void save());
  $('save').addEventListener('click', () => void save());
  $('delete').addEventListener('click', deleteSelected);
  $('next').addEventListener('click', () => void next());
  const canvas = $('canvas');
  canvas.addEventListener('mousedown', onMouseDown);
  window.addEventListener('mousemove', onMouseMove);
  window.addEventListener('mouseup', onMouseUp);
  document.addEventListener('keydown', onKey);
}

wire();
if (state.token) start().catch((err) => status(err.message, true));
else showLogin();

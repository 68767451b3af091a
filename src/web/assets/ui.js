// Small DOM helpers the views share: building elements (text always as text, never as
// HTML), icons, a status message, dialogs for confirm and prompt, and formatting of sizes,
// dates and durations.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

const PATHS = {
  back: 'M15 5l-7 7 7 7',
  close: 'M6 6l12 12M18 6L6 18',
  left: 'M15 5l-7 7 7 7',
  right: 'M9 5l7 7-7 7',
  info: 'M12 11v6M12 7.5v.5M12 3a9 9 0 100 18 9 9 0 000-18z',
  download: 'M12 4v11m-5-5l5 5 5-5M5 20h14',
  share: 'M12 15V4m-4 4l4-4 4 4M6 12v8h12v-8',
  trash: 'M5 7h14M10 7V4h4v3m-7 0l1 13h8l1-13',
  folder: 'M3 6h6l2 2h10v11H3z',
  plus: 'M12 5v14M5 12h14',
  upload: 'M12 20V9m-5 5l5-5 5 5M5 4h14',
  clock: 'M12 7v5l3 3M12 3a9 9 0 100 18 9 9 0 000-18z',
  logout: 'M15 12H4m4-4l-4 4 4 4M14 4h6v16h-6',
  edit: 'M4 20h4L19 9l-4-4L4 16zM13 7l4 4',
  play: 'M8 5v14l11-7z',
  broken: 'M4 4h16v16H4zM4 15l5-5 4 4M14 13l2-2 4 4',
  zoom: 'M10 4a6 6 0 100 12 6 6 0 000-12zM14.5 14.5L20 20M10 7v6M7 10h6',
};

export function icon(name) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', PATHS[name]);
  svg.append(path);
  return svg;
}

/// A button with an icon and an accessible label (shown as text when `text` is set).
export function button(iconName, label, onclick, { text = false, cls = '' } = {}) {
  return h('button', { type: 'button', class: `btn ${cls}`, 'aria-label': label, title: label, onclick },
    icon(iconName), text ? h('span', {}, label) : null);
}

let toastTimer;
export function toast(message, { error = false } = {}) {
  let el = document.getElementById('toast');
  if (!el) { el = h('div', { id: 'toast', role: 'status' }); document.body.append(el); }
  el.textContent = message;
  el.className = error ? 'show error' : 'show';
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = ''; }, error ? 7000 : 3500);
}

function dialog(build) {
  return new Promise((resolve) => {
    const d = h('dialog', { class: 'dialog' });
    const done = (value) => { d.close(); d.remove(); resolve(value); };
    d.addEventListener('cancel', (e) => { e.preventDefault(); done(null); });
    d.append(build(done));
    document.body.append(d);
    d.showModal();
  });
}

export function confirmDialog(message, okLabel = 'Delete') {
  return dialog((done) => h('form', { method: 'dialog', onsubmit: (e) => { e.preventDefault(); done(true); } },
    h('p', {}, message),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => done(false) }, 'Cancel'),
      h('button', { type: 'submit', class: 'btn danger', autofocus: true }, okLabel))))
    .then(Boolean);
}

export function promptDialog(title, value = '', okLabel = 'Save') {
  return dialog((done) => {
    const input = h('input', { type: 'text', value, maxlength: '99', required: true, 'aria-label': title });
    return h('form', { onsubmit: (e) => { e.preventDefault(); done(input.value.trim() || null); } },
      h('label', {}, h('span', {}, title), input),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => done(null) }, 'Cancel'),
        h('button', { type: 'submit', class: 'btn primary' }, okLabel)));
  });
}

/// Shows a link to copy (the clipboard API needs a secure origin, which a LAN server is not).
export function linkDialog(title, link) {
  return dialog((done) => {
    const input = h('input', { type: 'text', value: link, readonly: true, 'aria-label': 'Link' });
    const copy = async () => {
      input.select();
      try { await navigator.clipboard.writeText(link); } catch { document.execCommand('copy'); }
      toast('Link copied');
    };
    setTimeout(() => input.select(), 0);
    return h('div', {}, h('p', {}, title), input,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => done(null) }, 'Close'),
        h('button', { type: 'button', class: 'btn primary', onclick: copy }, 'Copy link')));
  });
}

export function formatSize(bytes) {
  if (!(bytes >= 0)) return '';
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (bytes >= 1000 && i < units.length - 1) { bytes /= 1000; i++; }
  return `${i ? bytes.toFixed(bytes < 10 ? 1 : 0) : bytes} ${units[i]}`;
}

export const formatDate = (seconds) => seconds === undefined ? '' : new Date(seconds * 1000)
  .toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDuration(seconds) {
  if (!(seconds > 0)) return '';
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`
    : `${m}:${String(s % 60).padStart(2, '0')}`;
}

/// 'YYYY-MM' → 'May 2024'.
export function monthLabel(month) {
  if (!month) return 'No date';
  const [y, m] = month.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, 15)).toLocaleString(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' });
}

export function plural(n, one, many = one + 's') { return `${n.toLocaleString()} ${n === 1 ? one : many}`; }

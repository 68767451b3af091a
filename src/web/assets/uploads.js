// Uploading into a folder, as the page shows it: pick files or drop them on the folder, a
// panel with each file's progress and the total, errors in plain words with a retry, and
// the folder redrawn when files arrive. The protocol work (uploadFileInfo, uploadFile with
// sha1 checked, resuming from uploadingInfo after a dropped connection or a reload) is
// upload.js's.

import { uploadFiles, pendingUploads } from './upload.js';
import { expireSession } from './api.js';
import { h, button, formatSize, toast, plural } from './ui.js';

let busy = false;

export function pickAndUpload(catalogId, done) {
  const input = h('input', { type: 'file', multiple: true, accept: 'image/*,video/*', hidden: true });
  input.addEventListener('change', () => { if (input.files.length) upload([...input.files], catalogId, done); input.remove(); });
  document.body.append(input);
  input.click();
}

/// Files dropped anywhere on `area` go into the folder.
export function acceptDrops(area, catalogId, done) {
  if (area.dataset.drops === String(catalogId)) return;
  area.dataset.drops = String(catalogId);
  area.addEventListener('dragover', (e) => { if (e.dataTransfer?.types.includes('Files')) { e.preventDefault(); area.classList.add('dropping'); } });
  area.addEventListener('dragleave', () => area.classList.remove('dropping'));
  area.addEventListener('drop', (e) => {
    area.classList.remove('dropping');
    if (!e.dataTransfer?.files.length) return;
    e.preventDefault();
    upload([...e.dataTransfer.files], Number(area.dataset.drops), done);
  });
  const pending = pendingUploads();
  if (pending.length) toast(`${plural(pending.length, 'unfinished upload')}: pick the same files again to resume.`);
}

async function upload(files, catalogId, done) {
  if (busy) { toast('An upload is already running.'); return; }
  busy = true;
  const controller = new AbortController();
  const rows = files.map((f) => ({ bar: h('progress', { max: f.size || 1, value: 0 }), note: h('span', { class: 'note' }) }));
  const total = h('progress', { max: files.reduce((n, f) => n + f.size, 0) || 1, value: 0 });
  const heading = h('strong', {}, `Uploading ${plural(files.length, 'file')}`);
  const cancel = button('close', 'Cancel uploads', () => controller.abort());
  const panel = h('section', { class: 'uploads', 'aria-label': 'Uploads' },
    h('div', { class: 'head' }, heading, cancel),
    total,
    h('ul', {}, files.map((f, i) => h('li', {}, h('span', { class: 'name' }, f.name), rows[i].bar, rows[i].note))));
  document.body.append(panel);
  // Room below the page while the panel is up, so the last files can be scrolled above it.
  const room = new ResizeObserver(() => {
    document.body.style.paddingBottom = `calc(${panel.offsetHeight + 24}px + env(safe-area-inset-bottom))`;
  });
  room.observe(panel);
  const close = () => {
    room.disconnect();
    panel.remove();
    if (!document.querySelector('.uploads')) document.body.style.paddingBottom = ''; // a newer panel keeps its room
  };
  const onProgress = (p) => {
    rows[p.index].bar.value = p.state === 'hashing' ? (p.hashed || 0) : p.sent;
    rows[p.index].note.textContent = p.state === 'hashing' ? 'checking…' : p.state === 'resuming' ? 'resuming…'
      : p.state === 'done' ? 'done' : `${formatSize(p.sent)} of ${formatSize(p.size)}`;
    total.value = p.totalSent;
  };
  let results = [];
  try {
    results = await uploadFiles(files, catalogId, { onProgress, signal: controller.signal });
  } catch (e) {
    // A lost session: the login page, then back here; picking the files again resumes them.
    if (e.code === -10001) { close(); busy = false; expireSession(); return; }
    results = files.map((file) => ({ file, ok: false, error: e.message }));
  } finally {
    busy = false;
  }
  const failed = results.filter((r) => !r.ok);
  results.forEach((r, i) => {
    rows[i].note.textContent = r.ok ? 'done' : r.error;
    rows[i].note.classList.toggle('error', !r.ok);
  });
  heading.textContent = failed.length ? `${plural(failed.length, 'file')} not uploaded` : `Uploaded ${plural(files.length, 'file')}`;
  const closer = button('close', 'Close', close);
  cancel.replaceWith(closer);
  if (failed.length) {
    closer.before(button('upload', 'Retry', () => { close(); upload(failed.map((r) => r.file), catalogId, done); }, { text: true }));
  } else setTimeout(close, 4000);
  if (failed.length < files.length) done?.();
}

// The full-screen viewer over a grid's files: the screen-size thumbnail (level 1) sized from
// the stored width and height before it loads, the original once zoomed in; swipe, arrow keys
// and buttons to the neighbours (whose images are fetched ahead); pinch, double-tap and wheel
// zoom with panning; Esc or the browser's back to close. Videos play from downFile with Range
// (seekable), the thumbnail as poster, and say so plainly when the browser cannot decode them.

import { get, post, fileUrl, thumbUrl, isVisual, TYPE } from './api.js';
import { h, button, confirmDialog, linkDialog, toast, formatDate, formatSize, formatDuration } from './ui.js';

const SWIPE = 60;              // pixels of horizontal travel that turn the page
const MAX_ZOOM = 6;

/// Opens file `index` of `grid`; `changed()` redraws the place after a delete.
export async function openViewer(grid, index, changed) {
  const stage = h('div', { class: 'stage' });
  const info = h('aside', { class: 'info', hidden: true });
  const title = h('span', { class: 'title' });
  const el = h('div', { class: 'viewer', role: 'dialog', 'aria-modal': 'true', 'aria-label': 'Viewer', tabindex: '-1' },
    h('div', { class: 'top' },
      button('close', 'Close', () => history.back()), title,
      button('info', 'Details', () => { info.hidden = !info.hidden; }),
      button('share', 'Share', () => share()),
      h('a', { class: 'btn', 'aria-label': 'Download', title: 'Download', download: '', href: '#' }),
      button('trash', 'Delete', () => remove())),
    stage,
    button('left', 'Previous', () => go(-1), { cls: 'prev' }),
    button('right', 'Next', () => go(1), { cls: 'next' }),
    info);
  const download = el.querySelector('a[download]');
  download.append(...button('download', '').childNodes);
  let file, zoom = 1, panX = 0, panY = 0, content, deleted = false;

  history.pushState({ ...history.state, viewer: true }, '');
  document.body.append(el);
  document.body.classList.add('viewing');
  el.focus();

  const close = () => {
    removeEventListener('popstate', close);
    removeEventListener('keydown', keys);
    el.remove();
    document.body.classList.remove('viewing');
    if (deleted) changed(); else grid.focusIndex(index);
  };
  addEventListener('popstate', close);
  const keys = (e) => {
    if (document.querySelector('dialog[open]')) return;
    if (e.key === 'ArrowRight') go(1);
    else if (e.key === 'ArrowLeft') go(-1);
    else if (e.key === 'Escape') history.back();
    else if (e.key === 'i') info.hidden = !info.hidden;
    else return;
    e.preventDefault();
  };
  addEventListener('keydown', keys);

  async function show(i) {
    index = i;
    file = await grid.load(i);
    if (!file || index !== i) return;
    zoom = 1; panX = panY = 0;
    title.textContent = file.name;
    download.href = fileUrl(file);
    download.setAttribute('download', file.name);
    el.dataset.index = i;
    el.dataset.id = file.id;
    content = file.type === TYPE.video ? video(file) : isVisual(file) ? picture(file) : other(file);
    stage.replaceChildren(content);
    info.replaceChildren(...details(file));
    for (const n of [i + 1, i - 1]) if (n >= 0 && n < grid.total) preload(n);
  }

  function picture(f) {
    const img = h('img', { alt: f.name, draggable: 'false', src: thumbUrl(f.id, 1) });
    const fit = Math.min(1, innerWidth / (f.width || innerWidth), innerHeight / (f.height || innerHeight));
    if (f.width && f.height) { img.style.width = `${f.width * fit}px`; img.style.height = `${f.height * fit}px`; }
    if (f.type === TYPE.gif) img.src = fileUrl(f);
    img.addEventListener('error', () => img.closest('.stage')?.replaceChildren(h('p', { class: 'error' },
      'This picture cannot be shown. Download it to open it elsewhere.')), { once: true });
    return img;
  }

  function video(f) {
    const v = h('video', { controls: true, playsinline: true, preload: 'metadata', poster: thumbUrl(f.id, 1), src: fileUrl(f) });
    v.addEventListener('error', () => v.replaceWith(h('div', { class: 'nocodec' },
      h('p', {}, 'This browser cannot play this video.'),
      h('a', { class: 'btn primary', href: fileUrl(f), download: f.name }, 'Download it'))), { once: true });
    return v;
  }

  function other(f) {
    return h('div', { class: 'nocodec' }, h('p', {}, f.name),
      h('a', { class: 'btn primary', href: fileUrl(f), download: f.name }, 'Download'));
  }

  function details(f) {
    const rows = [['Name', f.name], ['Date', formatDate(f.createTime)], ['Size', formatSize(f.size)],
      ['Dimensions', f.width && f.height ? `${f.width} × ${f.height}` : ''], ['Duration', formatDuration(f.duration)]];
    return [h('dl', {}, rows.filter(([, v]) => v).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))];
  }

  async function preload(n) {
    const f = await grid.load(n).catch(() => null);
    if (f && isVisual(f) && f.type !== TYPE.video) new Image().src = thumbUrl(f.id, 1);
  }

  function go(step) {
    const next = index + step;
    if (next < 0 || next >= grid.total) return;
    show(next);
  }

  function applyZoom() {
    if (!content || content.tagName !== 'IMG') return;
    content.style.transform = `translate(${panX}px, ${panY}px) scale(${zoom})`;
    if (zoom > 1.5 && file.type === TYPE.image && !content.dataset.original) {
      content.dataset.original = '1';
      const original = new Image();
      original.onload = () => { if (content.dataset.original) content.src = original.src; };
      original.src = fileUrl(file);   // a format the browser cannot decode keeps the thumbnail
    }
  }

  // Gestures: one pointer swipes (or pans when zoomed), two pinch, a double tap zooms.
  const pointers = new Map();
  let start = null, lastTap = 0, pinch = null;
  stage.addEventListener('pointerdown', (e) => {
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    stage.setPointerCapture(e.pointerId);
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      pinch = { d: Math.hypot(a.x - b.x, a.y - b.y), zoom };
    } else start = { x: e.clientX, y: e.clientY, panX, panY };
  });
  stage.addEventListener('pointermove', (e) => {
    if (!pointers.has(e.pointerId)) return;
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pinch && pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      zoom = Math.min(MAX_ZOOM, Math.max(1, (pinch.zoom * Math.hypot(a.x - b.x, a.y - b.y)) / pinch.d));
      applyZoom();
    } else if (start && zoom > 1) {
      panX = start.panX + e.clientX - start.x; panY = start.panY + e.clientY - start.y;
      applyZoom();
    } else if (start && content) {
      content.style.transform = `translateX(${e.clientX - start.x}px)`;
    }
  });
  const end = (e) => {
    if (!pointers.delete(e.pointerId)) return;
    if (pinch) { if (pointers.size < 2) pinch = null; start = null; return; }
    if (!start) return;
    const dx = e.clientX - start.x, dy = e.clientY - start.y;
    const wasZoomed = zoom > 1;
    start = null;
    if (!wasZoomed && content) content.style.transform = '';
    if (!wasZoomed && Math.abs(dx) > SWIPE && Math.abs(dx) > Math.abs(dy)) { go(dx < 0 ? 1 : -1); return; }
    if (Math.abs(dx) < 10 && Math.abs(dy) < 10) {
      const now = Date.now();
      if (now - lastTap < 300) { zoom = zoom > 1 ? 1 : 2.5; panX = panY = 0; applyZoom(); lastTap = 0; } else lastTap = now;
    }
  };
  stage.addEventListener('pointerup', end);
  stage.addEventListener('pointercancel', end);
  stage.addEventListener('wheel', (e) => {
    e.preventDefault();
    zoom = Math.min(MAX_ZOOM, Math.max(1, zoom * (e.deltaY < 0 ? 1.2 : 1 / 1.2)));
    if (zoom === 1) panX = panY = 0;
    applyZoom();
  }, { passive: false });

  async function share() {
    try {
      const key = await get('/shareFileUrl.icc', { id: file.id });
      await linkDialog('Anyone with this link can see and download this file while the link lasts.', `${location.origin}/web/s/${key}`);
    } catch (e) { toast(e.message, { error: true }); }
  }

  async function remove() {
    if (!(await confirmDialog(`Delete “${file.name}” from the disk? This cannot be undone.`))) return;
    try {
      await post('/deleteFiles.icc', { ids: file.id });
      toast(`Deleted “${file.name}”`);
      deleted = true;
      history.back();
    } catch (e) { toast(e.message, { error: true }); }
  }

  await show(index);
}

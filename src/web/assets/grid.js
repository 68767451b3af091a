// A virtualised grid of square tiles over any number of files, in sections (the timeline's
// months; one unlabelled section for a folder). Only the rows near the screen exist in the
// DOM, drawn from a pool that is reused as the page scrolls, so 100,000 files cost the same
// few hundred elements as 100. Files are fetched by page as their rows come near; tiles are
// placeholders of the final size until their thumbnail arrives, so nothing moves. Browsers cap
// an element's height (about 17 million pixels in Firefox, 33 in Chrome); beyond CAP the
// scrollbar maps onto the content proportionally, so every file stays reachable.

import { isVisual } from './api.js';
import { showThumb } from './thumbs.js';
import { h, icon, formatDuration, monthLabel } from './ui.js';

const PAGE = 200;
const CAP = 6e6;
const GAP = 2;
const HEADER = 44;
const OVERSCAN = 600;          // pixels drawn beyond the screen, above and below
const MAX_PAGE_LOADS = 2;

export class Grid {
  /// sections: [{label, count}]; fetchPage(offset, limit) → Promise<[file…]>;
  /// onOpen(index) when a tile is chosen; start: index to show first.
  constructor({ sections, fetchPage, onOpen, start = 0, onAnchor }) {
    this.sections = sections;
    this.total = sections.reduce((n, s) => n + s.count, 0);
    this.fetchPage = fetchPage;
    this.onOpen = onOpen;
    this.onAnchor = onAnchor;
    this.pages = new Map();     // page number → [file…] | 'loading'
    this.loads = 0;
    this.rows = new Map();      // key → row element in use
    this.free = [];             // row elements to reuse
    this.el = h('div', { class: 'grid', role: 'list', 'aria-label': 'Files' });
    this.frame = 0;
    this.schedule = () => { if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.render(); }); };
    this.onResize = () => { const a = this.anchor(); this.layout(); this.scrollToIndex(a); };
    addEventListener('scroll', this.schedule, { passive: true });
    addEventListener('resize', this.onResize);
    this.started = start;
  }

  /// Called once the grid is in the document.
  mount() {
    this.layout();
    if (this.started) this.scrollToIndex(this.started); else this.render();
  }

  destroy() {
    removeEventListener('scroll', this.schedule);
    removeEventListener('resize', this.onResize);
    cancelAnimationFrame(this.frame);
    for (const row of [...this.rows.values(), ...this.free]) for (const t of row.children) release(t);
  }

  layout() {
    const width = this.el.clientWidth || innerWidth;
    const target = width < 600 ? 110 : width < 1100 ? 150 : 180;
    this.cols = Math.max(3, Math.floor((width + GAP) / (target + GAP)));
    this.tile = (width - GAP * (this.cols - 1)) / this.cols;
    this.rowHeight = this.tile + GAP;
    this.level = this.tile * (devicePixelRatio || 1) > 320 ? 1 : 0;
    let top = 0, start = 0;
    this.layoutSections = this.sections.map((s) => {
      const header = s.label === undefined ? 0 : HEADER;
      const rows = Math.ceil(s.count / this.cols);
      const entry = { ...s, start, top, header, rows, height: header + rows * this.rowHeight };
      top += entry.height; start += s.count;
      return entry;
    });
    this.natural = top;
    this.el.style.height = `${Math.min(top, CAP)}px`;
    for (const row of this.rows.values()) this.recycle(row);
    this.rows.clear();
  }

  /// The grid's scroll geometry: how far the page is scrolled into it, and where that is in
  /// the content (they differ only beyond CAP).
  view() {
    const top = this.el.getBoundingClientRect().top + scrollY;
    const scrolled = scrollY - top;
    const shown = Math.min(this.natural, CAP);
    const k = this.natural > CAP ? (this.natural - innerHeight) / Math.max(1, shown - innerHeight) : 1;
    return { top, scrolled, virtual: scrolled > 0 ? scrolled * k : scrolled, k };
  }

  sectionAt(y) {
    const list = this.layoutSections;
    let lo = 0, hi = list.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (list[mid].top <= y) lo = mid; else hi = mid - 1; }
    return lo;
  }

  /// The index of the first file on screen (kept across resizes and history steps).
  anchor() {
    if (!this.layoutSections?.length) return 0;
    const { virtual } = this.view();
    const y = Math.max(0, virtual);
    const s = this.layoutSections[this.sectionAt(y)];
    const row = Math.max(0, Math.floor((y - s.top - s.header) / this.rowHeight));
    return Math.min(this.total - 1, s.start + row * this.cols);
  }

  /// Top of the row (or header, for a section's first file) holding `index`, in content pixels.
  offsetOf(index) {
    const s = this.layoutSections.find((x) => index < x.start + x.count) || this.layoutSections.at(-1);
    if (!s) return 0;
    const row = Math.floor((index - s.start) / this.cols);
    return row === 0 ? s.top : s.top + s.header + row * this.rowHeight;
  }

  scrollToIndex(index) {
    const { top, k } = this.view();
    scrollTo(0, top + this.offsetOf(index) / k);
    this.render();
  }

  /// Brings file `index` into view and gives its tile the keyboard focus (back from the viewer,
  /// so a keyboard user goes on from the file they were looking at).
  focusIndex(index) {
    this.scrollToIndex(index);
    this.el.querySelector(`.tile[data-index="${index}"]`)?.focus({ preventScroll: true });
  }

  /// Content offset → page scroll position (for the timeline's scrubber).
  scrollToOffset(y) { const { top, k } = this.view(); scrollTo(0, top + y / k); }

  render() {
    if (!this.layoutSections) return;
    const { scrolled, virtual } = this.view();
    const from = virtual - OVERSCAN, to = virtual + innerHeight + OVERSCAN;
    const wanted = new Map();
    for (let si = this.sectionAt(Math.max(0, from)); si < this.layoutSections.length; si++) {
      const s = this.layoutSections[si];
      if (s.top > to) break;
      if (s.header && s.top + s.header > from) wanted.set(`h${si}`, { s, y: s.top, header: true });
      const first = Math.max(0, Math.floor((from - s.top - s.header) / this.rowHeight));
      const last = Math.min(s.rows - 1, Math.floor((to - s.top - s.header) / this.rowHeight));
      for (let r = first; r <= last; r++) wanted.set(`r${si}:${r}`, { s, r, y: s.top + s.header + r * this.rowHeight });
    }
    for (const [key, row] of this.rows) if (!wanted.has(key)) { this.recycle(row); this.rows.delete(key); }
    const shift = scrolled > 0 ? scrolled - virtual : 0;
    for (const [key, want] of wanted) {
      let row = this.rows.get(key);
      if (!row) { row = this.take(want); this.rows.set(key, row); }
      row.style.transform = `translateY(${want.y + shift}px)`;
      if (!want.header) this.fill(row, want.s.start + want.r * this.cols, want.s.start + want.s.count);
    }
    this.onAnchor?.(this.anchor());
  }

  take(want) {
    if (want.header) {
      const el = h('h2', { class: 'month' }, monthLabel(want.s.label));
      this.el.append(el);
      return el;
    }
    let row = this.free.pop();
    if (!row) {
      row = h('div', { class: 'row', role: 'presentation' });
      this.el.append(row);
    }
    row.hidden = false;
    row.style.height = `${this.tile}px`;
    return row;
  }

  recycle(row) {
    if (row.tagName === 'H2') { row.remove(); return; }
    for (const t of row.children) release(t);
    row.hidden = true;
    if (this.free.length < 64) this.free.push(row); else row.remove();
  }

  /// Puts files [first, first + cols) (those before `end`) into the tiles of `row`.
  fill(row, first, end) {
    while (row.children.length < this.cols) row.append(this.newTile());
    while (row.children.length > this.cols) { release(row.lastChild); row.lastChild.remove(); }
    [...row.children].forEach((tile, i) => {
      tile.style.width = tile.style.height = `${this.tile}px`;
      tile.style.left = `${i * (this.tile + GAP)}px`;
      const index = first + i;
      if (index >= end) { release(tile); tile.hidden = true; return; }
      tile.hidden = false;
      const file = this.file(index);
      if (tile.index === index && tile.file === file) return;
      release(tile);
      tile.index = index;
      tile.file = file;
      tile.dataset.index = index;
      tile.classList.toggle('loading', !file);
      if (!file) { tile.setAttribute('aria-label', 'Loading'); return; }
      tile.dataset.id = file.id;
      tile.setAttribute('aria-label', file.name);
      tile.classList.toggle('video', file.type === 4);
      if (file.type === 4 && file.duration) tile.querySelector('.badge').textContent = formatDuration(file.duration);
      if (isVisual(file)) tile.cancel = showThumb(tile.querySelector('img'), file.id, this.level);
      else { tile.classList.add('other'); tile.querySelector('.label').textContent = file.name; }
    });
  }

  newTile() {
    const tile = h('button', { type: 'button', class: 'tile', role: 'listitem',
      onclick: () => tile.file && this.onOpen(tile.index) },
    h('img', { alt: '', decoding: 'async', draggable: 'false' }), h('span', { class: 'badge' }), h('span', { class: 'label' }),
    h('span', { class: 'mark' }, icon('broken')));
    return tile;
  }

  /// File `index` if its page is here; asks for the page otherwise.
  file(index) {
    const page = Math.floor(index / PAGE);
    const got = this.pages.get(page);
    if (Array.isArray(got)) return got[index - page * PAGE];
    if (!got && this.loads < MAX_PAGE_LOADS) this.loadPage(page);
    return undefined;
  }

  loadPage(page) {
    this.pages.set(page, 'loading');
    this.loads++;
    this.fetchPage(page * PAGE, PAGE)
      .then((files) => this.pages.set(page, files), () => this.pages.delete(page))
      .finally(() => { this.loads--; this.schedule(); });
  }

  /// File `index`, fetched if need be (for the viewer).
  async load(index) {
    const page = Math.floor(index / PAGE);
    if (!Array.isArray(this.pages.get(page))) this.pages.set(page, await this.fetchPage(page * PAGE, PAGE));
    return this.pages.get(page)[index - page * PAGE];
  }
}

function release(tile) {
  tile.cancel?.();
  tile.cancel = null;
  tile.index = tile.file = undefined;
  const img = tile.querySelector('img');
  if (img) img.removeAttribute('src');
  tile.classList.remove('broken', 'video', 'other');
  const badge = tile.querySelector('.badge'), label = tile.querySelector('.label');
  if (badge) badge.textContent = '';
  if (label) label.textContent = '';
}

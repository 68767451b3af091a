// The timeline: all of the user's photos and videos by capture date, newest first, one
// section per month with a header, and a scrubber beside it built from the per-month counts
// (/web/months.json), so a year ago is one drag away without loading what lies between.

import { get, TYPE } from './api.js';
import { Grid } from './grid.js';
import { h, monthLabel, plural } from './ui.js';
import { header, refresh } from './main.js';

const VISUAL = `${TYPE.image},${TYPE.gif},${TYPE.video}`;

export async function showTimeline(app) {
  const utcOffset = -new Date().getTimezoneOffset() * 60;
  const months = await get('/web/months.json', { types: VISUAL, utcOffset });
  const grid = new Grid({
    sections: months.map((m) => ({ label: m.month, count: m.count })),
    fetchPage: (offset, limit) => get('/web/files.json', { types: VISUAL, sort: '-date', offset, limit }).then((d) => d.list),
    onOpen: (index) => import('./viewer.js').then((m) => m.openViewer(grid, index, refresh)),
    start: history.state?.anchor || 0,
  });
  const total = months.reduce((n, m) => n + m.count, 0);
  const scrubber = h('div', { class: 'scrubber', role: 'slider', 'aria-label': 'Jump to a month', tabindex: '0',
    'aria-valuemin': '0', 'aria-valuemax': String(Math.max(0, months.length - 1)) });
  app.replaceChildren(header(h('span', {}, 'Timeline')),
    h('main', { class: 'page timeline' }, h('p', { class: 'summary' }, plural(total, 'photo and video', 'photos and videos')),
      grid.el, scrubber));
  grid.mount();
  drawScrubber(scrubber, grid);
  return { destroy: () => grid.destroy() };
}

/// Year marks placed by where their months start in the grid; dragging jumps there.
function drawScrubber(scrubber, grid) {
  const sections = grid.layoutSections;
  let lastYear = '';
  for (const s of sections) {
    const year = (s.label || '').slice(0, 4);
    if (year === lastYear) continue;
    lastYear = year;
    const mark = h('span', { class: 'mark' }, year || '?');
    mark.style.top = `${(100 * s.top) / Math.max(1, grid.natural)}%`;
    scrubber.append(mark);
  }
  const jump = (clientY) => {
    const box = scrubber.getBoundingClientRect();
    const y = Math.min(1, Math.max(0, (clientY - box.top) / box.height)) * grid.natural;
    const s = sections[grid.sectionAt(y)];
    if (!s) return;
    grid.scrollToOffset(s.top);
    scrubber.setAttribute('aria-valuetext', monthLabel(s.label));
  };
  scrubber.addEventListener('pointerdown', (e) => {
    scrubber.setPointerCapture(e.pointerId);
    jump(e.clientY);
    const move = (m) => jump(m.clientY);
    scrubber.addEventListener('pointermove', move);
    scrubber.addEventListener('pointerup', () => scrubber.removeEventListener('pointermove', move), { once: true });
  });
  scrubber.addEventListener('keydown', (e) => {
    const step = { ArrowDown: 1, ArrowUp: -1, PageDown: 1, PageUp: -1 }[e.key];
    if (!step) return;
    e.preventDefault();
    const here = grid.sectionAt(Math.max(0, grid.view().virtual));
    const s = sections[Math.min(sections.length - 1, Math.max(0, here + step))];
    grid.scrollToOffset(s.top);
    scrubber.setAttribute('aria-valuetext', monthLabel(s.label));
  });
}

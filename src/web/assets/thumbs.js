// The one queue every thumbnail goes through: at most MAX_IN_FLIGHT requests at a time (a
// Raspberry Pi builds thumbnails on two to four cores, and iOS Safari leaves requests beyond
// its own limit pending forever), newest wishes first, and a wish withdrawn when its tile
// scrolls away is dropped from the queue or its request aborted. A thumbnail that cannot be
// built marks its image broken, never leaves a spinner.

import { thumbUrl } from './api.js';

const MAX_IN_FLIGHT = 6;
const waiting = [];            // wishes not started, oldest first
const running = new Set();     // wishes whose request is in flight
export const stats = { inFlight: 0, peak: 0, loaded: 0, failed: 0 };

/// Shows the thumbnail of file `id` at `level` in `img`; returns a function that withdraws it.
export function showThumb(img, id, level) {
  const wish = { img, id, level, controller: null, done: false };
  waiting.push(wish);
  pump();
  return () => withdraw(wish);
}

function withdraw(wish) {
  if (wish.done) return;
  wish.done = true;
  const at = waiting.indexOf(wish);
  if (at >= 0) waiting.splice(at, 1);
  if (wish.controller) wish.controller.abort();
}

function pump() {
  while (running.size < MAX_IN_FLIGHT && waiting.length) start(waiting.pop());
}

async function start(wish) {
  wish.controller = new AbortController();
  running.add(wish);
  stats.inFlight = running.size;
  stats.peak = Math.max(stats.peak, running.size);
  try {
    const answer = await fetch(thumbUrl(wish.id, wish.level), { signal: wish.controller.signal, credentials: 'same-origin' });
    const type = answer.headers.get('Content-Type') || '';
    if (!answer.ok || type.startsWith('application/json')) throw new Error('no thumbnail');
    const blob = await answer.blob();
    if (!wish.done) {
      const url = URL.createObjectURL(blob);
      wish.img.addEventListener('load', () => URL.revokeObjectURL(url), { once: true });
      wish.img.addEventListener('error', () => { URL.revokeObjectURL(url); broken(wish.img); }, { once: true });
      wish.img.src = url;
      stats.loaded++;
    }
  } catch (e) {
    if (e.name !== 'AbortError' && !wish.done) { broken(wish.img); stats.failed++; }
  } finally {
    wish.done = true;
    running.delete(wish);
    stats.inFlight = running.size;
    pump();
  }
}

function broken(img) {
  img.removeAttribute('src');
  img.closest('.tile, .cover')?.classList.add('broken');
}

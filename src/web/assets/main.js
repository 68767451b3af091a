// The gallery's entry point: the places of the page and the URL of each (so reload,
// back/forward and bookmarks work), the header every signed-in place shares, and the way back
// to the login page and from it to the same place when a session ends.

import { onLoggedOut, post } from './api.js';
import { h, button, toast } from './ui.js';

const app = document.getElementById('app');
let current = null;             // the place shown: { destroy() }
let signedIn = false;           // a signed-in place was shown (a lost session is then news)

/// The places: path pattern → module and function that draws it.
const PLACES = [
  [/^\/(web\/?)?$/, () => import('./folders.js').then((m) => m.showLibrary)],
  [/^\/web\/c\/(\d+)$/, () => import('./folders.js').then((m) => m.showFolder)],
  [/^\/web\/timeline$/, () => import('./timeline.js').then((m) => m.showTimeline)],
  [/^\/web\/s\/([0-9a-f]{32})$/, () => import('./share.js').then((m) => m.showShared)],
  [/^\/web\/login$/, () => import('./login.js').then((m) => m.showLogin)],
];

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path); else history.pushState(null, '', path);
  show();
}

async function show() {
  current?.destroy?.();
  current = null;
  const path = location.pathname;
  const place = PLACES.find(([pattern]) => pattern.test(path));
  if (!place) { navigate('/', { replace: true }); return; }
  const draw = await place[1]();
  const args = path.match(place[0]).slice(1).filter((a) => a !== undefined && !a.startsWith('web'));
  try {
    current = await draw(app, ...args);
    if (!path.startsWith('/web/login') && !path.startsWith('/web/s/')) signedIn = true;
  } catch (e) {
    if (e.code !== -10001) { app.replaceChildren(h('p', { class: 'error' }, e.message)); }
  }
}

/// Draws the current place again (after an upload or a delete).
export const refresh = () => navigate(location.pathname + location.search, { replace: true });

/// The header of a signed-in place: a title or breadcrumbs, and actions.
export function header(titleOrTrail, actions = []) {
  return h('header', { class: 'bar' },
    h('a', { href: '/', class: 'home', 'aria-label': 'Library', 'data-link': '' }, 'iSync'),
    h('nav', { class: 'trail', 'aria-label': 'Folders' }, titleOrTrail),
    h('div', { class: 'actions' }, ...actions,
      button('clock', 'Timeline', () => navigate('/web/timeline')),
      button('logout', 'Log out', logout)));
}

async function logout() {
  try { await post('/logout.icc'); } catch { /* the session is gone either way */ }
  navigate('/web/login', { replace: true });
}

onLoggedOut(() => {
  if (location.pathname === '/web/login' || location.pathname.startsWith('/web/s/')) return;
  const next = location.pathname + location.search;
  if (signedIn) toast('Your session has ended. Please log in again.');
  signedIn = false;
  navigate(`/web/login?next=${encodeURIComponent(next)}`, { replace: true });
});

// Same-origin links marked data-link move within the page.
document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-link]');
  if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
addEventListener('popstate', () => { if (!document.querySelector('.viewer')) show(); });
show();

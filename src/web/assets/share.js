// The page a share link opens, for anyone who has the link and no session: the photo, or the
// video ready to play, its name and date, and a download button. The link lives as long as
// protocol §6.2 says (each use extends it); an expired one says so.

import { get, sharedUrl, TYPE } from './api.js';
import { h, icon, formatDate, formatSize } from './ui.js';

export async function showShared(app, key) {
  let file;
  try {
    file = await get('/web/shared.json', { shareKey: key });
  } catch (e) {
    const gone = e.code === -10003 || e.code === -10004;
    app.replaceChildren(h('main', { class: 'center shared' },
      h('h1', {}, 'iSync'), h('p', { class: 'error' }, gone ? 'This link has expired or does not exist.' : e.message)));
    return {};
  }
  const src = sharedUrl(key, file.ext || '');
  let media;
  if (file.type === TYPE.video) {
    media = h('video', { controls: true, playsinline: true, preload: 'metadata', src });
    media.addEventListener('error', () => media.replaceWith(h('p', { class: 'error' },
      'This browser cannot play this video. Download it to watch it.')));
  } else if (file.type === TYPE.image || file.type === TYPE.gif) {
    media = h('img', { src, alt: file.name });
    if (file.width && file.height) { media.width = file.width; media.height = file.height; }
  } else {
    media = h('p', {}, icon('download'));
  }
  const details = [formatDate(file.createTime), formatSize(file.size)].filter(Boolean).join(' · ');
  app.replaceChildren(h('main', { class: 'shared' },
    h('figure', {}, media, h('figcaption', {}, h('strong', {}, file.name), h('span', {}, details))),
    h('a', { class: 'btn primary', href: src, download: file.name }, icon('download'), h('span', {}, 'Download'))));
  return {};
}

// The library (the user's roots) and a folder: breadcrumbs, sub-folders with counts and a
// cover, creating, renaming and deleting folders, and the folder's files in the virtual grid
// with sort and filter (kept in the URL's query, so reload and back keep them).

import { get, post, TYPE } from './api.js';
import { Grid } from './grid.js';
import { showThumb } from './thumbs.js';
import { h, button, icon, confirmDialog, promptDialog, toast, plural } from './ui.js';
import { header, navigate, refresh } from './main.js';

const SORTS = [['-date', 'Newest first'], ['date', 'Oldest first'], ['name', 'Name'], ['-size', 'Largest first']];
const FILTERS = [['', 'All files'], [`${TYPE.image},${TYPE.gif}`, 'Photos'], [`${TYPE.video}`, 'Videos']];

export async function showLibrary(app) {
  const roots = await get('/catalogs.icc', { pids: -1 });
  if (roots.length === 1) { navigate(`/web/c/${roots[0].id}`, { replace: true }); return {}; }
  const cancels = [];
  app.replaceChildren(header(h('span', {}, 'Library')),
    h('main', { class: 'page' }, folderCards(roots, await coverMap(roots), cancels)));
  return { destroy: () => cancels.forEach((c) => c()) };
}

export async function showFolder(app, id) {
  const params = new URLSearchParams(location.search);
  const sort = params.get('sort') || '-date', types = params.get('types') || '';
  const [trail, children] = await Promise.all([get('/web/trail.json', { id }), get('/catalogs.icc', { pids: id })]);
  const folder = trail.at(-1);
  const cancels = [];
  const filter = types || undefined;
  const first = await get('/web/files.json', { pids: id, sort, types: filter, offset: 0, limit: 200 });
  const grid = new Grid({
    sections: [{ count: first.total }],
    fetchPage: (offset, limit) => offset === 0 ? Promise.resolve(first.list)
      : get('/web/files.json', { pids: id, sort, types: filter, offset, limit }).then((d) => d.list),
    onOpen: (index) => import('./viewer.js').then((m) => m.openViewer(grid, index, refresh)),
    start: history.state?.anchor || 0,
    onAnchor: rememberAnchor,
  });
  const choose = (name, options, value) => h('select', { 'aria-label': name, onchange: (e) => {
    const q = new URLSearchParams(location.search);
    q.set(name, e.target.value);
    navigate(`${location.pathname}?${q}`, { replace: true });
  } }, options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
  const crumbs = trail.map((c, i) => i === trail.length - 1 ? h('span', { 'aria-current': 'page' }, c.name)
    : h('a', { href: `/web/c/${c.id}`, 'data-link': '' }, c.name));
  const tools = h('div', { class: 'tools' },
    choose('sort', SORTS, sort), choose('types', FILTERS, types),
    button('plus', 'New folder', () => createFolder(folder), { text: true }),
    button('upload', 'Upload', () => import('./uploads.js').then((m) => m.pickAndUpload(folder.id, refresh)), { text: true }),
    button('edit', 'Rename folder', () => renameFolder(folder)),
    button('trash', 'Delete folder', () => deleteFolder(folder, trail)));
  const summary = h('p', { class: 'summary' },
    [plural(first.total, 'file'), children.length ? plural(children.length, 'folder') : ''].filter(Boolean).join(' · '));
  app.replaceChildren(header(crumbs), h('main', { class: 'page' }, tools,
    children.length ? folderCards(children, await coverMap(children), cancels) : null, summary, grid.el,
    first.total ? null : h('p', { class: 'empty' }, 'No photos or videos here yet.')));
  grid.mount();
  import('./uploads.js').then((m) => m.acceptDrops(app, folder.id, refresh));
  return { destroy: () => { grid.destroy(); cancels.forEach((c) => c()); } };
}

function rememberAnchor(anchor) {
  clearTimeout(rememberAnchor.timer);
  rememberAnchor.timer = setTimeout(() => history.replaceState({ ...history.state, anchor }, ''), 300);
}

async function coverMap(folders) {
  if (!folders.length) return new Map();
  const covers = await get('/web/covers.json', { ids: folders.map((f) => f.id).join(',') });
  return new Map(covers.map((c) => [c.catalogId, c.fileId]));
}

function folderCards(folders, covers, cancels) {
  return h('ul', { class: 'folders' }, folders.map((f) => {
    const img = h('img', { alt: '' });
    const cover = covers.get(f.id);
    if (cover) cancels.push(showThumb(img, cover, 0));
    const counts = [f.fileCount ? plural(f.fileCount, 'file') : '', f.subCatalogCount ? plural(f.subCatalogCount, 'folder') : '']
      .filter(Boolean).join(' · ') || 'Empty';
    return h('li', {}, h('a', { href: `/web/c/${f.id}`, 'data-link': '', class: 'folder' },
      h('span', { class: cover ? 'cover' : 'cover none' }, cover ? img : icon('folder')),
      h('span', { class: 'name' }, f.name), h('span', { class: 'counts' }, counts)));
  }));
}

async function createFolder(parent) {
  const name = await promptDialog('Name of the new folder', '', 'Create');
  if (!name) return;
  try {
    const made = await post('/createCatalog.icc', { parentId: parent.id, name });
    navigate(`/web/c/${made.id}`);
  } catch (e) { toast(e.message, { error: true }); }
}

async function renameFolder(folder) {
  const name = await promptDialog('New name of the folder', folder.name);
  if (!name || name === folder.name) return;
  try {
    await post('/updateCatalog.icc', { id: folder.id, name });
    refresh();
  } catch (e) { toast(e.message, { error: true }); }
}

async function deleteFolder(folder, trail) {
  const what = `Delete the folder “${folder.name}” with everything in it, from the disk too? This cannot be undone.`;
  if (!(await confirmDialog(what))) return;
  try {
    await post('/deleteCatalog.icc', { ids: folder.id });
    toast(`Deleted “${folder.name}”`);
    navigate(trail.length > 1 ? `/web/c/${trail.at(-2).id}` : '/', { replace: true });
  } catch (e) { toast(e.message, { error: true }); }
}

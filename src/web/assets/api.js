// The server's JSON API as the page uses it: protocol §4 (the same endpoints as the iOS
// client) and the gallery's own /web/*.json. Every failure becomes an ApiError with a message
// in plain words; a lost session calls the handler set with onLoggedOut (the app shows the
// login page and comes back to the same place).

const MESSAGES = {
  0: 'The server cannot be reached. Check the connection and try again.',
  '-100': 'The server has no folder set up for you. Ask whoever runs it.',
  '-102': 'The server could not do that (its disk or database failed).',
  '-103': 'The folder could not be deleted completely.',
  '-10000': 'Wrong user name or password.',
  '-10001': 'Your session has ended. Please log in again.',
  '-10002': 'That is not allowed from this page.',
  '-10003': 'The server refused that request.',
  '-10004': 'That file or folder no longer exists.',
  '-10006': 'The file is missing from the disk.',
  '-10007': 'That folder no longer exists.',
  '-10010': 'Nothing was changed.',
};

export class ApiError extends Error {
  constructor(code, message) {
    super(message || MESSAGES[code] || `The server answered with error ${code}.`);
    this.code = code;
  }
}

let loggedOut = () => {};
export function onLoggedOut(handler) { loggedOut = handler; }
/// For requests made outside `call` (uploads): the session is gone.
export function expireSession() { loggedOut(); }

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) q.append(k, String(v));
  return q;
}

async function call(method, path, params = {}, signal) {
  const q = query(params);
  const init = { method, signal, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  let url = path;
  if (method === 'GET') { if ([...q].length) url += '?' + q; } else init.body = q;
  let answer;
  try {
    answer = await fetch(url, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0);
  }
  let json;
  try { json = await answer.json(); } catch { throw new ApiError(0, `The server answered ${answer.status}.`); }
  if (json.code !== 0) {
    if (json.code === -10001) loggedOut();
    throw new ApiError(json.code, MESSAGES[json.code]);
  }
  return json.data;
}

export const get = (path, params, signal) => call('GET', path, params, signal);
export const post = (path, params) => call('POST', path, params);

/// The URL of a file's thumbnail: level 0 (160 px box) or 1 (800 px box).
export const thumbUrl = (id, level = 0) => `/thumbnail.icc?id=${id}&level=${level}`;

/// downFile's URL; the suffix gives media players a plausible extension (protocol §1.2).
export function fileUrl(file) {
  const ext = (file.ext || '').replace(/[^A-Za-z0-9]/g, '').slice(0, 10);
  return `/downFile.icc${ext ? '.' + ext : ''}?id=${file.id}`;
}

export function sharedUrl(key, ext = '') {
  const suffix = ext.replace(/[^A-Za-z0-9]/g, '').slice(0, 10);
  return `/shareFile.icc${suffix ? '.' + suffix : ''}?shareKey=${encodeURIComponent(key)}`;
}

export const TYPE = { image: 1, gif: 2, video: 4, audio: 8, other: 16 };
export const isVisual = (f) => f.type === 1 || f.type === 2 || f.type === 4;

// Uploading files into a catalog (protocol §4.15-4.17): describe and hash each file, register
// it with uploadFileInfo.icc, send it with uploadFile.icc (checked by sha1), and resume from
// the size uploadingInfo.icc reports after a dropped connection or a page reload.

import { describe } from './media-info.js';
import { sha1OfBlob } from './sha1.js';

const KEY = 'isync.uploads'; // localStorage: fingerprint -> {id, sha1} of unfinished uploads
const STALL_MS = 60e3; // no upload progress for this long counts as a timeout
const ANSWER_MS = 600e3; // the server hashes the whole file before it answers
const RETRIES = 8; // transient failures without progress before giving up on a file

const records = () => { try { return JSON.parse(localStorage.getItem(KEY)) || {}; } catch { return {}; } };
function remember(fingerprint, record) {
  const all = records();
  if (record) all[fingerprint] = record; else delete all[fingerprint];
  try { localStorage.setItem(KEY, JSON.stringify(all)); } catch { /* no storage: no resume after reload */ }
}

// Unfinished uploads remembered in this browser: [{fingerprint, name, size, id}].
export function pendingUploads() {
  return Object.entries(records()).map(([fingerprint, { id }]) => {
    const parts = fingerprint.split('|'); // cid|name|size|lastModified; the name may hold '|'
    return { fingerprint, name: parts.slice(1, -2).join('|'), size: Number(parts[parts.length - 2]), id };
  });
}

// Errors: .retry = worth trying again (network, timeout, odd answer); .code = server's code.
const retryable = (message) => Object.assign(new Error(message), { retry: true });
const cancelled = () => new DOMException('cancelled', 'AbortError');
const checkSignal = (signal) => { if (signal?.aborted) throw cancelled(); };

function envelope(text) {
  let json;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  if (!Number.isInteger(json?.code)) throw retryable('The server gave an unexpected answer.');
  if (json.code) throw Object.assign(new Error(json.msg || `Server error ${json.code}`), { code: json.code });
  return json.data;
}

const form = (params) => new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined));

async function api(path, params, signal) {
  let text;
  try {
    const res = await fetch(path, params ? { method: 'POST', body: form(params), signal } : { signal });
    text = await res.text();
  } catch (e) {
    throw signal?.aborted ? cancelled() : retryable('The server cannot be reached.');
  }
  return envelope(text);
}

// The uploadingInfo.icc entry of file `id`, or undefined when it is no longer uploading.
async function uploading(id, signal) {
  const list = await api('/uploadingInfo.icc', null, signal);
  return Array.isArray(list) ? list.find((f) => f.id === id) : undefined;
}

const sleep = (ms, signal) => new Promise((resolve, reject) => {
  setTimeout(resolve, ms); // whichever comes first settles the promise
  signal?.addEventListener('abort', () => reject(cancelled()), { once: true });
});

// `call()`, tried again after transient failures (the network, a timeout), backing off.
async function retried(call, signal) {
  for (let failures = 0; ;) {
    try { return await call(); } catch (e) {
      if (!e.retry || ++failures > RETRIES) throw e;
      await sleep(Math.min(1000 * 2 ** (failures - 1), 15e3), signal);
    }
  }
}

// POST the file from `offset` on; onSent(bytes of the body sent). Resolves to the data.
function send(file, id, offset, signal, onSent) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest(), body = new FormData();
    body.append('origin', file.slice(offset), 'origin'); // the filename selects the target
    let timer;
    const end = (settle, value) => { clearTimeout(timer); signal?.removeEventListener('abort', cancel); settle(value); };
    const cancel = () => { xhr.abort(); end(reject, cancelled()); };
    const arm = (ms) => {
      clearTimeout(timer);
      timer = setTimeout(() => { xhr.abort(); end(reject, retryable('The connection timed out.')); }, ms);
    };
    xhr.open('POST', `/uploadFile.icc?id=${id}&obp=${offset}&cm=sha1`);
    xhr.upload.onprogress = (e) => { arm(STALL_MS); onSent(e.loaded); };
    xhr.upload.onload = () => arm(ANSWER_MS);
    xhr.onload = () => { try { end(resolve, envelope(xhr.responseText)); } catch (e) { end(reject, e); } };
    xhr.onerror = () => end(reject, retryable('The connection was lost.'));
    signal?.addEventListener('abort', cancel, { once: true });
    arm(STALL_MS);
    xhr.send(body);
  });
}

// At most 100 code points, keeping the extension (protocol §4.15).
function shortName(name) {
  const cps = [...(name || 'unnamed')];
  if (cps.length <= 100) return cps.join('');
  const dot = cps.lastIndexOf('.'), ext = dot > 0 && cps.length - dot <= 11 ? cps.slice(dot) : [];
  return cps.slice(0, 100 - ext.length).concat(ext).join('');
}

// Upload one file; resolves to its FileInfo, throws on failure. report(state, sent, extra).
async function uploadOne(file, cid, signal, report) {
  const fingerprint = `${cid}|${file.name}|${file.size}|${file.lastModified}`;
  report('hashing', 0, { hashed: 0 });
  const meta = await describe(file);
  const sha1 = await sha1OfBlob(file, (hashed) => { checkSignal(signal); report('hashing', 0, { hashed }); });
  let id, offset = 0;
  const record = records()[fingerprint];
  if (record?.sha1 === sha1) { // uploaded partly before (maybe before a reload)
    report('resuming', 0);
    const entry = await retried(() => uploading(record.id, signal), signal);
    if (entry) { id = record.id; offset = entry.uploadingOriginSize ?? 0; }
  }
  if (id === undefined) {
    if (record) remember(fingerprint);
    const { type, ext, createTime, width, height, orientation, duration } = meta;
    ({ id } = await retried(() => api('/uploadFileInfo.icc', { cid, name: shortName(file.name), size: file.size, type,
      ext, createTime, width, height, orientation, duration, statusForThumb: 0, statusForScreen: 0 }, signal), signal));
    remember(fingerprint, { id, sha1 });
  }
  for (let failures = 0; ;) {
    if (offset > file.size) offset = 0; // cannot be ours: send it all again
    checkSignal(signal);
    report('uploading', offset);
    try {
      const data = await send(file, id, offset, signal, (n) => report('uploading', Math.min(file.size, offset + n)));
      remember(fingerprint);
      if (data?.check?.origin !== sha1) throw new Error('The file arrived damaged (checksum mismatch); try again');
      return data.fileInfo;
    } catch (e) {
      // -10003 short of the end may mean the server is still receiving an earlier request for
      // this file (cut off by a reload or lost Wi-Fi, not yet noticed by it): it serialises
      // uploads to one id by refusing, and frees the id once that request ends, which may have
      // completed the file. Looked at again below like a lost connection; at the end, final.
      const maybeBusy = e.code === -10003 && offset < file.size;
      if (!(e.retry || maybeBusy) || ++failures > RETRIES) throw e;
      report('resuming', offset);
      await sleep(Math.min(1000 * 2 ** (failures - 1), 15e3), signal);
      try { // not listed any more: complete (answer lost) or deleted; an empty part at the
        // end then fetches the checksum or the server's error code
        const entry = await uploading(id, signal), now = entry ? entry.uploadingOriginSize ?? 0 : file.size;
        if (now > offset) failures = 0; // progress was made
        offset = now;
      } catch (e2) { if (!e2.retry) throw e2; } // stale offset is fine: the server truncates
    }
  }
}

// An error in plain words for the user.
function message(e) {
  if (e.name === 'AbortError') return 'cancelled';
  if (e.code === -10003 || e.code === -102) return 'The server could not store the file (disk full or folder removed?)';
  if (e.name === 'NotReadableError' || e.name === 'NotFoundError') return 'The file could not be read (was it moved or changed?)';
  return e.retry ? `${e.message} Try again later.` : e.message;
}

// Upload `files` one after another into catalog `catalogId`. Resolves to one result per
// file: {file, ok: true, info} or {file, ok: false, error, code?}. Throws an Error with
// .code -10001 when the session has ended (records stay, so picking the files again after
// logging in resumes). onProgress({file, index, count, state, sent, size, totalSent,
// totalSize, hashed?}) with state 'hashing'|'uploading'|'resuming'|'done'|'failed'.
export async function uploadFiles(files, catalogId, { onProgress, signal } = {}) {
  files = [...files];
  const totalSize = files.reduce((n, f) => n + f.size, 0), results = [];
  let finished = 0, lastKey, lastTime = 0, timer;
  for (const [index, file] of files.entries()) {
    let sent = 0;
    const report = (state, bytes, extra) => { // ~10 calls a second; the latest value always arrives
      sent = bytes;
      const key = `${index}${state}`, wait = lastTime + 100 - Date.now();
      const emit = () => {
        lastKey = key; lastTime = Date.now();
        onProgress?.({ file, index, count: files.length, state, sent: bytes, size: file.size,
          totalSent: finished + bytes, totalSize, ...extra });
      };
      clearTimeout(timer);
      if (key === lastKey && wait > 0) timer = setTimeout(emit, wait); else emit();
    };
    let result;
    try {
      checkSignal(signal);
      result = { file, ok: true, info: await uploadOne(file, catalogId, signal, report) };
      report('done', file.size);
    } catch (e) {
      if (e.code === -10001) throw Object.assign(new Error('Your session has ended. Please log in again.'), { code: -10001 });
      result = { file, ok: false, error: message(e), code: e.code };
      report('failed', sent);
    }
    finished += file.size;
    results.push(result);
  }
  return results;
}

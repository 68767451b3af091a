// Media facts for uploadFileInfo.icc: file type, extension, display size,
// EXIF orientation, duration and creation time, read from the file head
// (JPEG/PNG/GIF/WebP parsed here) or, for video/audio, from a media element.

const HEAD = 256 << 10; // bytes read per slice of the file head
const EXT_TYPE = {};
for (const [type, list] of [
  [1, 'jpg jpeg jpe jfif png webp heic heif avif bmp tif tiff'],
  [2, 'gif'],
  [4, 'mp4 m4v mov qt 3gp 3g2 avi mkv webm mts m2ts ts mpg mpeg wmv flv'],
  [8, 'mp3 m4a aac wav flac ogg oga opus wma aif aiff amr'],
]) for (const e of list.split(' ')) EXT_TYPE[e] = type;

const ascii = (b, p, n) => String.fromCharCode(...new Uint8Array(b.buffer, b.byteOffset + p, n));

// Parse an image head (Uint8Array starting at file offset 0). Returns
// {format: 'jpeg'|'png'|'gif'|'webp', width, height, orientation, date}
// with stored (not rotated) pixel sizes, or {} when not recognised.
// `next` is set when a JPEG needs bytes from that file offset on.
// Never throws: whatever was read before a malformed spot is kept.
export function parseImageHead(bytes) {
  const b = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), info = {};
  const size = (width, height) => Object.assign(info, { width, height }); // both or neither
  const u24 = (o) => b.getUint16(o, true) | (b.getUint8(o + 2) << 16);
  try {
    const u32 = b.getUint32(0);
    if (u32 >>> 8 === 0xffd8ff) { info.format = 'jpeg'; jpegSegments(b, 0, 2, info); }
    else if (u32 === 0x89504e47 && ascii(b, 12, 4) === 'IHDR') {
      info.format = 'png'; size(b.getUint32(16), b.getUint32(20));
    } else if (ascii(b, 0, 4) === 'GIF8') {
      info.format = 'gif'; size(b.getUint16(6, true), b.getUint16(8, true));
    } else if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') {
      info.format = 'webp';
      const chunk = ascii(b, 12, 4);
      if (chunk === 'VP8 ' && u24(23) === 0x2a019d) {
        size(b.getUint16(26, true) & 0x3fff, b.getUint16(28, true) & 0x3fff);
      } else if (chunk === 'VP8L' && b.getUint8(20) === 0x2f) {
        const v = b.getUint32(21, true);
        size((v & 0x3fff) + 1, ((v >>> 14) & 0x3fff) + 1);
      } else if (chunk === 'VP8X') size(u24(24) + 1, u24(27) + 1);
    }
  } catch { /* truncated: keep what we have */ }
  return info;
}

// Walk JPEG marker segments in b (which holds the file from offset `base`)
// starting at file offset `at`, until a SOF gives the frame size.
function jpegSegments(b, base, at, info) {
  info.next = undefined;
  for (let p = at - base; ;) {
    if (p + 4 > b.byteLength) { info.next = base + p; return; }
    if (b.getUint8(p) !== 0xff) return; // lost sync: give up
    const m = b.getUint8(p + 1);
    if (m === 0xff) { p++; continue; } // fill byte
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd8)) { p += 2; continue; } // no length
    if (m === 0xd9 || m === 0xda) return; // EOI / start of scan: no SOF
    const len = b.getUint16(p + 2);
    if (len < 2) return;
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (p + 9 > b.byteLength) { info.next = base + p; return; }
      Object.assign(info, { width: b.getUint16(p + 7), height: b.getUint16(p + 5) });
      return;
    }
    if (m === 0xe1 && info.orientation === undefined && info.date === undefined &&
        p + 10 <= b.byteLength && ascii(b, p + 4, 6) === 'Exif\0\0') {
      try { exif(b, p + 10, info); } catch { /* broken Exif: ignore */ }
    }
    p += 2 + len;
  }
}

// Read orientation (IFD0 0x0112) and DateTimeOriginal (Exif IFD 0x9003)
// from the TIFF structure at offset t of b. Throws on truncation.
function exif(b, t, info) {
  const le = b.getUint16(t) === 0x4949;
  const u16 = (o) => b.getUint16(t + o, le), u32 = (o) => b.getUint32(t + o, le);
  if (u16(2) !== 42) return;
  const ifd = (o, visit) => { for (let i = 0, n = u16(o); i < n; i++) visit(o + 2 + 12 * i); };
  let sub;
  ifd(u32(4), (e) => {
    const tag = u16(e);
    if (tag === 0x0112) { const v = u16(e + 8); if (v >= 1 && v <= 8) info.orientation = v; }
    else if (tag === 0x8769) sub = u32(e + 8);
  });
  if (sub) ifd(sub, (e) => {
    if (u16(e) === 0x9003 && u32(e + 4) >= 19) info.date = ascii(b, t + u32(e + 8), 19);
  });
}

// 'YYYY:MM:DD HH:MM:SS' in the browser's local time -> unix seconds, or undefined.
function exifSeconds(s) {
  const m = /^(\d{4}):(\d\d):(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(s || '');
  if (!m) return;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number);
  const date = new Date(y, mo - 1, d, h, mi, se);
  if (y < 1000 || date.getMonth() !== mo - 1 || date.getDate() !== d || h > 23 || mi > 59 || se > 59) return;
  return Math.floor(date.getTime() / 1000);
}

// Let a <video>/<audio> element read the metadata; {} if it cannot within 5 s.
function elementMeta(file, tag) {
  return new Promise((resolve) => {
    const el = document.createElement(tag), url = URL.createObjectURL(file);
    const finish = (ok) => {
      clearTimeout(timer);
      const r = ok ? { width: el.videoWidth || undefined, height: el.videoHeight || undefined,
        duration: Number.isFinite(el.duration) ? el.duration : undefined } : {};
      el.removeAttribute('src'); el.load(); // release the decoder
      URL.revokeObjectURL(url);
      resolve(r);
    };
    const timer = setTimeout(finish, 5000, false);
    el.onloadedmetadata = () => finish(true);
    el.onerror = () => finish(false);
    el.preload = 'metadata';
    el.muted = true;
    el.src = url;
  });
}

// Describe a File for uploadFileInfo.icc. Unknown values stay undefined.
export async function describe(file) {
  const name = file.name || '', dot = name.lastIndexOf('.');
  const ext = dot > 0 && [...name.slice(dot + 1)].length <= 10 ? name.slice(dot + 1) : '';
  const lower = ext.toLowerCase(), mime = (file.type || '').toLowerCase();
  let img = {};
  try {
    img = parseImageHead(new Uint8Array(await file.slice(0, HEAD).arrayBuffer()));
    for (let i = 0; i < 8 && img.next < file.size; i++) { // JPEG with a far SOF
      const bytes = await file.slice(img.next, img.next + HEAD).arrayBuffer();
      jpegSegments(new DataView(bytes), img.next, img.next, img);
    }
  } catch { /* unreadable head */ }
  const type = img.format ? (img.format === 'gif' ? 2 : 1)
    : mime === 'image/gif' ? 2
    : { image: 1, video: 4, audio: 8 }[mime.split('/')[0]] || EXT_TYPE[lower] || 16;
  let { width, height, orientation, duration } = img;
  if (orientation >= 5) [width, height] = [height, width];
  if ((type === 4 || type === 8) && typeof document !== 'undefined') {
    ({ width, height, duration } = await elementMeta(file, type === 4 ? 'video' : 'audio'));
    if (type === 8) width = height = undefined;
  }
  const modified = Math.floor(file.lastModified / 1000);
  const createTime = exifSeconds(img.date) ?? (Number.isFinite(modified) ? modified : undefined);
  return { type, ext, width, height, orientation, duration, createTime };
}

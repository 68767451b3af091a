// SHA-1 (FIPS 180-4) in plain JS, for the upload checksum (cm=sha1).
// crypto.subtle is missing on plain-http LAN origins, so we hash ourselves.
// Incremental: whole 64-byte blocks are read straight from the input,
// only a partial block is copied into a 64-byte tail buffer.

const SLICE = 4 << 20; // bytes read from a Blob at a time

export class Sha1 {
  constructor() {
    this.h = new Int32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]);
    this.w = new Int32Array(80);
    this.tail = new Uint8Array(64);
    this.tailLen = 0;
    this.length = 0; // bytes hashed so far (exact up to 2^53)
  }

  // Feed more bytes (Uint8Array). Call hex() once at the end.
  update(bytes) {
    let pos = 0;
    const n = bytes.length;
    this.length += n;
    if (this.tailLen) { // top up a partial block first
      const take = Math.min(64 - this.tailLen, n);
      this.tail.set(bytes.subarray(0, take), this.tailLen);
      this.tailLen += take;
      pos = take;
      if (this.tailLen < 64) return this;
      this.block(this.tail, 0);
      this.tailLen = 0;
    }
    for (; pos + 64 <= n; pos += 64) this.block(bytes, pos);
    if (pos < n) { this.tail.set(bytes.subarray(pos), 0); this.tailLen = n - pos; }
    return this;
  }

  // Pad, finish, and return the digest as 40 lowercase hex digits.
  hex() {
    const t = this.tail, len = this.length;
    let i = this.tailLen;
    t[i++] = 0x80;
    if (i > 56) { t.fill(0, i); this.block(t, 0); i = 0; }
    t.fill(0, i, 56);
    const hi = Math.floor(len / 0x20000000), lo = (len % 0x20000000) * 8; // bit length
    for (let k = 0; k < 4; k++) {
      t[56 + k] = hi >>> (24 - 8 * k);
      t[60 + k] = lo >>> (24 - 8 * k);
    }
    this.block(t, 0);
    return Array.from(this.h, (v) => (v >>> 0).toString(16).padStart(8, '0')).join('');
  }

  // Compress one 64-byte block of b starting at p.
  block(b, p) {
    const w = this.w, h = this.h;
    for (let i = 0; i < 16; i++, p += 4) w[i] = (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], i = 0, t;
    // The four round groups differ only in f() and the constant.
    for (; i < 20; i++) {
      t = (((a << 5) | (a >>> 27)) + (d ^ (bb & (c ^ d))) + e + w[i] + 0x5a827999) | 0;
      e = d; d = c; c = (bb << 30) | (bb >>> 2); bb = a; a = t;
    }
    for (; i < 40; i++) {
      t = (((a << 5) | (a >>> 27)) + (bb ^ c ^ d) + e + w[i] + 0x6ed9eba1) | 0;
      e = d; d = c; c = (bb << 30) | (bb >>> 2); bb = a; a = t;
    }
    for (; i < 60; i++) {
      t = (((a << 5) | (a >>> 27)) + ((bb & c) | (d & (bb | c))) + e + w[i] - 0x70e44324) | 0;
      e = d; d = c; c = (bb << 30) | (bb >>> 2); bb = a; a = t;
    }
    for (; i < 80; i++) {
      t = (((a << 5) | (a >>> 27)) + (bb ^ c ^ d) + e + w[i] - 0x359d3e2a) | 0;
      e = d; d = c; c = (bb << 30) | (bb >>> 2); bb = a; a = t;
    }
    h[0] += a; h[1] += bb; h[2] += c; h[3] += d; h[4] += e;
  }
}

// Hash a Blob/File in 4 MiB slices; the next slice is read while the
// current one is hashed. onBytes(doneBytes) is called after each slice
// (it may throw to stop, e.g. on cancel). Resolves to the hex digest.
export async function sha1OfBlob(blob, onBytes) {
  const sha = new Sha1();
  const read = (a) => blob.slice(a, a + SLICE).arrayBuffer();
  let next = blob.size ? read(0) : null;
  for (let a = 0; a < blob.size; a += SLICE) {
    const buf = await next;
    next = a + SLICE < blob.size ? read(a + SLICE) : null;
    sha.update(new Uint8Array(buf));
    onBytes?.(Math.min(a + SLICE, blob.size));
  }
  return sha.hex();
}

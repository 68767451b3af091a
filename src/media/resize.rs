//! Pixel-buffer geometry for thumbnails: a separable down-scaler and the eight
//! EXIF orientation transforms, both on packed 8-bit rows of 1–4 channels.
//!
//! The scaler first averages integer `fx×fy` blocks (an exact area filter), the
//! largest that leave the image at least 2× the target on each axis (so under
//! 4×), then runs a Lanczos-3 pass whose
//! support is widened by the remaining ratio, with 14-bit integer weights
//! precomputed once per axis. That gives alias-free 160 px thumbnails at a
//! cost that is small next to JPEG decoding. It deliberately does not enlarge
//! well (upscaling works but is not tuned), does not handle alpha
//! premultiplication (callers do that) and knows nothing about colour spaces:
//! values are filtered as stored (sRGB-encoded), like most thumbnailers do.

/// A packed, row-major 8-bit image: `data.len() == width * height * channels`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pixels {
    pub width: usize,
    pub height: usize,
    pub channels: usize,
    pub data: Vec<u8>,
}

/// Fixed-point precision of the filter weights.
const SHIFT: u32 = 14;
const ONE: i32 = 1 << SHIFT;
/// Half-width of the Lanczos kernel, in output pixels.
const LANCZOS_A: f64 = 3.0;

/// Resamples `src` to `dw × dh` (both ≥ 1). Returns a copy when sizes match.
pub fn resize(src: &Pixels, dw: usize, dh: usize) -> Pixels {
    let (dw, dh) = (dw.max(1), dh.max(1));
    if src.width == dw && src.height == dh {
        return src.clone();
    }
    let fx = (src.width / (2 * dw)).max(1);
    let fy = (src.height / (2 * dh)).max(1);
    let boxed;
    let work = if fx > 1 || fy > 1 {
        boxed = box_shrink(src, fx, fy);
        &boxed
    } else {
        src
    };
    // Extent of the original image measured in `work` pixels (the last box
    // column/row may be partial, so this is not always work.width).
    let ext_x = src.width as f64 / fx as f64;
    let ext_y = src.height as f64 / fy as f64;
    let wx = Weights::new(work.width, ext_x, dw);
    let wy = Weights::new(work.height, ext_y, dh);
    match work.channels {
        1 => separable::<1>(work, &wx, &wy),
        2 => separable::<2>(work, &wx, &wy),
        3 => separable::<3>(work, &wx, &wy),
        _ => separable::<4>(work, &wx, &wy),
    }
}

/// Rows of horizontally filtered output `separable` keeps at most: a vertical window of a
/// Lanczos-3 filter widened by a ratio under 4 (the box pre-shrink leaves no more), plus two.
const MAX_RING_ROWS: u64 = 26;

/// About the most memory `resize` allocates beside its source of `width × height × channels`
/// for `dw × dh`: a copy when the sizes match; else the box pre-shrink (when it runs), the ring
/// of filtered rows, its accumulator row and the output. The weight tables (a few KB) are left out.
pub fn working_memory(width: usize, height: usize, channels: usize, dw: usize, dh: usize) -> u64 {
    let (dw, dh) = (dw.max(1), dh.max(1));
    // Saturating: headers may declare sizes whose products do not fit (refused by the budget).
    let bytes = |w: usize, h: u64| (w as u64).saturating_mul(h).saturating_mul(channels as u64);
    if (width, height) == (dw, dh) {
        return bytes(width, height as u64);
    }
    let (fx, fy) = ((width / (2 * dw)).max(1), (height / (2 * dh)).max(1));
    let boxed = if fx > 1 || fy > 1 { bytes(width.div_ceil(fx), height.div_ceil(fy) as u64) } else { 0 };
    boxed.saturating_add(bytes(dw, MAX_RING_ROWS)).saturating_add(bytes(dw, 4)).saturating_add(bytes(dw, dh as u64))
}

/// Averages `fx × fy` blocks; edge blocks that are cut off average what exists.
fn box_shrink(src: &Pixels, fx: usize, fy: usize) -> Pixels {
    let ch = src.channels;
    let (ow, oh) = (src.width.div_ceil(fx), src.height.div_ceil(fy));
    let mut out = vec![0u8; ow * oh * ch];
    let mut acc = vec![0u32; ow * ch];
    let row_len = src.width * ch;
    for oy in 0..oh {
        acc.iter_mut().for_each(|a| *a = 0);
        let y0 = oy * fy;
        let y1 = (y0 + fy).min(src.height);
        for row in src.data[y0 * row_len..y1 * row_len].chunks_exact(row_len) {
            for (ox, block) in row.chunks(fx * ch).enumerate() {
                let sums = &mut acc[ox * ch..ox * ch + ch];
                for px in block.chunks_exact(ch) {
                    for (s, &v) in sums.iter_mut().zip(px) {
                        *s += u32::from(v);
                    }
                }
            }
        }
        let rows = (y1 - y0) as u32;
        let dst = &mut out[oy * ow * ch..(oy + 1) * ow * ch];
        for ox in 0..ow {
            let cols = ((ox * fx + fx).min(src.width) - ox * fx) as u32;
            let n = rows * cols;
            for c in 0..ch {
                let i = ox * ch + c;
                dst[i] = ((acc[i] + n / 2) / n) as u8;
            }
        }
    }
    Pixels { width: ow, height: oh, channels: ch, data: out }
}

/// Per-output-pixel filter taps along one axis: output `i` reads input
/// `start[i] .. start[i] + len[i]` with `coeffs[i * stride ..]`.
struct Weights {
    start: Vec<usize>,
    len: Vec<usize>,
    stride: usize,
    coeffs: Vec<i16>,
}

fn lanczos3(x: f64) -> f64 {
    let x = x.abs();
    if x < 1e-9 {
        1.0
    } else if x < LANCZOS_A {
        let px = std::f64::consts::PI * x;
        LANCZOS_A * px.sin() * (px / LANCZOS_A).sin() / (px * px)
    } else {
        0.0
    }
}

impl Weights {
    /// `in_len` real input pixels spanning `extent` (≤ in_len) mapped onto `out_len`.
    fn new(in_len: usize, extent: f64, out_len: usize) -> Weights {
        let scale = extent / out_len as f64;
        let fscale = scale.max(1.0);
        let support = LANCZOS_A * fscale;
        let stride = (2.0 * support).ceil() as usize + 2;
        let mut w = Weights {
            start: Vec::with_capacity(out_len),
            len: Vec::with_capacity(out_len),
            stride,
            coeffs: vec![0; out_len * stride],
        };
        let mut tmp = Vec::with_capacity(stride);
        for i in 0..out_len {
            let center = (i as f64 + 0.5) * scale;
            let lo = ((center - support).floor().max(0.0) as usize).min(in_len - 1);
            let hi = ((center + support).ceil() as usize).clamp(lo + 1, in_len).min(lo + stride);
            tmp.clear();
            tmp.extend((lo..hi).map(|j| lanczos3((j as f64 + 0.5 - center) / fscale)));
            let sum: f64 = tmp.iter().sum();
            let norm = if sum.abs() > 1e-12 { 1.0 / sum } else { 0.0 };
            let dst = &mut w.coeffs[i * stride..i * stride + (hi - lo)];
            let mut total = 0i32;
            for (d, t) in dst.iter_mut().zip(&tmp) {
                *d = (t * norm * f64::from(ONE)).round() as i16;
                total += i32::from(*d);
            }
            // Put the rounding residue on the biggest tap so weights sum to ONE.
            if let Some(big) = (0..dst.len()).max_by_key(|&k| dst[k]) {
                dst[big] = (i32::from(dst[big]) + ONE - total) as i16;
            }
            w.start.push(lo);
            w.len.push(hi - lo);
        }
        w
    }
}

#[inline]
fn clamp_u8(acc: i32) -> u8 {
    ((acc + (ONE >> 1)) >> SHIFT).clamp(0, 255) as u8
}

/// The horizontal pass, then the vertical one, output row by output row. Each source row is
/// filtered horizontally once, into a ring of the `wy.stride` most recent such rows (a vertical
/// window is never longer, and windows only move down), so the whole horizontally filtered
/// image never exists: for a 1500×1000 decode filtered to 800×533 that would be a 2.4 MB buffer
/// beside the source and the output, the peak of a screen-size build.
fn separable<const C: usize>(src: &Pixels, wx: &Weights, wy: &Weights) -> Pixels {
    let (dw, dh) = (wx.start.len(), wy.start.len());
    let (src_row_len, row_len) = (src.width * C, dw * C);
    let ring_rows = wy.stride;
    let mut ring = vec![0u8; ring_rows * row_len];
    let mut out = vec![0u8; row_len * dh];
    let mut acc = vec![0i32; row_len];
    let mut filtered = 0; // source rows before this one are filtered or not needed
    for (y, drow) in out.chunks_exact_mut(row_len).enumerate() {
        let (s, n) = (wy.start[y], wy.len[y]);
        filtered = filtered.max(s);
        while filtered < s + n {
            let srow = &src.data[filtered * src_row_len..(filtered + 1) * src_row_len];
            let slot = filtered % ring_rows;
            horizontal_row::<C>(srow, &mut ring[slot * row_len..(slot + 1) * row_len], wx);
            filtered += 1;
        }
        let k = &wy.coeffs[y * wy.stride..y * wy.stride + n];
        acc.iter_mut().for_each(|a| *a = 0);
        for (r, &c) in k.iter().enumerate() {
            let slot = (s + r) % ring_rows;
            let row = &ring[slot * row_len..(slot + 1) * row_len];
            let c = i32::from(c);
            for (a, &v) in acc.iter_mut().zip(row) {
                *a += i32::from(v) * c;
            }
        }
        for (d, &a) in drow.iter_mut().zip(&acc) {
            *d = clamp_u8(a);
        }
    }
    Pixels { width: dw, height: dh, channels: C, data: out }
}

fn horizontal_row<const C: usize>(srow: &[u8], drow: &mut [u8], w: &Weights) {
    for (x, dpx) in drow.chunks_exact_mut(C).enumerate() {
        let (s, n) = (w.start[x], w.len[x]);
        let k = &w.coeffs[x * w.stride..x * w.stride + n];
        let mut acc = [0i32; C];
        for (px, &c) in srow[s * C..(s + n) * C].chunks_exact(C).zip(k) {
            for j in 0..C {
                acc[j] += i32::from(px[j]) * i32::from(c);
            }
        }
        for j in 0..C {
            dpx[j] = clamp_u8(acc[j]);
        }
    }
}

/// Applies EXIF orientation `o` (1..=8; anything else is the identity) so the
/// stored pixels display upright. 5–8 swap width and height.
pub fn orient(src: Pixels, o: u8) -> Pixels {
    if !(2..=8).contains(&o) {
        return src;
    }
    let (w, h, ch) = (src.width, src.height, src.channels);
    let (ow, oh) = if o >= 5 { (h, w) } else { (w, h) };
    let mut out = vec![0u8; src.data.len()];
    for sy in 0..h {
        for sx in 0..w {
            // Where stored pixel (sx, sy) lands on the upright image.
            let (dx, dy) = match o {
                2 => (w - 1 - sx, sy),
                3 => (w - 1 - sx, h - 1 - sy),
                4 => (sx, h - 1 - sy),
                5 => (sy, sx),
                6 => (h - 1 - sy, sx),
                7 => (h - 1 - sy, w - 1 - sx),
                _ => (sy, w - 1 - sx),
            };
            let si = (sy * w + sx) * ch;
            let di = (dy * ow + dx) * ch;
            out[di..di + ch].copy_from_slice(&src.data[si..si + ch]);
        }
    }
    Pixels { width: ow, height: oh, channels: ch, data: out }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solid(w: usize, h: usize, ch: usize, v: u8) -> Pixels {
        Pixels { width: w, height: h, channels: ch, data: vec![v; w * h * ch] }
    }

    #[test]
    fn a_flat_image_stays_flat_at_every_size() {
        let src = solid(757, 501, 3, 200);
        for &(w, h) in &[(160, 105), (1, 1), (756, 500), (40, 400), (800, 600)] {
            let out = resize(&src, w, h);
            assert_eq!((out.width, out.height), (w, h));
            assert!(out.data.iter().all(|&v| v == 200), "size {w}x{h}");
        }
    }

    /// The two passes over whole images, as they ran before the ring: the fused pass must give
    /// exactly the same bytes.
    fn two_pass<const C: usize>(src: &Pixels, wx: &Weights, wy: &Weights) -> Vec<u8> {
        let dw = wx.start.len();
        let mut mid = vec![0u8; dw * C * src.height];
        for (srow, drow) in src.data.chunks_exact(src.width * C).zip(mid.chunks_exact_mut(dw * C)) {
            horizontal_row::<C>(srow, drow, wx);
        }
        let mut out = Vec::new();
        for y in 0..wy.start.len() {
            for x in 0..dw * C {
                let taps = (0..wy.len[y])
                    .map(|r| i32::from(mid[(wy.start[y] + r) * dw * C + x]) * i32::from(wy.coeffs[y * wy.stride + r]));
                out.push(clamp_u8(taps.sum()));
            }
        }
        out
    }

    #[test]
    fn the_fused_pass_gives_the_bytes_of_two_whole_passes() {
        let noise = |w: usize, h: usize, ch: usize| Pixels {
            width: w,
            height: h,
            channels: ch,
            data: (0..w * h * ch).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect(),
        };
        for &(w, h, dw, dh) in &[(97, 61, 40, 25), (97, 61, 9, 3), (30, 20, 75, 50), (64, 64, 63, 1), (5, 300, 2, 17)] {
            let (src1, src3, src4) = (noise(w, h, 1), noise(w, h, 3), noise(w, h, 4));
            let (wx, wy) = (Weights::new(w, w as f64, dw), Weights::new(h, h as f64, dh));
            assert_eq!(separable::<1>(&src1, &wx, &wy).data, two_pass::<1>(&src1, &wx, &wy), "{w}x{h} -> {dw}x{dh}");
            assert_eq!(separable::<3>(&src3, &wx, &wy).data, two_pass::<3>(&src3, &wx, &wy), "{w}x{h} -> {dw}x{dh}");
            assert_eq!(separable::<4>(&src4, &wx, &wy).data, two_pass::<4>(&src4, &wx, &wy), "{w}x{h} -> {dw}x{dh}");
        }
    }

    #[test]
    fn box_shrink_averages_partial_edge_blocks_over_what_exists() {
        let src = Pixels { width: 3, height: 1, channels: 1, data: vec![10, 20, 90] };
        let out = box_shrink(&src, 2, 1);
        assert_eq!(out.data, vec![15, 90]);
    }

    #[test]
    fn a_fine_checkerboard_averages_to_grey_instead_of_aliasing() {
        let (w, h) = (1000, 1000);
        let data = (0..w * h).map(|i| if (i % w + i / w) % 2 == 0 { 0 } else { 255 }).collect();
        let out = resize(&Pixels { width: w, height: h, channels: 1, data }, 160, 160);
        assert!(out.data.iter().all(|&v| (120..=135).contains(&v)));
    }

    #[test]
    fn weights_sum_to_one_in_fixed_point() {
        let w = Weights::new(375, 375.0, 160);
        for i in 0..160 {
            let s: i32 = w.coeffs[i * w.stride..i * w.stride + w.len[i]].iter().map(|&c| i32::from(c)).sum();
            assert_eq!(s, ONE);
        }
    }

    #[test]
    fn orientation_six_rotates_clockwise_and_swaps_dimensions() {
        // 2x1 image [a b] rotated 90° CW becomes a 1x2 column [a; b].
        let src = Pixels { width: 2, height: 1, channels: 1, data: vec![1, 2] };
        let out = orient(src, 6);
        assert_eq!((out.width, out.height, out.data), (1, 2, vec![1, 2]));
    }
}

//! HEIF/HEIC stills, the photos iPhones take: what the probe stores (size as coded, the
//! orientation `irot`/`imir` ask for as an EXIF value, the `Exif` item's TIFF block) and the
//! pixels a thumbnail is made from, through the pure-Rust `heic-rs` decoder.
//!
//! Only the `ftyp` and `meta` boxes are read into memory, with bounded reads; item data (tiles,
//! thumbnail, EXIF) is read from the file one item at a time. A photo is decoded one tile at a
//! time, each tile shrunk by an integer factor into a canvas still at least the size asked for,
//! so a 12 MP grid costs one 512×512 tile and a canvas, never the whole picture. Where the
//! embedded thumbnail item already covers the size asked for (the grid's level 0), only it is
//! decoded. Pixels stay in the stored orientation; the caller turns them. Clean-aperture
//! crops (`clap`), alpha planes and ICC profiles are ignored; AVIF is recognised but not decoded.

use super::resize::Pixels;
use super::thumbnail::ThumbError;
use heic_rs::context::Context;
use heic_rs::meta::iloc::Construction;
use heic_rs::meta::iref::{self, RefKind};
use heic_rs::props::simple::{Mirror, Rotation};
use heic_rs::{PixelLayout, Transform};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// Largest `ftyp` plus `meta` read into memory; an iPhone's takes a few KiB.
const MAX_CONTAINER: u64 = 1 << 20;
/// Largest item read from the file: one tile's (or one whole picture's) bitstream, or EXIF.
const MAX_ITEM: u64 = 64 << 20;
/// Top-level boxes looked at before `meta` must have turned up.
const MAX_TOP_BOXES: usize = 64;
/// Tiles a grid may have (a 200 MP photo in 512×512 tiles has under 800).
const MAX_TILES: usize = 4096;

/// Reads up to `len` bytes at an offset of the file (fewer at its end).
pub(crate) type ReadAt<'a> = dyn FnMut(u64, usize) -> io::Result<Vec<u8>> + 'a;

/// Positioned reads of `file` (its offset never moves), for [`Container::read`] and decoding.
pub(crate) fn file_reader(file: &File) -> impl FnMut(u64, usize) -> io::Result<Vec<u8>> + '_ {
    move |pos, len| {
        let mut buf = vec![0; len];
        let mut got = 0;
        while got < len {
            match file.read_at(&mut buf[got..], pos + got as u64) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        buf.truncate(got);
        Ok(buf)
    }
}

/// The `ftyp` and `meta` boxes of a HEIF file, copied out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Container {
    boxes: Vec<u8>,
    file_len: u64,
}

/// What the probe stores of a HEIF still.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Description {
    /// Size as coded, before `irot` (the caller swaps it for quarter turns).
    pub width: u32,
    pub height: u32,
    /// The EXIF orientation (1–8) that does what the primary item's `irot` and `imir` ask.
    pub orientation: u8,
    /// The TIFF block of the primary item's `Exif` item.
    pub exif: Option<Vec<u8>>,
}

/// One picture to decode: a grid of coded tiles, or a single coded item.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Picture {
    /// The size of the picture (a grid's output size, else the coded size).
    width: u32,
    height: u32,
    /// The coded items, row by row, each `tile_width`×`tile_height`.
    tiles: Vec<u32>,
    columns: u32,
    tile_width: u32,
    tile_height: u32,
    /// The largest tile's bitstream, in bytes.
    largest_item: u64,
}

/// A HEIF still a thumbnail can be made from: its container and pictures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Still {
    container: Container,
    primary: Picture,
    /// The embedded thumbnail items.
    thumbnails: Vec<Picture>,
}

/// How a thumbnail of a given size is made: from which picture, shrunk by which factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    picture: Picture,
    factor: u32,
}

impl Container {
    /// The container of the ISO-BMFF file `read` reads (`len` bytes long), if it has a HEIF
    /// `meta` box small enough to read; `Ok(None)` for any other file.
    pub(crate) fn read(read: &mut ReadAt<'_>, len: u64) -> io::Result<Option<Container>> {
        let (mut pos, mut ftyp, mut meta) = (0u64, None, None);
        for _ in 0..MAX_TOP_BOXES {
            let head = read(pos, 16)?;
            if head.len() < 8 {
                break;
            }
            let Some(size) = head.get(..4).map(|b| u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))) else {
                break;
            };
            let size = match size {
                0 => len.saturating_sub(pos),
                1 => match head.get(8..16) {
                    Some(b) => u64::from_be_bytes(b.try_into().unwrap_or_default()),
                    None => break,
                },
                n => n,
            };
            if size < 8 {
                break;
            }
            match &head[4..8] {
                b"ftyp" => ftyp = Some((pos, size)),
                b"meta" => meta = Some((pos, size)),
                _ => {}
            }
            if meta.is_some() {
                break;
            }
            pos = pos.saturating_add(size);
        }
        let (Some((ftyp_at, ftyp_len)), Some((meta_at, meta_len))) = (ftyp, meta) else {
            return Ok(None);
        };
        if ftyp_len.saturating_add(meta_len) > MAX_CONTAINER {
            return Ok(None);
        }
        let mut boxes = read(ftyp_at, ftyp_len as usize)?;
        boxes.extend(read(meta_at, meta_len as usize)?);
        if boxes.len() as u64 != ftyp_len + meta_len {
            return Ok(None);
        }
        let container = Container { boxes, file_len: len };
        Ok(container.context().is_ok().then_some(container))
    }

    fn context(&self) -> Result<Context<'_>, heic_rs::Error> {
        Context::open(&self.boxes)
    }

    /// What the probe stores; `None` when the primary item's geometry cannot be read.
    pub(crate) fn describe(&self, read: &mut ReadAt<'_>) -> io::Result<Option<Description>> {
        let Ok(ctx) = self.context() else {
            return Ok(None);
        };
        let id = ctx.meta.primary;
        let Ok(picture) = picture(&ctx, id, read, self.file_len)? else {
            return Ok(None);
        };
        let orientation = ctx.props(id).map_or(1, |p| exif_orientation(&p.transforms));
        let exif = match ctx.exif_item(id) {
            Some(item) => match item_bytes(&ctx, item, read, self.file_len)? {
                Ok(bytes) => heic_rs::metadata::exif_tiff(&bytes).ok().map(<[u8]>::to_vec),
                Err(_) => None,
            },
            None => None,
        };
        Ok(Some(Description { width: picture.width, height: picture.height, orientation, exif }))
    }

    /// The pictures a thumbnail can be made from; AVIF and undecodable files are errors.
    pub(crate) fn still(self, read: &mut ReadAt<'_>) -> Result<Still, ThumbError> {
        let ctx = self.context().map_err(heif_err)?;
        if !ctx.brand().is_decodable() {
            return Err(ThumbError::Unsupported("AVIF".into()));
        }
        let primary = ctx.meta.primary;
        let file_len = self.file_len;
        let sized = |p: Picture| -> Result<Picture, heic_rs::Error> {
            let mut largest_item = 0;
            for &tile in &p.tiles {
                largest_item = largest_item.max(item_len(&ctx, tile, file_len)?);
            }
            Ok(Picture { largest_item, ..p })
        };
        let mut thumbnails = Vec::new();
        for thumb in iref::sources(&ctx.meta.refs, primary, RefKind::Thmb) {
            if let Ok(Ok(p)) = picture(&ctx, thumb, read, file_len).map_err(ThumbError::Io)?.map(sized) {
                thumbnails.push(p);
            }
        }
        let primary = picture(&ctx, primary, read, file_len).map_err(ThumbError::Io)?.map_err(heif_err)?;
        let primary = sized(primary).map_err(heif_err)?;
        drop(ctx);
        Ok(Still { container: self, primary, thumbnails })
    }
}

impl Still {
    /// The stored size of the primary picture.
    pub(crate) fn dimensions(&self) -> (u32, u32) {
        (self.primary.width, self.primary.height)
    }

    /// The bytes of `ftyp` and `meta`, held while decoding.
    pub(crate) fn container_len(&self) -> u64 {
        self.container.boxes.len() as u64
    }

    /// How to make pixels covering `target` (stored orientation): from the smallest embedded
    /// thumbnail that covers it, else from the primary picture; shrunk by the largest factor (a
    /// power of two dividing the tiles) that still covers it.
    pub(crate) fn plan(&self, target: (usize, usize)) -> Plan {
        let covers = |p: &&Picture| p.width as usize >= target.0 && p.height as usize >= target.1;
        let thumbnail = self.thumbnails.iter().filter(covers).min_by_key(|p| p.width);
        let picture = thumbnail.unwrap_or(&self.primary).clone();
        let fits = |k: u32| {
            (picture.width.div_ceil(k) as usize) >= target.0
                && (picture.height.div_ceil(k) as usize) >= target.1
                && (picture.tiles.len() == 1 || (picture.tile_width % k == 0 && picture.tile_height % k == 0))
        };
        let factor = [32, 16, 8, 4, 2].into_iter().find(|&k| fits(k)).unwrap_or(1);
        Plan { picture, factor }
    }

    /// Decodes what `plan` says into packed RGB, one tile at a time.
    pub(crate) fn decode(&self, plan: &Plan, read: &mut ReadAt<'_>) -> Result<Pixels, ThumbError> {
        let file_len = self.container.file_len;
        let ctx = self.container.context().map_err(heif_err)?;
        let p = &plan.picture;
        let k = plan.factor as usize;
        let (width, height) = (p.width as usize, p.height as usize);
        let (out_w, out_h) = (width.div_ceil(k), height.div_ceil(k));
        let mut canvas = vec![0u8; out_w * out_h * 3];
        let nclx = match ctx.props(ctx.meta.primary) {
            Ok(props) if props.nclx.is_some() => heic_rs::decode::effective_nclx(&props),
            _ => ctx.props(p.tiles[0]).map(|t| heic_rs::decode::effective_nclx(&t)).unwrap_or_default(),
        };
        for (i, &tile) in p.tiles.iter().enumerate() {
            let props = ctx.props(tile).map_err(heif_err)?;
            let hvcc = props.hvcc.as_ref().ok_or_else(|| ThumbError::Decode("HEIF: a tile without hvcC".into()))?;
            // The decoder allocates what the sequence parameter sets say, before any cropping:
            // no more than the tile the budget was worked out for (and its last coding block).
            let sets = hvcc.parameter_sets();
            let coded =
                sets.iter().filter_map(|nal| sps_coded_size(nal)).fold((0, 0), |a, b| (a.0.max(b.0), a.1.max(b.1)));
            let slack = |side: u32| side.saturating_add(64);
            if coded == (0, 0) || coded.0 > slack(p.tile_width) || coded.1 > slack(p.tile_height) {
                return Err(ThumbError::Decode(format!(
                    "HEIF: a tile coded at {}×{} in a {}×{} grid cell",
                    coded.0, coded.1, p.tile_width, p.tile_height
                )));
            }
            let data = item_bytes(&ctx, tile, read, file_len).map_err(ThumbError::Io)?.map_err(heif_err)?;
            let nals = hvcc.split_nals(&data).map_err(heif_err)?;
            let frame = heic_rs::hevc::decode_still(&hvcc.parameter_sets(), &nals).map_err(heif_err)?;
            let rgb =
                heic_rs::color::convert(&frame, None, nclx, PixelLayout::Rgb8, u64::MAX, Some(1)).map_err(heif_err)?;
            drop(frame);
            let origin = (
                (i as u32 % p.columns) as usize * p.tile_width as usize,
                (i as u32 / p.columns) as usize * p.tile_height as usize,
            );
            let tile_px =
                Pixels { width: rgb.width as usize, height: rgb.height as usize, channels: 3, data: rgb.data };
            place(&tile_px, origin, (width, height), k, &mut canvas, out_w);
        }
        Ok(Pixels { width: out_w, height: out_h, channels: 3, data: canvas })
    }
}

/// Decodes the HEIF still held in `data` for a `target` thumbnail as a build would, behind the
/// same budget (for the fuzz target, src/fuzzing.rs): the size of the pixels, or why there are none.
pub(crate) fn decode_in_memory(data: &[u8], target: (usize, usize)) -> Result<(usize, usize), ThumbError> {
    let mut read = |pos: u64, len: usize| -> io::Result<Vec<u8>> {
        let start = usize::try_from(pos).unwrap_or(usize::MAX).min(data.len());
        Ok(data[start..].iter().take(len).copied().collect())
    };
    let container = Container::read(&mut read, data.len() as u64)
        .map_err(ThumbError::Io)?
        .ok_or_else(|| ThumbError::Unsupported("no HEIF container".into()))?;
    let still = container.still(&mut read)?;
    super::budget::heif_cost(&still, target).within_budget()?;
    let pixels = still.decode(&still.plan(target), &mut read)?;
    Ok((pixels.width, pixels.height))
}

impl Plan {
    /// Pixels of the picture decoded.
    pub(crate) fn source_pixels(&self) -> u64 {
        u64::from(self.picture.width) * u64::from(self.picture.height)
    }

    /// The most bytes a decode holds at once, besides the container: one tile's bitstream, its
    /// planes (16-bit samples, 4:2:0 and 4:4:4 alike counted as 3 a pixel of luma plus chroma at
    /// most), its RGB copy, and the canvas.
    pub(crate) fn memory(&self) -> u64 {
        let p = &self.picture;
        let tile = u64::from(p.tile_width) * u64::from(p.tile_height);
        let k = u64::from(self.factor);
        let canvas = (u64::from(p.width).div_ceil(k) * u64::from(p.height).div_ceil(k)).saturating_mul(3);
        // Saturating: a declared tile of 2^32 × 2^32 must be refused, not wrap into budget.
        p.largest_item.saturating_add(tile.saturating_mul(9)).saturating_add(canvas)
    }

    /// The size of the canvas a decode makes.
    pub(crate) fn output_size(&self) -> (usize, usize) {
        let k = self.factor;
        (self.picture.width.div_ceil(k) as usize, self.picture.height.div_ceil(k) as usize)
    }
}

/// The picture item `id` is: a grid over its `dimg` tiles, or one coded picture.
fn picture(
    ctx: &Context<'_>,
    id: u32,
    read: &mut ReadAt<'_>,
    file_len: u64,
) -> io::Result<Result<Picture, heic_rs::Error>> {
    let Some(info) = ctx.meta.item(id) else {
        return Ok(Err(heic_rs::Error::MissingItem(id)));
    };
    if &info.item_type != b"grid" {
        let size = ctx.props(id).and_then(|p| coded_size(&p));
        return Ok(size.map(|(width, height)| Picture {
            width,
            height,
            tiles: vec![id],
            columns: 1,
            tile_width: width,
            tile_height: height,
            largest_item: 0,
        }));
    }
    let grid = match item_bytes(ctx, id, read, file_len)? {
        Ok(bytes) => heic_rs::grid::parse(&bytes),
        Err(e) => Err(e),
    };
    let tiles = iref::targets(&ctx.meta.refs, id, RefKind::Dimg).to_vec();
    Ok(grid.and_then(|g| {
        if tiles.is_empty() || tiles.len() > MAX_TILES || tiles.len() as u64 != u64::from(g.rows) * u64::from(g.columns)
        {
            return Err(heic_rs::Error::Malformed("the grid's tiles do not match its rows and columns"));
        }
        let (tile_width, tile_height) = ctx.props(tiles[0]).and_then(|p| coded_size(&p))?;
        let covered = |tiles: u32, side: u32, out: u32| u64::from(tiles) * u64::from(side) >= u64::from(out);
        if !covered(g.columns, tile_width, g.output_width) || !covered(g.rows, tile_height, g.output_height) {
            return Err(heic_rs::Error::Malformed("the grid's tiles do not cover its output"));
        }
        Ok(Picture {
            width: g.output_width,
            height: g.output_height,
            tiles,
            columns: g.columns,
            tile_width,
            tile_height,
            largest_item: 0,
        })
    }))
}

/// A coded item's size: its `ispe`, else what its sequence parameter set says.
fn coded_size(p: &heic_rs::props::ItemProps<'_>) -> Result<(u32, u32), heic_rs::Error> {
    if let Some(ispe) = p.ispe {
        return Ok((ispe.width, ispe.height));
    }
    let hvcc = p.hvcc.as_ref().ok_or(heic_rs::Error::MissingBox("ispe"))?;
    let info = heic_rs::hevc::probe(&hvcc.parameter_sets())?;
    Ok((info.width, info.height))
}

/// The bytes an item's extents hold in the file (or in `idat`), at most `MAX_ITEM`.
fn item_len(ctx: &Context<'_>, id: u32, file_len: u64) -> Result<u64, heic_rs::Error> {
    let loc = ctx.meta.location(id).ok_or(heic_rs::Error::MissingItem(id))?;
    let mut total = 0u64;
    for e in &loc.extents {
        let start = loc.base_offset.saturating_add(e.offset);
        let len = if e.length == 0 { file_len.saturating_sub(start) } else { e.length };
        total = total.saturating_add(len);
    }
    if total > MAX_ITEM {
        return Err(heic_rs::Error::Unsupported("an item larger than 64 MiB"));
    }
    Ok(total)
}

/// An item's bytes: its extents read from the file, or its part of `idat`.
fn item_bytes(
    ctx: &Context<'_>,
    id: u32,
    read: &mut ReadAt<'_>,
    file_len: u64,
) -> io::Result<Result<Vec<u8>, heic_rs::Error>> {
    let Some(loc) = ctx.meta.location(id) else {
        return Ok(Err(heic_rs::Error::MissingItem(id)));
    };
    match loc.construction {
        Construction::File => {}
        Construction::Idat => return Ok(ctx.item_data(id).map(|b| b.into_owned())),
        Construction::Item => return Ok(Err(heic_rs::Error::Unsupported("items built from other items"))),
    }
    if let Err(e) = item_len(ctx, id, file_len) {
        return Ok(Err(e));
    }
    let mut out = Vec::new();
    for e in &loc.extents {
        let start = loc.base_offset.saturating_add(e.offset);
        let len = if e.length == 0 { file_len.saturating_sub(start) } else { e.length };
        let mut at = start;
        while at < start + len {
            let chunk = read(at, (start + len - at).min(1 << 20) as usize)?;
            if chunk.is_empty() {
                return Ok(Err(heic_rs::Error::Truncated("an item past the end of the file")));
            }
            at += chunk.len() as u64;
            out.extend(chunk);
        }
    }
    Ok(Ok(out))
}

/// Averages `tile`, which sits at `origin` of a `size` picture, in `k`×`k` blocks into
/// `canvas` (`canvas_w` pixels a row); what lies outside the picture (a grid's padding) is left
/// out.
fn place(tile: &Pixels, origin: (usize, usize), size: (usize, usize), k: usize, canvas: &mut [u8], canvas_w: usize) {
    let x_end = (origin.0 + tile.width).min(size.0);
    let y_end = (origin.1 + tile.height).min(size.1);
    let mut sums = vec![0u32; x_end.saturating_sub(origin.0).div_ceil(k) * 3];
    let mut y = origin.1;
    while y < y_end {
        let rows = (y_end - y).min(k);
        sums.iter_mut().for_each(|s| *s = 0);
        for row in y..y + rows {
            let line = &tile.data[(row - origin.1) * tile.width * 3..];
            for x in origin.0..x_end {
                let (src, dst) = ((x - origin.0) * 3, (x - origin.0) / k * 3);
                for c in 0..3 {
                    sums[dst + c] += u32::from(line[src + c]);
                }
            }
        }
        let out_row = y / k;
        for (block, sum) in sums.chunks_exact(3).enumerate() {
            let x0 = origin.0 + block * k;
            let count = ((x_end - x0).min(k) * rows) as u32;
            let at = (out_row * canvas_w + origin.0 / k + block) * 3;
            for c in 0..3 {
                canvas[at + c] = ((sum[c] + count / 2) / count) as u8;
            }
        }
        y += rows;
    }
}

/// The size a sequence parameter set NAL unit (ITU-T H.265 §7.3.2.2) codes, before its
/// conformance window crops it; `None` for any other NAL unit or one that ends too soon.
fn sps_coded_size(nal: &[u8]) -> Option<(u32, u32)> {
    if nal.first().map(|b| (b >> 1) & 0x3F) != Some(33) {
        return None;
    }
    let mut rbsp = Vec::with_capacity(nal.len());
    for &b in nal.get(2..)? {
        if b == 3 && rbsp.ends_with(&[0, 0]) {
            continue; // emulation prevention
        }
        rbsp.push(b);
    }
    let mut bits = Bits { data: &rbsp, at: 0 };
    bits.skip(4)?; // sps_video_parameter_set_id
    let sub_layers = bits.read(3)? as usize; // sps_max_sub_layers_minus1
    bits.skip(1)?;
    bits.skip(88 + 8)?; // general profile, tier and level
    let mut present = Vec::with_capacity(sub_layers);
    for _ in 0..sub_layers {
        present.push((bits.read(1)? == 1, bits.read(1)? == 1));
    }
    if sub_layers > 0 {
        bits.skip(2 * (8 - sub_layers))?;
    }
    for (profile, level) in present {
        bits.skip(if profile { 88 } else { 0 } + if level { 8 } else { 0 })?;
    }
    bits.exp_golomb()?; // sps_seq_parameter_set_id
    if bits.exp_golomb()? == 3 {
        bits.skip(1)?; // separate_colour_plane_flag
    }
    Some((bits.exp_golomb()?, bits.exp_golomb()?))
}

/// Bits read most significant first.
struct Bits<'a> {
    data: &'a [u8],
    at: usize,
}

impl Bits<'_> {
    fn read(&mut self, n: usize) -> Option<u32> {
        let mut value = 0u32;
        for _ in 0..n {
            let byte = self.data.get(self.at / 8)?;
            value = (value << 1) | u32::from((byte >> (7 - self.at % 8)) & 1);
            self.at += 1;
        }
        Some(value)
    }

    fn skip(&mut self, n: usize) -> Option<()> {
        self.at = self.at.checked_add(n).filter(|&at| at <= self.data.len() * 8)?;
        Some(())
    }

    /// ue(v): an unsigned Exp-Golomb number (at most 31 leading zeros).
    fn exp_golomb(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.read(1)? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        Some(((1u64 << zeros) - 1 + u64::from(self.read(zeros)?)).min(u64::from(u32::MAX)) as u32)
    }
}

/// The EXIF orientation that applies `transforms` in order (each after the ones before).
fn exif_orientation(transforms: &[Transform]) -> u8 {
    // A transform as the images of the x and y unit vectors, in screen coordinates (y down).
    type M = [[i8; 2]; 2];
    let apply = |m: M, t: M| -> M {
        [
            [t[0][0] * m[0][0] + t[0][1] * m[1][0], t[0][0] * m[0][1] + t[0][1] * m[1][1]],
            [t[1][0] * m[0][0] + t[1][1] * m[1][0], t[1][0] * m[0][1] + t[1][1] * m[1][1]],
        ]
    };
    let mut m: M = [[1, 0], [0, 1]];
    for t in transforms {
        let step = match t {
            Transform::Rotate(Rotation::None) | Transform::Crop(_) => continue,
            Transform::Rotate(Rotation::Ccw90) => [[0, 1], [-1, 0]],
            Transform::Rotate(Rotation::Ccw180) => [[-1, 0], [0, -1]],
            Transform::Rotate(Rotation::Ccw270) => [[0, -1], [1, 0]],
            Transform::Mirror(Mirror::LeftRight) => [[-1, 0], [0, 1]],
            Transform::Mirror(Mirror::TopBottom) => [[1, 0], [0, -1]],
        };
        m = apply(m, step);
    }
    // EXIF orientations 1–8 in the same form: 2 mirrors left-right, 6 turns clockwise, ...
    const EXIF: [M; 8] = [
        [[1, 0], [0, 1]],
        [[-1, 0], [0, 1]],
        [[-1, 0], [0, -1]],
        [[1, 0], [0, -1]],
        [[0, 1], [1, 0]],
        [[0, -1], [1, 0]],
        [[0, -1], [-1, 0]],
        [[0, 1], [-1, 0]],
    ];
    EXIF.iter().position(|e| *e == m).map_or(1, |i| i as u8 + 1)
}

fn heif_err(e: heic_rs::Error) -> ThumbError {
    match e {
        heic_rs::Error::Unsupported(what) => ThumbError::Unsupported(format!("HEIF: {what}")),
        other => ThumbError::Decode(format!("HEIF: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotations_and_mirrors_become_the_exif_orientation_that_does_the_same() {
        let r = |r| Transform::Rotate(r);
        let m = |m| Transform::Mirror(m);
        assert_eq!(exif_orientation(&[]), 1);
        assert_eq!(exif_orientation(&[m(Mirror::LeftRight)]), 2);
        assert_eq!(exif_orientation(&[r(Rotation::Ccw180)]), 3);
        assert_eq!(exif_orientation(&[m(Mirror::TopBottom)]), 4);
        assert_eq!(exif_orientation(&[r(Rotation::Ccw90), m(Mirror::TopBottom)]), 5);
        assert_eq!(exif_orientation(&[r(Rotation::Ccw270)]), 6);
        assert_eq!(exif_orientation(&[r(Rotation::Ccw270), m(Mirror::TopBottom)]), 7);
        assert_eq!(exif_orientation(&[r(Rotation::Ccw90)]), 8);
        assert_eq!(exif_orientation(&[r(Rotation::Ccw180), m(Mirror::LeftRight)]), 4);
    }

    #[test]
    fn tiles_are_averaged_into_the_canvas_and_the_padding_past_the_picture_is_left_out() {
        // Two 4×2 tiles side by side, a 6×2 picture: the second tile's right half is padding.
        let tile = |v: u8| Pixels { width: 4, height: 2, channels: 3, data: vec![v; 4 * 2 * 3] };
        let mut canvas = vec![0u8; 3 * 3];
        place(&tile(10), (0, 0), (6, 2), 2, &mut canvas, 3);
        let mut right = tile(30);
        right.data[..6].copy_from_slice(&[50, 50, 50, 50, 50, 50]); // first two pixels of row 0
        place(&right, (4, 0), (6, 2), 2, &mut canvas, 3);
        assert_eq!(canvas, vec![10, 10, 10, 10, 10, 10, 40, 40, 40]);
    }
}

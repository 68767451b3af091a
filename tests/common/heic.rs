//! HEIC fixtures made the way an iPhone stores its photos: the picture coded by ffmpeg's libx265
//! as independent intra pictures (one per 512×512 tile, or one for the whole image), wrapped here
//! in a HEIF container — a `grid` item over the tiles, `ispe`/`irot`/`imir` properties, an
//! embedded thumbnail item (`thmb`) and an `Exif` item (`cdsc`). Only ffmpeg is needed (`make
//! test` installs it); nothing is committed.
//!
//! The primary picture has a red block in its stored top-left quarter and is blue elsewhere;
//! the thumbnail item has the same red block on green, so a test can tell which one a
//! thumbnail was made from.

use image::{ImageBuffer, Rgb, RgbImage};
use std::path::Path;
use std::process::Command;

/// What the fixture holds.
#[derive(Debug, Clone, Default)]
pub struct Heic {
    pub width: u32,
    pub height: u32,
    /// Tile size of a grid (iPhones use 512); `None` codes the image as one picture.
    pub tile: Option<u32>,
    /// `irot`: quarter turns anticlockwise.
    pub rotation: u8,
    /// `imir`: 0 mirrors left and right, 1 top and bottom.
    pub mirror: Option<u8>,
    /// A TIFF block (EXIF) for an `Exif` item.
    pub exif: Option<Vec<u8>>,
    /// The long side of an embedded thumbnail item.
    pub thumbnail: Option<u32>,
}

const RED: Rgb<u8> = Rgb([230, 20, 20]);
const BLUE: Rgb<u8> = Rgb([20, 20, 230]);
const GREEN: Rgb<u8> = Rgb([20, 200, 20]);

/// Writes the HEIC `spec` describes to `path`, with the test pattern; `path`'s directory holds
/// the ffmpeg scratch files meanwhile.
pub fn write(path: &Path, spec: &Heic) {
    let (w, h) = (spec.width, spec.height);
    let (canvas_w, canvas_h) = coded_size(spec);
    let canvas: RgbImage = ImageBuffer::from_fn(canvas_w, canvas_h, |x, y| pattern(x, y, w, h, BLUE));
    let thumbnail = spec.thumbnail.map(|long| {
        let (tw, th) = thumbnail_size(spec, long);
        ImageBuffer::from_fn(tw, th, |x, y| pattern(x, y, tw, th, GREEN))
    });
    assemble(path, spec, &canvas, thumbnail.as_ref());
}

/// Writes `picture` (`spec.width`×`spec.height`) as the HEIC `spec` describes, its thumbnail
/// item (if any) a reduction of it: a photo-like file for the bench.
pub fn write_picture(path: &Path, spec: &Heic, picture: &RgbImage) {
    let (canvas_w, canvas_h) = coded_size(spec);
    let (w, h) = (spec.width, spec.height);
    let canvas = ImageBuffer::from_fn(canvas_w, canvas_h, |x, y| *picture.get_pixel(x.min(w - 1), y.min(h - 1)));
    let thumbnail = spec.thumbnail.map(|long| {
        let (tw, th) = thumbnail_size(spec, long);
        image::imageops::resize(picture, tw, th, image::imageops::FilterType::Triangle)
    });
    assemble(path, spec, &canvas, thumbnail.as_ref());
}

/// The size coded: whole tiles for a grid, else the picture's.
fn coded_size(spec: &Heic) -> (u32, u32) {
    match spec.tile {
        Some(tile) => (spec.width.div_ceil(tile) * tile, spec.height.div_ceil(tile) * tile),
        None => (spec.width, spec.height),
    }
}

/// A thumbnail item `long` pixels on its long side, even on both.
fn thumbnail_size(spec: &Heic, long: u32) -> (u32, u32) {
    let (w, h) = (spec.width, spec.height);
    if w >= h {
        (long, (long * h / w).max(2) & !1)
    } else {
        ((long * w / h).max(2) & !1, long)
    }
}

/// Codes `canvas` (whole tiles) and `thumbnail`, and writes the container around them.
fn assemble(path: &Path, spec: &Heic, canvas: &RgbImage, thumbnail: Option<&RgbImage>) {
    let (w, h) = (spec.width, spec.height);
    let (tile_w, tile_h) = match spec.tile {
        Some(tile) => (tile, tile),
        None => (w, h),
    };
    let (columns, rows) = (canvas.width() / tile_w, canvas.height() / tile_h);
    let (config, tiles) = encode(path, canvas, columns, rows);
    assert_eq!(tiles.len() as u32, columns * rows, "one coded picture per tile");
    let thumbnail = thumbnail.map(|small| {
        let (config, mut pictures) = encode(path, small, 1, 1);
        (small.width(), small.height(), config, pictures.remove(0))
    });

    let mut items = Vec::new(); // (id, type, hidden, data in mdat or idat)
    let mut props: Vec<Vec<u8>> = Vec::new(); // ipco, 1-based in ipma
    let mut assoc: Vec<(u16, Vec<u8>)> = Vec::new();
    let mut refs: Vec<([u8; 4], u16, Vec<u16>)> = Vec::new();
    let transforms = |props: &mut Vec<Vec<u8>>| {
        let mut indices = Vec::new();
        if spec.rotation != 0 {
            props.push(boxed(b"irot", &[spec.rotation & 3]));
            indices.push(0x80 | props.len() as u8);
        }
        if let Some(axis) = spec.mirror {
            props.push(boxed(b"imir", &[axis & 1]));
            indices.push(0x80 | props.len() as u8);
        }
        indices
    };
    props.push(boxed(b"hvcC", &config));
    let hvcc = props.len() as u8;
    props.push(ispe(tile_w, tile_h));
    let tile_ispe = props.len() as u8;
    let primary: u16;
    if spec.tile.is_some() {
        for (i, data) in tiles.into_iter().enumerate() {
            let id = i as u16 + 1;
            items.push((id, *b"hvc1", true, Place::Mdat(data)));
            assoc.push((id, vec![0x80 | hvcc, tile_ispe]));
        }
        primary = items.len() as u16 + 1;
        let grid = [0, 0, (rows - 1) as u8, (columns - 1) as u8];
        let grid = [&grid[..], &(w as u16).to_be_bytes(), &(h as u16).to_be_bytes()].concat();
        refs.push((*b"dimg", primary, (1..primary).collect()));
        items.push((primary, *b"grid", false, Place::Idat(grid)));
        props.push(ispe(w, h));
        let mut own = vec![props.len() as u8];
        own.extend(transforms(&mut props));
        assoc.push((primary, own));
    } else {
        primary = 1;
        items.push((primary, *b"hvc1", false, Place::Mdat(tiles.into_iter().next().unwrap())));
        let mut own = vec![0x80 | hvcc, tile_ispe];
        own.extend(transforms(&mut props));
        assoc.push((primary, own));
    }
    if let Some((tw, th, config, data)) = thumbnail {
        let id = items.len() as u16 + 1;
        items.push((id, *b"hvc1", false, Place::Mdat(data)));
        props.push(boxed(b"hvcC", &config));
        let mut own = vec![0x80 | props.len() as u8];
        props.push(ispe(tw, th));
        own.push(props.len() as u8);
        own.extend(transforms(&mut props));
        assoc.push((id, own));
        refs.push((*b"thmb", id, vec![primary]));
    }
    if let Some(tiff) = &spec.exif {
        let id = items.len() as u16 + 1;
        let data = [&6u32.to_be_bytes()[..], b"Exif\0\0", tiff].concat();
        items.push((id, *b"Exif", true, Place::Mdat(data)));
        refs.push((*b"cdsc", id, vec![primary]));
    }

    let ftyp = boxed(b"ftyp", &[&b"heic"[..], &0u32.to_be_bytes(), b"mif1heic"].concat());
    let meta_at = |mdat_start: u32| meta(primary, &items, &props, &assoc, &refs, mdat_start);
    let mdat_start = (ftyp.len() + meta_at(0).len() + 8) as u32;
    let mut file = ftyp;
    file.extend(meta_at(mdat_start));
    let payload: Vec<u8> = items
        .iter()
        .filter_map(|(_, _, _, place)| match place {
            Place::Mdat(data) => Some(data.as_slice()),
            Place::Idat(_) => None,
        })
        .flatten()
        .copied()
        .collect();
    file.extend(boxed(b"mdat", &payload));
    std::fs::write(path, file).unwrap();
}

/// Where an item's bytes are stored.
enum Place {
    Mdat(Vec<u8>),
    Idat(Vec<u8>),
}

/// Red in the top-left quarter of the `w`×`h` picture, `fill` elsewhere (and grey in the
/// padding past it, which the grid crops away).
fn pattern(x: u32, y: u32, w: u32, h: u32, fill: Rgb<u8>) -> Rgb<u8> {
    if x >= w || y >= h {
        Rgb([128, 128, 128])
    } else if x < w / 4 && y < h / 4 {
        RED
    } else {
        fill
    }
}

/// Codes `canvas` as `columns`×`rows` independent HEVC pictures (row by row): the `hvcC`
/// record and each picture's slices as 4-byte-length-prefixed NAL units.
fn encode(scratch: &Path, canvas: &RgbImage, columns: u32, rows: u32) -> (Vec<u8>, Vec<Vec<u8>>) {
    let png = scratch.with_extension("source.png");
    let hevc = scratch.with_extension("hevc");
    canvas.save(&png).unwrap();
    let mut ffmpeg = Command::new("ffmpeg");
    ffmpeg.args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i"]).arg(&png);
    if columns * rows > 1 {
        ffmpeg.args(["-vf", &format!("untile={columns}x{rows}")]);
    }
    let status = ffmpeg
        .args(["-pix_fmt", "yuv420p", "-c:v", "libx265", "-preset", "fast"])
        .args(["-x265-params", "keyint=1:open-gop=0:log-level=error", "-f", "hevc"])
        .arg(&hevc)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg could not code {}", png.display());
    let stream = std::fs::read(&hevc).unwrap();
    std::fs::remove_file(&png).unwrap();
    std::fs::remove_file(&hevc).unwrap();

    let (mut sets, mut pictures) = (Vec::<Vec<u8>>::new(), Vec::<Vec<u8>>::new());
    for nal in annex_b_units(&stream) {
        let kind = (nal[0] >> 1) & 0x3F;
        match kind {
            32..=34 if !sets.iter().any(|s| s[..] == nal[..]) => sets.push(nal.to_vec()),
            0..=21 => {
                // The first slice of a picture has first_slice_segment_in_pic_flag set.
                if nal[2] & 0x80 != 0 {
                    pictures.push(Vec::new());
                }
                let picture = pictures.last_mut().expect("a picture starts with its first slice");
                picture.extend((nal.len() as u32).to_be_bytes());
                picture.extend(nal);
            }
            _ => {}
        }
    }
    (hvcc(&sets), pictures)
}

/// The NAL units of an Annex B byte stream (start codes removed).
fn annex_b_units(stream: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= stream.len() {
        if stream[i..i + 3] == [0, 0, 1] {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut units = Vec::new();
    for (n, &start) in starts.iter().enumerate() {
        let mut end = starts.get(n + 1).map_or(stream.len(), |next| next - 3);
        while end > start && stream[end - 1] == 0 {
            end -= 1; // trailing zero bytes and the leading zero of a 4-byte start code
        }
        units.push(&stream[start..end]);
    }
    units
}

/// An `hvcC` decoder configuration record holding the VPS, SPS and PPS (ISO/IEC 14496-15).
fn hvcc(sets: &[Vec<u8>]) -> Vec<u8> {
    let sps = sets.iter().find(|s| (s[0] >> 1) & 0x3F == 33).expect("an SPS");
    // The SPS payload without emulation prevention bytes: header (2), ids (1), then the
    // profile, tier and level (12 bytes) that the record repeats.
    let mut rbsp = Vec::new();
    for &b in &sps[2..] {
        if b == 3 && rbsp.ends_with(&[0, 0]) {
            continue;
        }
        rbsp.push(b);
    }
    let mut out = vec![1];
    out.extend(&rbsp[1..13]);
    out.extend([0xF0, 0x00, 0xFC, 0xFD, 0xF8, 0xF8, 0, 0, 0x0F]);
    out.push(sets.len() as u8);
    for set in sets {
        out.push(0x80 | ((set[0] >> 1) & 0x3F));
        out.extend(1u16.to_be_bytes());
        out.extend((set.len() as u16).to_be_bytes());
        out.extend(set);
    }
    out
}

fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    out.extend(kind);
    out.extend(body);
    out
}

fn full(kind: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
    let mut head = flags.to_be_bytes();
    head[0] = version;
    boxed(kind, &[&head[..], body].concat())
}

fn ispe(w: u32, h: u32) -> Vec<u8> {
    full(b"ispe", 0, 0, &[w.to_be_bytes(), h.to_be_bytes()].concat())
}

/// The `meta` box; `mdat_start` is where the `mdat` payload will begin in the file.
fn meta(
    primary: u16,
    items: &[(u16, [u8; 4], bool, Place)],
    props: &[Vec<u8>],
    assoc: &[(u16, Vec<u8>)],
    refs: &[([u8; 4], u16, Vec<u16>)],
    mdat_start: u32,
) -> Vec<u8> {
    let hdlr = full(b"hdlr", 0, 0, &[&[0u8; 4][..], b"pict", &[0u8; 12], b"\0"].concat());
    let pitm = full(b"pitm", 0, 0, &primary.to_be_bytes());
    let mut iinf = (items.len() as u16).to_be_bytes().to_vec();
    for (id, kind, hidden, _) in items {
        let body = [&id.to_be_bytes()[..], &[0, 0], kind, b"\0"].concat();
        iinf.extend(full(b"infe", 2, u32::from(*hidden), &body));
    }
    let mut iref = Vec::new();
    for (kind, from, to) in refs {
        let mut body = from.to_be_bytes().to_vec();
        body.extend((to.len() as u16).to_be_bytes());
        to.iter().for_each(|t| body.extend(t.to_be_bytes()));
        iref.extend(boxed(kind, &body));
    }
    let mut ipma = (assoc.len() as u32).to_be_bytes().to_vec();
    for (id, indices) in assoc {
        ipma.extend(id.to_be_bytes());
        ipma.push(indices.len() as u8);
        ipma.extend(indices);
    }
    let iprp = boxed(b"iprp", &[boxed(b"ipco", &props.concat()), full(b"ipma", 0, 0, &ipma)].concat());
    let (mut iloc, mut idat, mut at) = (vec![0x44, 0x00], Vec::new(), mdat_start);
    iloc.extend((items.len() as u16).to_be_bytes());
    for (id, _, _, place) in items {
        let (method, offset, len) = match place {
            Place::Mdat(data) => {
                at += data.len() as u32;
                (0u16, at - data.len() as u32, data.len())
            }
            Place::Idat(data) => {
                idat.extend(data);
                (1, (idat.len() - data.len()) as u32, data.len())
            }
        };
        iloc.extend(id.to_be_bytes());
        iloc.extend(method.to_be_bytes());
        iloc.extend([0, 0, 0, 1]); // data reference 0, one extent
        iloc.extend(offset.to_be_bytes());
        iloc.extend((len as u32).to_be_bytes());
    }
    let children = [
        hdlr,
        pitm,
        full(b"iinf", 0, 0, &iinf),
        full(b"iref", 0, 0, &iref),
        iprp,
        full(b"iloc", 1, 0, &iloc),
        boxed(b"idat", &idat),
    ];
    full(b"meta", 0, 0, &children.concat())
}

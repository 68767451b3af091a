//! TIFF IFDs, shared by TIFF files and the EXIF blocks of JPEG, PNG and WebP: width, height and
//! orientation from IFD0; the capture time from the EXIF sub-IFD (DateTimeOriginal, else
//! DateTimeDigitized, each with its OffsetTime… when the camera wrote one, else in the server's
//! time zone); latitude and longitude from the GPS sub-IFD. Only those tags are read: inline
//! SHORT/LONG values, and ASCII and RATIONAL values wherever their offsets point, each read
//! bounded. Nothing else is followed (no maker notes), but for [`thumbnail`]: where IFD1 says a
//! JPEG thumbnail lies.

use super::{Input, Source};
use crate::clock::WallClock;
use std::io;

/// Entries read from one IFD, whatever its declared count.
const MAX_ENTRIES: usize = 1024;
/// Longest ASCII value read (dates are 20 bytes, offsets 7).
const MAX_TEXT: usize = 64;

#[derive(Debug, Clone, Copy)]
enum Order {
    Little,
    Big,
}

impl Order {
    /// The byte order from a TIFF header ("II*\0" or "MM\0*").
    fn from_header(b: &[u8]) -> Option<Order> {
        match b.get(..4)? {
            b"II*\0" => Some(Order::Little),
            b"MM\0*" => Some(Order::Big),
            _ => None,
        }
    }

    fn u16(self, b: &[u8], off: usize) -> Option<u16> {
        match self {
            Order::Little => super::le16(b, off),
            Order::Big => super::be16(b, off),
        }
    }

    fn u32(self, b: &[u8], off: usize) -> Option<u32> {
        match self {
            Order::Little => super::le32(b, off),
            Order::Big => super::be32(b, off),
        }
    }
}

/// What the IFDs say; orientation only when it is a valid 1..=8.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(super) struct Exif {
    pub width: Option<u64>,
    pub height: Option<u64>,
    pub orientation: Option<i64>,
    /// Unix seconds of the capture.
    pub taken: Option<i64>,
    /// (latitude, longitude) in degrees, north and east positive.
    pub place: Option<(f64, f64)>,
}

/// The EXIF of a TIFF block held in memory (an EXIF payload after "Exif\0\0").
pub(super) fn from_block(block: &[u8]) -> Exif {
    let mut read = |offset: u64, len: usize| -> io::Result<Vec<u8>> {
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        Ok(block.get(start..).map_or_else(Vec::new, |rest| rest[..rest.len().min(len)].to_vec()))
    };
    parse(&mut read).unwrap_or_default()
}

/// Where the JPEG thumbnail of an EXIF block lies in it (offset from the TIFF header, length):
/// IFD1's JPEGInterchangeFormat and its length, when both are there and inside the block.
pub(crate) fn thumbnail(block: &[u8]) -> Option<(u64, u64)> {
    let order = Order::from_header(block)?;
    let ifd0 = usize::try_from(order.u32(block, 4)?).ok()?;
    let count = usize::from(order.u16(block, ifd0)?).min(MAX_ENTRIES);
    let ifd1 = order.u32(block, ifd0 + 2 + 12 * count)?;
    if ifd1 == 0 {
        return None;
    }
    let mut read = |offset: u64, len: usize| -> io::Result<Vec<u8>> {
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        Ok(block.get(start..).map_or_else(Vec::new, |rest| rest[..rest.len().min(len)].to_vec()))
    };
    let ifd1 = entries(order, &mut read, u64::from(ifd1)).ok()?;
    let at = find(&ifd1, 0x0201)?.short_or_long(order)?;
    let len = find(&ifd1, 0x0202)?.short_or_long(order)?;
    (len > 0 && at.checked_add(len)? <= block.len() as u64).then_some((at, len))
}

/// The EXIF of a TIFF file: its header, then its IFDs wherever they lie.
pub(super) fn from_file<R: Source>(inp: &mut Input<R>) -> io::Result<Exif> {
    parse(&mut |offset, len| inp.read_at(offset, len))
}

/// Reads `len` bytes at an offset from the start of the TIFF header (fewer at its end).
type Read<'a> = dyn FnMut(u64, usize) -> io::Result<Vec<u8>> + 'a;

/// One IFD entry: tag, field type, count and the 4-byte value-or-offset field.
#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: u16,
    kind: u16,
    count: u32,
    value: [u8; 4],
}

fn parse(read: &mut Read) -> io::Result<Exif> {
    let head = read(0, 8)?;
    let Some(order) = Order::from_header(&head) else {
        return Ok(Exif::default());
    };
    let Some(ifd0) = order.u32(&head, 4) else {
        return Ok(Exif::default());
    };
    let mut out = Exif::default();
    let (mut exif_ifd, mut gps_ifd) = (None, None);
    for e in entries(order, read, u64::from(ifd0))? {
        let value = e.short_or_long(order);
        match e.tag {
            0x0100 => out.width = value,
            0x0101 => out.height = value,
            0x0112 => out.orientation = value.filter(|v| (1..=8).contains(v)).and_then(|v| i64::try_from(v).ok()),
            0x8769 => exif_ifd = value,
            0x8825 => gps_ifd = value,
            _ => {}
        }
    }
    if let Some(offset) = exif_ifd {
        let exif = entries(order, read, offset)?;
        out.taken = capture_time(order, read, &exif)?;
    }
    if let Some(offset) = gps_ifd {
        let gps = entries(order, read, offset)?;
        out.place = place(order, read, &gps)?;
    }
    Ok(out)
}

/// The entries of the IFD at `offset` (count, then 12-byte entries).
fn entries(order: Order, read: &mut Read, offset: u64) -> io::Result<Vec<Entry>> {
    let table = read(offset, 2 + 12 * MAX_ENTRIES)?;
    let count = order.u16(&table, 0).map_or(0, usize::from).min(MAX_ENTRIES);
    let mut out = Vec::new();
    for e in (0..count).map(|i| 2 + 12 * i) {
        let (Some(tag), Some(kind), Some(count), Some(value)) =
            (order.u16(&table, e), order.u16(&table, e + 2), order.u32(&table, e + 4), super::bytes(&table, e + 8))
        else {
            break;
        };
        out.push(Entry { tag, kind, count, value });
    }
    Ok(out)
}

impl Entry {
    /// A single inline SHORT or LONG.
    fn short_or_long(&self, order: Order) -> Option<u64> {
        match (self.kind, self.count) {
            (3, 1) => order.u16(&self.value, 0).map(u64::from),
            (4, 1) => order.u32(&self.value, 0).map(u64::from),
            _ => None,
        }
    }

    /// The value's bytes: inline when they fit in 4, else read where the offset points.
    fn data(&self, order: Order, read: &mut Read, unit: usize, max: usize) -> io::Result<Vec<u8>> {
        let len = usize::try_from(self.count).unwrap_or(usize::MAX).saturating_mul(unit).min(max);
        if len <= 4 {
            return Ok(self.value[..len].to_vec());
        }
        match order.u32(&self.value, 0) {
            Some(offset) => read(u64::from(offset), len),
            None => Ok(Vec::new()),
        }
    }

    /// An ASCII value, up to its first NUL, trimmed.
    fn text(&self, order: Order, read: &mut Read) -> io::Result<Option<String>> {
        if self.kind != 2 {
            return Ok(None);
        }
        let bytes = self.data(order, read, 1, MAX_TEXT)?;
        let text = bytes.split(|&b| b == 0).next().unwrap_or_default();
        Ok(std::str::from_utf8(text).ok().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()))
    }

    /// Unsigned RATIONAL values (at most 3).
    fn rationals(&self, order: Order, read: &mut Read) -> io::Result<Vec<f64>> {
        if self.kind != 5 {
            return Ok(Vec::new());
        }
        let bytes = self.data(order, read, 8, 24)?;
        let value = |i: usize| {
            let (n, d) = (order.u32(&bytes, 8 * i)?, order.u32(&bytes, 8 * i + 4)?);
            (d != 0).then(|| f64::from(n) / f64::from(d))
        };
        Ok((0..bytes.len() / 8).map_while(value).collect())
    }
}

fn find(entries: &[Entry], tag: u16) -> Option<&Entry> {
    entries.iter().find(|e| e.tag == tag)
}

/// DateTimeOriginal (with OffsetTimeOriginal), else DateTimeDigitized (with OffsetTimeDigitized).
fn capture_time(order: Order, read: &mut Read, exif: &[Entry]) -> io::Result<Option<i64>> {
    for (date_tag, offset_tag) in [(0x9003, 0x9011), (0x9004, 0x9012)] {
        let Some(date) = find(exif, date_tag) else { continue };
        let Some(reading) = date.text(order, read)?.as_deref().and_then(wall_clock) else { continue };
        let offset = match find(exif, offset_tag) {
            Some(e) => e.text(order, read)?.as_deref().and_then(offset_minutes),
            None => None,
        };
        return Ok(Some(offset.map_or_else(|| reading.local(), |minutes| reading.at_offset(minutes))));
    }
    Ok(None)
}

/// "YYYY:MM:DD HH:MM:SS" (some writers use '-' in the date); blanks or zeros for unknown are None.
pub(super) fn wall_clock(text: &str) -> Option<WallClock> {
    let b = text.as_bytes();
    let number = |from: usize, len: usize| -> Option<i64> {
        let digits = b.get(from..from + len)?;
        digits.iter().all(u8::is_ascii_digit).then(|| digits.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let separators = [(4, b":-"), (7, b":-"), (10, b" T"), (13, b"::"), (16, b"::")];
    if !separators.iter().all(|&(at, allowed)| b.get(at).is_some_and(|c| allowed.contains(c))) {
        return None;
    }
    WallClock::new((number(0, 4)?, number(5, 2)?, number(8, 2)?), (number(11, 2)?, number(14, 2)?, number(17, 2)?))
}

/// "+HH:MM" or "-HH:MM" as minutes east of UTC.
pub(super) fn offset_minutes(text: &str) -> Option<i64> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (hours, minutes) = rest.split_once(':').unwrap_or((rest.get(..2)?, rest.get(2..)?));
    let (hours, minutes): (i64, i64) = (hours.parse().ok()?, minutes.parse().ok()?);
    ((0..=14).contains(&hours) && (0..60).contains(&minutes)).then_some(sign * (hours * 60 + minutes))
}

/// GPSLatitude/GPSLongitude (degrees, minutes, seconds) with their N/S and E/W references.
fn place(order: Order, read: &mut Read, gps: &[Entry]) -> io::Result<Option<(f64, f64)>> {
    let mut coordinate = |reference_tag: u16, value_tag: u16, negative: &str| -> io::Result<Option<f64>> {
        let (Some(reference), Some(value)) = (find(gps, reference_tag), find(gps, value_tag)) else {
            return Ok(None);
        };
        let sign = if reference.text(order, read)?.as_deref() == Some(negative) { -1.0 } else { 1.0 };
        let parts = value.rationals(order, read)?;
        let degrees = parts.iter().zip([1.0, 60.0, 3600.0]).map(|(v, per)| v / per).sum::<f64>();
        Ok((!parts.is_empty() && degrees.is_finite()).then_some(sign * degrees))
    };
    let (latitude, longitude) = (coordinate(1, 2, "S")?, coordinate(3, 4, "W")?);
    Ok(match (latitude, longitude) {
        (Some(lat), Some(lon)) if lat.abs() <= 90.0 && lon.abs() <= 180.0 && (lat, lon) != (0.0, 0.0) => {
            Some((lat, lon))
        }
        _ => None,
    })
}

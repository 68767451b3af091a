//! TIFF IFD0 parsing, shared by TIFF files and the EXIF blocks of JPEG, PNG and WebP. Only
//! inline SHORT/LONG values of IFD0 are read: width, height and orientation.

use super::{Input, Source};
use std::io;

/// Entries read from one IFD, whatever its declared count.
const MAX_ENTRIES: usize = 1024;

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

/// What IFD0 says; orientation only when it is a valid 1..=8.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(super) struct Ifd0 {
    pub width: Option<u64>,
    pub height: Option<u64>,
    pub orientation: Option<i64>,
}

/// IFD0 of a TIFF block held in memory (an EXIF payload after "Exif\0\0").
pub(super) fn from_block(block: &[u8]) -> Ifd0 {
    let Some(order) = Order::from_header(block) else {
        return Ifd0::default();
    };
    let table = order.u32(block, 4).and_then(|off| usize::try_from(off).ok()).and_then(|off| block.get(off..));
    table.map(|t| entries(order, t)).unwrap_or_default()
}

/// IFD0 of a TIFF file: its header, then its entry table wherever that lies.
pub(super) fn from_file<R: Source>(inp: &mut Input<R>) -> io::Result<Ifd0> {
    let head = inp.read_at(0, 8)?;
    let Some(order) = Order::from_header(&head) else {
        return Ok(Ifd0::default());
    };
    let Some(offset) = order.u32(&head, 4) else {
        return Ok(Ifd0::default());
    };
    let table = inp.read_at(u64::from(offset), 2 + 12 * MAX_ENTRIES)?;
    Ok(entries(order, &table))
}

/// Reads the entries of the table at the start of `ifd` (count, then 12-byte entries).
fn entries(order: Order, ifd: &[u8]) -> Ifd0 {
    let count = order.u16(ifd, 0).map_or(0, usize::from).min(MAX_ENTRIES);
    let mut out = Ifd0::default();
    for e in (0..count).map(|i| 2 + 12 * i) {
        let (Some(tag), Some(kind), Some(n)) = (order.u16(ifd, e), order.u16(ifd, e + 2), order.u32(ifd, e + 4)) else {
            break;
        };
        let value = match (kind, n) {
            (3, 1) => order.u16(ifd, e + 8).map(u64::from),
            (4, 1) => order.u32(ifd, e + 8).map(u64::from),
            _ => None,
        };
        match tag {
            0x0100 => out.width = value,
            0x0101 => out.height = value,
            0x0112 => out.orientation = value.filter(|v| (1..=8).contains(v)).and_then(|v| i64::try_from(v).ok()),
            _ => {}
        }
    }
    out
}

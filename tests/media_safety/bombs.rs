//! The decode budget: decompression bombs — a ~500 KB PNG that inflates to an 8000×8000 RGBA
//! image of 16-bit samples (512 MB), a JPEG of a few hundred bytes declaring 65535×65535 — are
//! answered -10008 at once, alone or six at a time beside a login, and the server's peak memory
//! stays small; a normal 24 MP photo and a Retina screenshot still get both thumbnails.

use crate::common::{emulated, fixtures, media_dir, scan_config, skipped, Client, TestServer};
use crate::file_id;
use std::path::Path;

/// The server's peak resident memory must stay below this (KiB) through every test here.
const PEAK_RSS_KIB: u64 = 64 * 1024;

/// An 8000×8000 RGBA PNG with 16-bit samples whose image data, all zeros, really inflates to
/// 512,008,000 bytes (a filter byte and 64,000 sample bytes a row): a zlib stream of one
/// dynamic-Huffman deflate block that codes a literal 0 and then repeats "258 bytes from 1
/// back" in 2 bits, the densest deflate allows (~1032:1).
pub fn png_bomb() -> Vec<u8> {
    const SIDE: u32 = 8000;
    let total = u64::from(SIDE) * (1 + u64::from(SIDE) * 8);
    let mut bits = Bits::default();
    bits.put(1, 1); // the final block
    bits.put(2, 2); // dynamic Huffman codes
    bits.put(286 - 257, 5); // literal/length codes 0..=285
    bits.put(2 - 1, 5); // distance codes 0 and 1
    bits.put(18 - 4, 4); // code length codes, in the order below, up to that of 1
                         // The code length code: symbol 18 (a run of zeros) in 1 bit, 1 and 2 in 2 bits each.
    for symbol in [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1] {
        bits.put(
            match symbol {
                18 => 1,
                1 | 2 => 2,
                _ => 0,
            },
            3,
        );
    }
    // Canonical codes: 18 → 0, 1 → 10, 2 → 11.
    let (zeros, one, two) = (
        |bits: &mut Bits, n: u64| {
            bits.code(0, 1);
            bits.put(n - 11, 7);
        },
        |bits: &mut Bits| bits.code(0b10, 2),
        |bits: &mut Bits| bits.code(0b11, 2),
    );
    // Literal/length lengths: 0 → 2, 1..=255 → 0, 256 (end) → 2, 257..=284 → 0, 285 (258) → 1;
    // distance lengths: 0 (1 back) → 1, 1 → 1.
    two(&mut bits);
    zeros(&mut bits, 138);
    zeros(&mut bits, 117);
    two(&mut bits);
    zeros(&mut bits, 28);
    one(&mut bits);
    one(&mut bits);
    one(&mut bits);
    // Canonical codes: 285 → 0, literal 0 → 10, end → 11; distance 0 → 0.
    bits.code(0b10, 2);
    let (matches, rest) = ((total - 1) / 258, (total - 1) % 258);
    for _ in 0..matches {
        bits.put(0, 2);
    }
    for _ in 0..rest {
        bits.code(0b10, 2);
    }
    bits.code(0b11, 2);
    let mut zlib = vec![0x78, 0x01];
    zlib.extend(bits.finish());
    let adler = ((total % 65521) << 16) | 1; // a = 1 + Σ bytes = 1, b = Σ a = total
    zlib.extend((adler as u32).to_be_bytes());

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(SIDE.to_be_bytes());
    ihdr.extend(SIDE.to_be_bytes());
    ihdr.extend([16, 6, 0, 0, 0]); // 16-bit samples, RGBA, deflate, no filter method, no interlace
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &zlib);
    chunk(&mut png, b"IEND", &[]);
    png
}

/// A deflate bit stream: values least significant bit first, Huffman codes most significant first.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u64, count: u32) {
        self.acc |= value << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    fn code(&mut self, code: u64, len: u32) {
        let reversed = (0..len).fold(0, |r, i| r | ((code >> i) & 1) << (len - 1 - i));
        self.put(reversed, len);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend((data.len() as u32).to_be_bytes());
    let start = png.len();
    png.extend(kind);
    png.extend(data);
    let crc = crc32(&png[start..]);
    png.extend(crc.to_be_bytes());
}

fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0u32, |crc, &b| {
        (0..8).fold(crc ^ u32::from(b), |c, _| if c & 1 == 1 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 })
    })
}

/// A real 16×16 JPEG whose frame header now declares 65535×65535: every table is valid, so a
/// decoder without a budget entropy-decodes 4.3 billion pixels of padding.
pub fn jpeg_bomb(scratch: &Path) -> Vec<u8> {
    fixtures::jpeg(scratch, 16, 16, None);
    let mut bytes = std::fs::read(scratch).unwrap();
    std::fs::remove_file(scratch).unwrap();
    // Hop from segment to segment (marker, 16-bit length) to the baseline frame header.
    let mut at = 2;
    while bytes[at + 1] != 0xC0 {
        at += 2 + usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
    }
    bytes[at + 5..at + 9].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]); // height, width
    bytes
}

/// terry's root `m/` with three PNG and three JPEG bombs and a 6000×4000 photo.
fn library() -> (TestServer, Client) {
    let server = TestServer::start_with(|dir| {
        let media = media_dir(dir, "m");
        let png = png_bomb();
        assert!(png.len() < 600_000, "a ~500 KB PNG bomb, not {} bytes", png.len());
        let jpeg = jpeg_bomb(&dir.join("scratch.jpg"));
        for i in 1..=3 {
            std::fs::write(media.join(format!("bomb{i}.png")), &png).unwrap();
            std::fs::write(media.join(format!("bomb{i}.jpg")), &jpeg).unwrap();
        }
        fixtures::jpeg(&media.join("photo.jpg"), 6000, 4000, None);
        fixtures::png_with_alpha(&media.join("screenshot.png"), 2880, 1800);
        scan_config(dir, &[("terry", "123", &[media.as_path()])]);
    });
    let mut client = server.client();
    client.login("terry", "123");
    (server, client)
}

const BOMBS: [&str; 6] = ["bomb1.png", "bomb2.png", "bomb3.png", "bomb1.jpg", "bomb2.jpg", "bomb3.jpg"];

fn peak_rss_is_small(server: &TestServer) {
    if emulated() {
        return skipped("the peak memory under an emulator is the emulator's");
    }
    let peak = server.peak_rss_kib();
    assert!(peak < PEAK_RSS_KIB, "peak RSS {peak} KiB, budget {PEAK_RSS_KIB} KiB");
}

#[test]
fn decompression_bombs_are_refused_with_10008_and_the_refusal_is_remembered() {
    let (server, mut client) = library();
    for name in ["bomb1.png", "bomb1.jpg"] {
        let id = file_id(&mut client, name);
        for level in [0, 1] {
            let response = client.get(&format!("/thumbnail.icc?id={id}&level={level}"));
            assert_eq!((response.status, response.code()), (404, -10008), "{name} at level {level}");
        }
        let conn = rusqlite::Connection::open(server.app_dir().join("dataManager.db")).unwrap();
        let statuses: (i64, i64) = conn
            .query_row("SELECT statusForThumb, statusForScreen FROM Files WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(statuses, (1, 1), "{name}: recorded as a build error, never decoded again");
    }
    peak_rss_is_small(&server);
}

#[test]
fn six_bombs_at_once_do_not_keep_a_login_waiting() {
    let (server, mut client) = library();
    let ids: Vec<i64> = BOMBS.iter().map(|name| file_id(&mut client, name)).collect();
    let answers: Vec<(u16, i64)> = std::thread::scope(|scope| {
        let requests: Vec<_> = ids
            .iter()
            .map(|id| {
                let mut bomber = client.clone();
                scope.spawn(move || {
                    let response = bomber.get(&format!("/thumbnail.icc?id={id}&level=1"));
                    (response.status, response.code())
                })
            })
            .collect();
        let mut family = server.client();
        let login = family.post_form("/login.icc", "userName=terry&password=123");
        assert_eq!(login.code(), 0, "the login is answered while six bombs are asked for");
        requests.into_iter().map(|r| r.join().unwrap()).collect()
    });
    assert!(answers.iter().all(|a| *a == (404, -10008)), "{answers:?}");
    peak_rss_is_small(&server);
}

#[test]
fn an_rgba_retina_screenshot_still_gets_both_thumbnails() {
    let (_server, mut client) = library();
    let id = file_id(&mut client, "screenshot.png");
    for (level, want) in [(0, (160, 100)), (1, (800, 500))] {
        let response = client.get(&format!("/thumbnail.icc?id={id}&level={level}"));
        assert_eq!(response.status, 200, "level {level}: {}", String::from_utf8_lossy(&response.body));
        let img = image::load_from_memory(&response.body).expect("a thumbnail");
        assert_eq!((img.width(), img.height()), want, "level {level}");
    }
}

#[test]
fn a_normal_24_mp_photo_still_gets_both_thumbnails() {
    let (server, mut client) = library();
    let id = file_id(&mut client, "photo.jpg");
    for (level, want) in [(0, (160, 106)), (1, (800, 533))] {
        let response = client.get(&format!("/thumbnail.icc?id={id}&level={level}"));
        assert_eq!(response.status, 200, "level {level}: {}", String::from_utf8_lossy(&response.body));
        let img = image::load_from_memory(&response.body).expect("a JPEG thumbnail");
        assert_eq!((img.width(), img.height()), want, "level {level}");
    }
    peak_rss_is_small(&server);
}

use super::*;
use std::io::{self, Read};

const B: &str = "boundary42";
type Parts = Vec<(PartHeaders, Vec<u8>)>;

/// Reader returning `size()`-byte chunks: fixed, split-once-at, or LCG-random.
enum Sizes {
    Fixed(usize),
    SplitAt(usize),
    Lcg(u64),
}
struct Chunked<'a> {
    data: &'a [u8],
    pos: usize,
    sizes: Sizes,
}
impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = match &mut self.sizes {
            Sizes::Fixed(n) => *n,
            Sizes::SplitAt(at) if self.pos < *at => *at - self.pos,
            Sizes::SplitAt(_) => usize::MAX,
            Sizes::Lcg(s) => {
                *s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                1 + (*s >> 33) as usize % 17
            }
        };
        let n = want.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Parses everything with a 7-byte output buffer; the error is rendered as Debug text.
fn parse(body: &[u8], sizes: Sizes) -> (Parts, String) {
    let mut mp = MultipartReader::new(Chunked { data: body, pos: 0, sizes }, B);
    let mut parts = Vec::new();
    loop {
        let headers = match mp.next_part() {
            Ok(Some(h)) => h,
            Ok(None) => return (parts, String::new()),
            Err(e) => return (parts, format!("{e:?}")),
        };
        let (mut data, mut chunk) = (Vec::new(), [0u8; 7]);
        loop {
            match mp.read_data(&mut chunk) {
                Ok(0) => break,
                Ok(n) => data.extend_from_slice(&chunk[..n]),
                Err(e) => {
                    parts.push((headers, data));
                    return (parts, format!("{e:?}"));
                }
            }
        }
        parts.push((headers, data));
    }
}

fn field(name: &str, filename: Option<&str>, ct: Option<&str>) -> PartHeaders {
    let s = |v: Option<&str>| v.map(str::to_string);
    PartHeaders { name: Some(name.into()), filename: s(filename), content_type: s(ct) }
}

fn two_part_body(file_data: &[u8]) -> Vec<u8> {
    let mut body = b"--boundary42\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nMy movie\r\n--boundary42\r\ncontent-disposition: form-data; name=\"file\"; filename=\"a.mp4\"\r\nContent-Type: video/mp4\r\n\r\n".to_vec();
    body.extend_from_slice(file_data);
    body.extend_from_slice(b"\r\n--boundary42--\r\nepilogue");
    body
}

const TRICKY: &[u8] = b"\r\n--\r\n--bound\r\n--boundary4X--boundary42\r\r\n\n\r\n-\r";

#[test]
fn two_parts_a_field_and_a_file_are_parsed_with_exact_bytes() {
    let (parts, err) = parse(&two_part_body(b"\x00\x01binary\r\n"), Sizes::Fixed(4096));
    assert_eq!(err, "");
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0], (field("title", None, None), b"My movie".to_vec()));
    let file = field("file", Some("a.mp4"), Some("video/mp4"));
    assert_eq!(parts[1], (file, b"\x00\x01binary\r\n".to_vec()));
}

#[test]
fn one_byte_and_random_small_reads_agree_on_data_with_delimiter_look_alikes() {
    let body = two_part_body(TRICKY);
    let whole = parse(&body, Sizes::Fixed(usize::MAX));
    assert_eq!(whole.1, "");
    assert_eq!(whole.0[1].1, TRICKY);
    assert_eq!(parse(&body, Sizes::Fixed(1)), whole);
    for seed in 0..20 {
        assert_eq!(parse(&body, Sizes::Lcg(seed)), whole);
    }
}

#[test]
fn a_body_split_into_two_reads_at_any_offset_parses_identically() {
    let body = two_part_body(TRICKY);
    let whole = parse(&body, Sizes::Fixed(usize::MAX));
    for at in 0..body.len() {
        assert_eq!(parse(&body, Sizes::SplitAt(at)), whole, "split at {at}");
    }
}

#[test]
fn an_empty_part_has_no_data_and_the_next_part_still_follows() {
    let body = b"--boundary42\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\r\n--boundary42\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\nx\r\n--boundary42--";
    let (parts, err) = parse(body, Sizes::Fixed(1));
    assert_eq!(err, "");
    assert_eq!(parts, vec![(field("a", None, None), vec![]), (field("b", None, None), b"x".to_vec())]);
}

#[test]
fn a_missing_final_boundary_is_truncated_and_keeps_only_certain_data() {
    let head = b"--boundary42\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nhello".to_vec();
    for (tail, kept) in [
        (&b"\r\n--bou"[..], &b"hello"[..]),
        (b"\r", b"hello"),
        (b"\r\n--boundary4", b"hello"),
        (b"\r\n--bx", b"hello\r\n--bx"),
        (b"--boundary42", b"hello--boundary42"),
    ] {
        let body = [&head[..], tail].concat();
        for sizes in [Sizes::Fixed(1), Sizes::Fixed(64)] {
            let (parts, err) = parse(&body, sizes);
            assert_eq!((parts[0].1.as_slice(), err.as_str()), (kept, "Truncated"));
        }
    }
}

#[test]
fn every_cut_of_a_body_yields_prefixes_of_the_true_data() {
    let body = two_part_body(TRICKY);
    let (full, _) = parse(&body, Sizes::Fixed(usize::MAX));
    let closing_end = body.len() - b"\r\nepilogue".len();
    for cut in 0..body.len() {
        let (parts, err) = parse(&body[..cut], Sizes::Fixed(3));
        let expected = match cut {
            c if c >= closing_end => "",
            c if c < "--boundary42".len() => "Malformed(\"no opening boundary\")",
            _ => "Truncated",
        };
        assert_eq!(err, expected, "cut at {cut}");
        for (got, want) in parts.iter().zip(&full) {
            assert_eq!(got.0, want.0);
            assert!(want.1.starts_with(&got.1), "cut at {cut}");
        }
    }
}

#[test]
fn preamble_epilogue_bare_lf_headers_and_transport_padding_are_accepted() {
    let body =
        b"ignored preamble\r\n--boundary42 \t\nContent-Disposition: form-data; name=x\n\nv\r\n--boundary42--garbage";
    let (parts, err) = parse(body, Sizes::Fixed(1));
    assert_eq!((parts, err), (vec![(field("x", None, None), b"v".to_vec())], String::new()));
}

#[test]
fn missing_opening_boundary_is_malformed() {
    let (_, err) = parse(b"Content-Disposition: form-data; name=\"a\"\r\n\r\nx", Sizes::Fixed(5));
    assert_eq!(err, "Malformed(\"no opening boundary\")");
    assert_eq!(parse(b"", Sizes::Fixed(5)).1, "Malformed(\"no opening boundary\")");
}

#[test]
fn a_boundary_followed_by_other_characters_is_malformed() {
    let body = b"--boundary42\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--boundary42X\r\n";
    assert_eq!(parse(body, Sizes::Fixed(1)).1, "Malformed(\"unexpected bytes after boundary\")");
}

#[test]
fn huge_header_sections_and_too_many_headers_are_malformed() {
    let big = format!("--boundary42\r\nX-Big: {}\r\n\r\ndata", "a".repeat(9000));
    assert_eq!(parse(big.as_bytes(), Sizes::Fixed(1000)).1, "Malformed(\"header section too large\")");
    let many = format!("--boundary42\r\n{}\r\ndata", "X-A: 1\r\n".repeat(33));
    assert_eq!(parse(many.as_bytes(), Sizes::Fixed(1)).1, "Malformed(\"too many part headers\")");
    let ok = format!("--boundary42\r\n{}\r\ndata\r\n--boundary42--", "X-A: 1\r\n".repeat(32));
    assert_eq!(parse(ok.as_bytes(), Sizes::Fixed(1)).1, "");
    let bad = b"--boundary42\r\nno colon here\r\n\r\n";
    assert_eq!(parse(bad, Sizes::Fixed(1)).1, "Malformed(\"bad header line\")");
}

#[test]
fn eof_inside_headers_or_right_after_a_delimiter_is_truncated() {
    for body in [&b"--boundary42"[..], b"--boundary42\r\n", b"--boundary42\r\nContent-Dispo", b"--boundary42-"] {
        assert_eq!(parse(body, Sizes::Fixed(1)).1, "Truncated");
    }
}

#[test]
fn quoted_filename_with_escaped_quote_and_semicolon_is_unescaped() {
    let body = b"--boundary42\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\\\"b;c.mp4\"; x=y\r\n\r\n\r\n--boundary42--";
    let (parts, _) = parse(body, Sizes::Fixed(1));
    assert_eq!(parts[0].0.filename.as_deref(), Some("a\"b;c.mp4"));
    assert_eq!(parts[0].0.name.as_deref(), Some("f"));
}

#[test]
fn absent_filename_is_none_and_rfc5987_filename_star_wins() {
    let body = b"--boundary42\r\nContent-Disposition: form-data; name=f\r\n\r\n\r\n--boundary42\r\nContent-Disposition: form-data; name=g; filename=\"x\"; filename*=UTF-8''na%C3%AFve%20f.mkv\r\n\r\n\r\n--boundary42--";
    let (parts, _) = parse(body, Sizes::Fixed(2));
    assert_eq!(parts[0].0.filename, None);
    assert_eq!(parts[1].0.filename.as_deref(), Some("na\u{ef}ve f.mkv"));
}

#[test]
fn next_part_skips_unread_data_of_the_current_part() {
    let body = two_part_body(TRICKY);
    let mut mp = MultipartReader::new(Chunked { data: &body, pos: 0, sizes: Sizes::Fixed(1) }, B);
    assert_eq!(mp.next_part().unwrap(), Some(field("title", None, None)));
    assert_eq!(mp.next_part().unwrap().and_then(|h| h.filename).as_deref(), Some("a.mp4"));
    assert_eq!(mp.next_part().unwrap(), None);
    assert_eq!(mp.next_part().unwrap(), None);
}

#[test]
fn boundary_from_content_type_handles_quotes_case_params_and_missing_values() {
    let cases = [
        ("multipart/form-data; boundary=abc", Some("abc")),
        ("Multipart/Form-Data; BOUNDARY=\"a b:c\"", Some("a b:c")),
        ("multipart/form-data; charset=utf-8; boundary=----WebKit123 ; x=1", Some("----WebKit123")),
        ("multipart/form-data", None),
        ("multipart/form-data; boundary=", None),
        ("multipart/form-data; boundary=\"\"", None),
        ("application/json; boundary=abc", None),
    ];
    for (ct, want) in cases {
        assert_eq!(boundary_from_content_type(ct).as_deref(), want, "{ct}");
    }
    assert_eq!(boundary_from_content_type(&format!("multipart/form-data; boundary={}", "a".repeat(71))), None);
    assert!(is_multipart_form_data(" MULTIPART/form-data ;boundary=x"));
    assert!(!is_multipart_form_data("multipart/mixed"));
}

#[test]
fn part_reader_errors_are_classified_through_io_copy() {
    let body = b"--boundary42\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nabc\r\n--bo";
    let mut mp = MultipartReader::new(&body[..], B);
    assert!(mp.next_part().unwrap().is_some());
    let mut out = Vec::new();
    let err = io::copy(&mut mp.part_reader(), &mut out).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    assert!(matches!(classify(&err), Some(MultipartError::Truncated)));
    assert_eq!(out, b"abc");
    assert!(matches!(mp.next_part(), Err(MultipartError::Truncated)));
    assert!(classify(&io::Error::from(io::ErrorKind::UnexpectedEof)).is_none());
}

/// Streams head + `len` LCG bytes + tail in reads of at most 64 KiB.
struct Generated {
    head: Vec<u8>,
    tail: Vec<u8>,
    len: usize,
    pos: usize,
    lcg: u64,
}
fn lcg_byte(s: &mut u64) -> u8 {
    *s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
    (*s >> 56) as u8
}
impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(64 * 1024);
        let (h, total) = (self.head.len(), self.head.len() + self.len + self.tail.len());
        let mut written = 0;
        while written < n && self.pos < total {
            buf[written] = match self.pos {
                p if p < h => self.head[p],
                p if p < h + self.len => lcg_byte(&mut self.lcg),
                p => self.tail[p - h - self.len],
            };
            written += 1;
            self.pos += 1;
        }
        Ok(written)
    }
}
struct Fnv(u64, usize);
impl io::Write for Fnv {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for &b in buf {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        self.1 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_twenty_megabyte_part_streams_through_64k_reads_with_equal_content() {
    const LEN: usize = 20 * 1024 * 1024;
    let head = b"--boundary42\r\nContent-Disposition: form-data; name=\"v\"; filename=\"big.bin\"\r\n\r\n".to_vec();
    let body = Generated { head, tail: b"\r\n--boundary42--\r\n".to_vec(), len: LEN, pos: 0, lcg: 7 };
    let mut mp = MultipartReader::new(body, B);
    assert_eq!(mp.next_part().unwrap().and_then(|h| h.filename).as_deref(), Some("big.bin"));
    let mut got = Fnv(0xcbf2_9ce4_8422_2325, 0);
    io::copy(&mut mp.part_reader(), &mut got).unwrap();
    let (mut want, mut lcg) = (Fnv(0xcbf2_9ce4_8422_2325, 0), 7);
    for _ in 0..LEN {
        io::Write::write(&mut want, &[lcg_byte(&mut lcg)]).unwrap();
    }
    assert_eq!((got.0, got.1), (want.0, LEN));
    assert_eq!(mp.next_part().unwrap(), None);
}

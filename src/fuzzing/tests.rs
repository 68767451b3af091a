use super::*;
use std::path::{Path, PathBuf};

/// The committed seed files of a fuzz target (tests/fuzz/corpus/<target>/).
fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("an entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} has no seeds", dir.display());
    files.into_iter().map(|path| (path.clone(), std::fs::read(&path).expect("a readable seed"))).collect()
}

#[test]
fn every_seed_of_the_http_targets_passes_its_entry_point() {
    for (target, run) in [("multipart", multipart as fn(&[u8])), ("range", range), ("params", params)] {
        for (_, data) in seeds(target) {
            run(&data);
        }
    }
}

/// The seeds named `too-large-*` are inputs the fuzzer found over the decode budget.
#[test]
fn every_heif_seed_decodes_to_a_grid_thumbnail_or_is_refused_as_too_large() {
    for (path, data) in seeds("heif") {
        heif(&data);
        let size = crate::media::heif::decode_in_memory(&data, (160, 120));
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.starts_with("too-large-") {
            assert!(matches!(size, Err(crate::media::thumbnail::ThumbError::TooLarge(_))), "{name}: {size:?}");
        } else {
            assert!(size.as_ref().is_ok_and(|&(w, h)| w >= 160 && h >= 120), "{name}: {size:?}");
        }
    }
}

#[test]
fn every_probe_seed_passes_its_group_and_is_recognised_as_the_scanner_would() {
    for (group, target) in Probe::ALL {
        for (path, data) in seeds(target) {
            probe(group, &data);
            let ext = path.extension().and_then(|e| e.to_str()).expect("a seed with an extension");
            let info = check(probe_in_memory(&data, ext, None), None, ext);
            assert_ne!(info.file_type, file_type::OTHER, "{}: {info:?}", path.display());
        }
    }
}

#[test]
fn multipart_seeds_give_parts_and_a_truncated_body_is_noticed() {
    let parts = |name: &str| {
        let data = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus/multipart").join(name))
            .expect("a seed");
        let newline = data.iter().position(|&b| b == b'\n').expect("a Content-Type line");
        let boundary = boundary_from_content_type(&String::from_utf8_lossy(&data[..newline])).expect("a boundary");
        read_parts(MultipartReader::new(&data[newline + 1..], &boundary), false)
    };
    let (two, end) = parts("two-parts");
    assert_eq!(end, End::Done);
    assert_eq!(two.len(), 2);
    assert_eq!(two[1].3, b"\xff\xd8\xff\r\n--X");
    let (cut, end) = parts("quoted-truncated");
    assert_eq!(end, End::Truncated);
    assert_eq!(cut[0].1.as_deref(), Some("été.png"));
    assert_eq!(cut[1].3, b"unfinished");
}

#[test]
fn a_json_body_nested_a_million_deep_is_parsed_and_dropped_without_overflowing_the_stack() {
    let deep = |open: &str, close: &str| format!("\u{1}{{\"a\":{}{}}}", open.repeat(500_000), close.repeat(500_000));
    params(deep("[", "]").as_bytes());
    params(deep("{\"b\":", "}").as_bytes());
    params("\u{1}[".repeat(1 << 20).as_bytes());
}

#[test]
fn range_windows_at_the_edges_of_u64() {
    let input = |size: u64, header: &str| [size.to_le_bytes().as_slice(), header.as_bytes()].concat();
    for header in ["bytes=0-", "bytes=-18446744073709551615", "bytes=18446744073709551614-18446744073709551615"] {
        for size in [0, 1, u64::MAX - 1, u64::MAX] {
            range(&input(size, header));
        }
    }
}

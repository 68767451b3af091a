//! Unit tests of `receive`: part dispatch, touched/marked bookkeeping, the failure kinds and
//! their protocol codes, over in-memory multipart bodies and a temporary directory.

use super::*;
use std::path::Path;

const B: &str = "XyZ";

fn body(parts: &[(&str, Option<&str>, &[u8])], close: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, filename, data) in parts {
        out.extend_from_slice(format!("--{B}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes());
        if let Some(filename) = filename {
            out.extend_from_slice(format!("; filename=\"{filename}\"").as_bytes());
        }
        out.extend_from_slice(b"\r\n\r\n");
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }
    if close {
        out.extend_from_slice(format!("--{B}--\r\n").as_bytes());
    }
    out
}

fn plan(dir: &Path, begins: [i64; 3]) -> Plan {
    Plan {
        targets: ["origin.bin", "7/thumb_1", "7/thumbScreen_1"]
            .map(|name| Some(Inside { root: dir.to_path_buf(), path: dir.join(name) })),
        begins,
        check: Some(Method::Sha1),
    }
}

/// Runs `receive` and returns the outcome and the parts marked, in order.
fn run(bytes: &[u8], plan: &Plan) -> (Outcome, Vec<Part>) {
    let mut marked = Vec::new();
    let mut reader = MultipartReader::new(bytes, B);
    let outcome = receive(&mut reader, plan, &mut |part| {
        marked.push(part);
        Ok(())
    });
    (outcome, marked)
}

fn sha1(bytes: &[u8]) -> String {
    sha1_smol::Sha1::from(bytes).digest().to_string()
}

#[test]
fn file_parts_go_to_their_targets_and_ordinary_fields_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(dir.path(), [0, 0, 0]);
    let bytes =
        body(&[("title", None, b"hi"), ("file", Some("origin"), b"movie"), ("f", Some("screen"), b"big")], true);
    let (outcome, marked) = run(&bytes, &plan);
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    assert_eq!(outcome.touched, [true, false, true]);
    assert_eq!(marked, [Part::Origin, Part::Screen]);
    assert_eq!(outcome.digests[0], Some(sha1(b"movie")));
    assert_eq!(std::fs::read(dir.path().join("7/thumbScreen_1")).unwrap(), b"big", "screen is not thumb (D10)");
    assert!(!dir.path().join("7/thumb_1").exists());
}

#[test]
fn a_repeated_target_is_marked_once_and_the_last_part_wins() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(dir.path(), [0, 0, 0]);
    let bytes = body(&[("a", Some("thumb"), b"first"), ("b", Some("thumb"), b"second")], true);
    let (outcome, marked) = run(&bytes, &plan);
    assert_eq!(marked, [Part::Thumb]);
    assert_eq!(std::fs::read(dir.path().join("7/thumb_1")).unwrap(), b"second");
    assert_eq!(outcome.digests[1], Some(sha1(b"second")));
}

#[test]
fn an_unknown_file_part_stops_after_the_parts_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(dir.path(), [0, 0, 0]);
    let bytes =
        body(&[("a", Some("origin"), b"data"), ("b", Some("other.jpg"), b"x"), ("c", Some("thumb"), b"t")], true);
    let (outcome, _) = run(&bytes, &plan);
    assert!(matches!(outcome.failure, Some(Failure::UnknownPart(ref n)) if n == "other.jpg"));
    assert_eq!(outcome.touched, [true, false, false]);
    assert_eq!(std::fs::read(dir.path().join("origin.bin")).unwrap(), b"data");
}

#[test]
fn a_bad_begin_position_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("origin.bin"), b"abc").unwrap();
    let plan = plan(dir.path(), [4, 0, 0]);
    let (outcome, marked) = run(&body(&[("a", Some("origin"), b"more")], true), &plan);
    assert!(matches!(outcome.failure, Some(Failure::BadBegin { part: Part::Origin, begin: 4, size: 3 })));
    assert!(marked.is_empty() && !outcome.touched_any());
    assert_eq!(std::fs::read(dir.path().join("origin.bin")).unwrap(), b"abc");
}

#[test]
fn a_truncated_body_keeps_the_prefix_and_counts_as_touched() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(dir.path(), [0, 0, 0]);
    let mut bytes = body(&[("a", Some("origin"), b"0123456789")], false);
    bytes.truncate(bytes.len() - 6); // cut inside the data: "012345" remains, no delimiter follows
    let (outcome, _) = run(&bytes, &plan);
    assert!(matches!(outcome.failure, Some(Failure::Body(_))));
    assert_eq!(outcome.touched, [true, false, false]);
    let stored = std::fs::read(dir.path().join("origin.bin")).unwrap();
    assert!(b"0123456789".starts_with(&stored) && !stored.is_empty(), "{stored:?}");
}

#[test]
fn a_malformed_body_and_a_missing_origin_target_fail() {
    let dir = tempfile::tempdir().unwrap();
    let (outcome, _) = run(b"no boundary here", &plan(dir.path(), [0, 0, 0]));
    assert!(matches!(outcome.failure, Some(Failure::Body(_))));
    let mut no_catalog = plan(dir.path(), [0, 0, 0]);
    no_catalog.targets[0] = None;
    let (outcome, marked) = run(&body(&[("a", Some("origin"), b"x")], true), &no_catalog);
    assert!(matches!(outcome.failure, Some(Failure::NoPhysicalCatalog)));
    assert!(marked.is_empty());
}

#[test]
fn an_unwritable_target_is_a_disk_failure() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("7"), b"a file where the thumbnail directory should be").unwrap();
    let (outcome, _) = run(&body(&[("a", Some("thumb"), b"x")], true), &plan(dir.path(), [0, 0, 0]));
    assert!(matches!(outcome.failure, Some(Failure::Disk(Part::Thumb, _))));
}

#[test]
fn a_failing_mark_stops_before_the_target_changes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("origin.bin"), b"keep").unwrap();
    let bytes = body(&[("a", Some("origin"), b"new")], true);
    let mut reader = MultipartReader::new(&bytes[..], B);
    let outcome = receive(&mut reader, &plan(dir.path(), [0, 0, 0]), &mut |_| Err(ApiError::Data));
    assert_eq!(outcome.failure.map(|f| f.api_error()), Some(ApiError::Data));
    assert_eq!(std::fs::read(dir.path().join("origin.bin")).unwrap(), b"keep");
}

#[test]
fn full_and_read_only_disks_map_to_invalid_parameter_and_a_database_failure_to_data() {
    for errno in [libc::ENOSPC, libc::EROFS, libc::EACCES, libc::EIO] {
        let failure = Failure::Disk(Part::Origin, io::Error::from_raw_os_error(errno));
        assert_eq!(failure.api_error(), ApiError::InvalidParameter, "errno {errno}");
        assert_eq!(failure.api_error().code(), -10003);
    }
    assert!(disk_cause(&io::Error::from_raw_os_error(libc::ENOSPC)).starts_with("the disk is full"));
    assert!(disk_cause(&io::Error::from_raw_os_error(libc::EROFS)).starts_with("the file system is read-only"));
    let body = Failure::Body(MultipartError::Truncated.into());
    assert_eq!(body.api_error(), ApiError::InvalidParameter);
    assert_eq!(Failure::Marking(ApiError::Data).api_error().code(), -102);
}

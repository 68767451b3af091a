//! Real WebDAV clients against the real binary: Debian's litmus compliance suite (basic,
//! copymove, props, locks, http) and rclone copying a camera-roll-like tree of photos and
//! videos up and back down. `make test` installs both; without them these tests say they
//! skipped.

use super::dav;
use crate::common::{fixtures, skipped, TestServer};
use crate::{family_library, file_id};
use std::path::Path;
use std::process::Command;

const LITMUS: &str = "/usr/bin/litmus";
const RCLONE: &str = "/usr/bin/rclone";

fn have(tool: &str, package: &str) -> bool {
    let found = Path::new(tool).exists();
    if !found {
        skipped(&format!("no {tool}: install the Debian package {package} (make test-deps does)"));
    }
    found
}

#[test]
fn litmus_passes_every_test_of_every_suite() {
    if !have(LITMUS, "litmus") {
        return;
    }
    let server = family_library();
    let work = tempfile::tempdir().unwrap();
    let output = Command::new(LITMUS)
        .current_dir(work.path()) // it writes debug.log and child.log there
        .args([&format!("http://{}/dav/terry/", server.addr), "terry", "123"])
        .output()
        .expect("litmus runs");
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    for suite in ["basic", "copymove", "props", "locks", "http"] {
        let summary = report
            .lines()
            .find(|line| line.starts_with(&format!("<- summary for `{suite}'")))
            .unwrap_or_else(|| panic!("no summary for {suite} in:\n{report}"));
        assert!(summary.contains(" 0 failed"), "{summary}\n{report}");
    }
    assert!(!report.contains("WARNING"), "{report}");
}

/// rclone with a remote `isync:` for terry, configured through the environment only.
fn rclone(server: &TestServer, config: &Path, args: &[&str]) -> String {
    let obscured = Command::new(RCLONE).args(["obscure", "123"]).output().expect("rclone obscure");
    let password = String::from_utf8(obscured.stdout).unwrap();
    let output = Command::new(RCLONE)
        .arg("--config")
        .arg(config)
        .args(args)
        .env("RCLONE_CONFIG_ISYNC_TYPE", "webdav")
        .env("RCLONE_CONFIG_ISYNC_URL", format!("http://{}/dav/terry", server.addr))
        .env("RCLONE_CONFIG_ISYNC_VENDOR", "other")
        .env("RCLONE_CONFIG_ISYNC_USER", "terry")
        .env("RCLONE_CONFIG_ISYNC_PASS", password.trim())
        .output()
        .expect("rclone runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "rclone {args:?} failed: {stderr}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Every regular file below `dir`, as (path relative to `dir`, contents), sorted.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(next).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                files.push((relative, std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn rclone_copies_a_camera_roll_up_and_back_down_unchanged_and_the_photos_appear() {
    if !have(RCLONE, "rclone") {
        return;
    }
    let server = family_library();
    let work = tempfile::tempdir().unwrap();
    let roll = work.path().join("roll");
    std::fs::create_dir_all(roll.join("DCIM/100APPLE")).unwrap();
    std::fs::create_dir_all(roll.join("Été 2023")).unwrap();
    fixtures::jpeg(&roll.join("DCIM/100APPLE/IMG_0001.JPG"), 640, 480, Some(6));
    fixtures::jpeg(&roll.join("DCIM/100APPLE/IMG_0002.JPG"), 320, 240, None);
    fixtures::jpeg(&roll.join("Été 2023/plage #1.jpg"), 200, 100, None);
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    std::fs::write(roll.join("DCIM/100APPLE/IMG_0003.bin"), &big).unwrap();
    if fixtures::have_ffmpeg() {
        fixtures::mp4(&roll.join("DCIM/100APPLE/IMG_0004.MP4"), 160, 120, 1.0, None);
    } else {
        skipped("no ffmpeg: the camera roll has no video");
    }
    let config = work.path().join("rclone.conf");
    std::fs::write(&config, "").unwrap();
    rclone(&server, &config, &["copy", roll.to_str().unwrap(), "isync:Backup"]);
    let down = work.path().join("down");
    rclone(&server, &config, &["copy", "isync:Backup", down.to_str().unwrap()]);
    assert_eq!(tree(&down), tree(&roll), "what came back down is what went up");
    let listed = rclone(&server, &config, &["lsf", "-R", "isync:Backup"]);
    assert!(listed.contains("DCIM/100APPLE/IMG_0001.JPG") && listed.contains("Été 2023/plage #1.jpg"), "{listed}");
    let mut client = server.client();
    client.login("terry", "123");
    for name in ["IMG_0001.JPG", "IMG_0002.JPG", "plage #1.jpg"] {
        let id = file_id(&mut client, name);
        let thumbnail = client.get(&format!("/thumbnail.icc?id={id}&level=0"));
        assert_eq!(thumbnail.status, 200, "{name}'s thumbnail");
    }
    assert_eq!(dav(&server, "GET", "/dav/terry/Backup/DCIM/100APPLE/IMG_0003.bin", &[], b"").body.len(), big.len());
}

//! `isync install` / `uninstall` into a temporary root: the files, the hardened unit (checked by
//! `systemd-analyze verify`), the starter configuration, and an uninstall that keeps the data.

use crate::common::isync_command;
use std::path::Path;
use std::process::Command;

fn isync(args: &[&str]) -> (i32, String, String) {
    let out = isync_command().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn install_writes_binary_user_app_dir_and_a_hardened_unit() {
    let root = tempfile::tempdir().unwrap();
    let root_str = root.path().to_str().unwrap();
    let (code, out, err) = isync(&["install", "--root", root_str, "--media", "/mnt/media", "--media", "/srv/photos"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("first user: family"), "{out}");
    let at = |p: &str| root.path().join(p);
    assert!(std::fs::metadata(at("usr/local/bin/isync")).unwrap().len() > 100_000);
    assert!(std::fs::read_to_string(at("etc/sysusers.d/isync.conf")).unwrap().contains("u isync"));
    let unit = std::fs::read_to_string(at("etc/systemd/system/isync.service")).unwrap();
    for directive in [
        "User=isync",
        "Restart=on-failure",
        "LimitNOFILE=65536",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/isync -/mnt/media -/srv/photos",
        "WantedBy=multi-user.target",
        "ExecStart=/usr/local/bin/isync --app-dir /var/lib/isync serve --scan --listen 0.0.0.0:5000",
    ] {
        assert!(unit.contains(directive), "{directive} in\n{unit}");
    }
    let config = std::fs::read_to_string(at("var/lib/isync/scanDiskConfig.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert_eq!(json[0]["paths"], serde_json::json!(["/mnt/media", "/srv/photos"]));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(at("var/lib/isync/scanDiskConfig.json")).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "the passwords are readable by the service account only");
    verify_unit(&unit, &at("usr/local/bin/isync"));
}

/// `systemd-analyze verify` on the unit, with ExecStart pointing at the installed binary.
fn verify_unit(unit: &str, binary: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("isync.service");
    std::fs::write(&file, unit.replace("/usr/local/bin/isync", binary.to_str().unwrap())).unwrap();
    match Command::new("systemd-analyze").arg("verify").arg(&file).output() {
        Ok(out) => {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "systemd-analyze verify failed: {err}");
            assert!(!err.contains("isync.service:"), "systemd-analyze complains about the unit: {err}");
        }
        Err(_) => crate::common::skipped("systemd-analyze verify not run: not installed"),
    }
}

#[test]
fn reinstalling_keeps_the_configuration_and_uninstall_keeps_data_and_media() {
    let root = tempfile::tempdir().unwrap();
    let root_str = root.path().to_str().unwrap();
    assert_eq!(isync(&["install", "--root", root_str]).0, 0);
    let config = root.path().join("var/lib/isync/scanDiskConfig.json");
    std::fs::write(&config, "[]").unwrap();
    std::fs::write(root.path().join("var/lib/isync/dataManager.db"), b"db").unwrap();
    let (code, out, _) = isync(&["install", "--root", root_str]);
    assert_eq!(code, 0);
    assert!(!out.contains("first user"), "an existing configuration is kept: {out}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), "[]");
    let (code, out, err) = isync(&["uninstall", "--root", root_str]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("kept"));
    assert!(!root.path().join("etc/systemd/system/isync.service").exists());
    assert!(!root.path().join("usr/local/bin/isync").exists());
    assert!(!root.path().join("etc/sysusers.d/isync.conf").exists());
    assert_eq!(std::fs::read(root.path().join("var/lib/isync/dataManager.db")).unwrap(), b"db");
    assert_eq!(isync(&["uninstall", "--root", root_str]).0, 0, "uninstalling twice is fine");
}

#[test]
fn install_rejects_relative_media_folders_and_strange_arguments() {
    assert_eq!(isync(&["install", "--root", "/tmp/x", "--media", "relative"]).0, 2);
    assert_eq!(isync(&["install", "--bogus"]).0, 2);
}

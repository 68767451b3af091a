//! `isync install` / `isync uninstall` for Raspberry Pi OS Lite (or any systemd Linux): copies
//! the running binary to /usr/local/bin, declares the service user through sysusers.d, creates
//! the app directory with a starter scan configuration, writes a hardened systemd unit and
//! enables it. `--root DIR` writes everything under DIR instead and runs no system command (what
//! the tests use). Uninstall removes the unit, the user declaration and the binary, never the
//! media or the database. This is the only module that runs system commands.

use super::starter::FIRST_USER;
use crate::config::SCAN_CONFIG_FILE;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const SERVICE: &str = "isync";
const BINARY: &str = "usr/local/bin/isync";
const UNIT: &str = "etc/systemd/system/isync.service";
const SYSUSERS: &str = "etc/sysusers.d/isync.conf";
const APP_DIR: &str = "var/lib/isync";

#[derive(Debug, PartialEq)]
pub struct InstallOptions {
    /// Where to install: "/" for the real system.
    pub root: PathBuf,
    /// The media folders the service may read and write.
    pub media: Vec<PathBuf>,
    pub listen: String,
}

pub fn install(options: &InstallOptions) -> Result<(), String> {
    let live = options.root == Path::new("/");
    if live && !is_root_user() {
        return Err("install needs root: run it with sudo".into());
    }
    let at = |relative: &str| options.root.join(relative);
    copy_binary(&at(BINARY))?;
    write_file(&at(SYSUSERS), SYSUSERS_TEXT.as_bytes(), 0o644)?;
    write_file(&at(UNIT), unit_text(options).as_bytes(), 0o644)?;
    if live {
        run(&["systemd-sysusers", &at(SYSUSERS).to_string_lossy()])?;
    }
    let app_dir = at(APP_DIR);
    std::fs::create_dir_all(&app_dir).map_err(|e| format!("cannot create {}: {e}", app_dir.display()))?;
    let _ = std::fs::set_permissions(&app_dir, std::fs::Permissions::from_mode(0o750));
    let starter = app_dir.join(SCAN_CONFIG_FILE);
    if !starter.exists() {
        let password = super::starter::write(&starter, &options.media)?;
        println!(
            "first user: {FIRST_USER}, password {password} (edit {} to change users and folders)",
            starter.display()
        );
    }
    if live {
        run(&["chown", "-R", "isync:isync", &app_dir.to_string_lossy()])?;
        run(&["systemctl", "daemon-reload"])?;
        run(&["systemctl", "enable", "--now", SERVICE])?;
        println!("isync is running: http://<this machine>{}", options.listen.trim_start_matches("0.0.0.0"));
    }
    Ok(())
}

pub fn uninstall(root: &Path) -> Result<(), String> {
    let live = root == Path::new("/");
    if live && !is_root_user() {
        return Err("uninstall needs root: run it with sudo".into());
    }
    if live {
        let _ = run(&["systemctl", "disable", "--now", SERVICE]);
    }
    for relative in [UNIT, SYSUSERS, BINARY] {
        match std::fs::remove_file(root.join(relative)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot remove {}: {e}", root.join(relative).display())),
        }
    }
    if live {
        run(&["systemctl", "daemon-reload"])?;
    }
    println!("removed the service; the database, settings and media in /{APP_DIR} and the media folders are kept");
    Ok(())
}

const SYSUSERS_TEXT: &str =
    "# The unprivileged account of the iSync media server.\nu isync - \"iSync media server\" /var/lib/isync\n";

/// The systemd unit: restart on failure, no new privileges, a read-only system with write
/// access only to the app directory and the media folders.
pub fn unit_text(options: &InstallOptions) -> String {
    let media: Vec<String> = options.media.iter().map(|m| format!("-{}", m.display())).collect();
    format!(
        "[Unit]
Description=iSync home media server
After=network-online.target local-fs.target
Wants=network-online.target

[Service]
Type=simple
User=isync
Group=isync
ExecStart=/usr/local/bin/isync --app-dir /var/lib/isync serve --scan --listen {listen}
Restart=on-failure
RestartSec=3
# Room for the connection cap (two descriptors per connection; http::warden).
LimitNOFILE=65536
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths=/var/lib/isync {media}
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
CapabilityBoundingSet=
UMask=0027

[Install]
WantedBy=multi-user.target
",
        listen = options.listen,
        media = media.join(" ")
    )
}

fn copy_binary(target: &Path) -> Result<(), String> {
    let me = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
    if std::fs::canonicalize(&me).ok() == std::fs::canonicalize(target).ok() {
        return Ok(()); // already running the installed binary (an upgrade replaced it in place)
    }
    let bytes = std::fs::read(&me).map_err(|e| format!("cannot read {}: {e}", me.display()))?;
    // Write next to the target and rename, so a running service is never half-replaced.
    let temp = target.with_extension("new");
    write_file(&temp, &bytes, 0o755)?;
    std::fs::rename(&temp, target).map_err(|e| format!("cannot install {}: {e}", target.display()))
}

fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn run(argv: &[&str]) -> Result<(), String> {
    let status = Command::new(argv[0]).args(&argv[1..]).status().map_err(|e| format!("cannot run {}: {e}", argv[0]))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} failed ({status})", argv.join(" ")))
    }
}

fn is_root_user() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

//! The test harness: starts the real `isync` binary (or $ISYNC_BIN, optionally through
//! $ISYNC_RUNNER such as qemu-aarch64-static) on 127.0.0.1:0 with its own temporary app dir,
//! reads the bound address from its first stdout line, and talks plain HTTP/1.1 to it with a tiny
//! client that can also send malformed and hostile requests. [`browser`] drives a headless
//! Chromium through WebDriver for the web gallery's tests.
//!
//! A test that cannot run here, or one check it cannot make, says so through [`skipped`]: a line
//! `SKIPPED: <test>: <reason>` on stderr in every run, so a skip never passes for a pass.

#![allow(dead_code)]

pub mod browser;
pub mod fixtures;
pub mod heic;
pub mod http;
pub mod served;
pub mod upload;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub use http::{Client, KeepAlive};

/// Reports that the running test, or one check of it, was skipped: `SKIPPED: <test>: <reason>`.
/// Written to the process's stderr directly, past the harness's capture of `eprintln!` (which
/// shows output only for failing tests), so the line appears in every run:
/// `cargo test --test tests 2>&1 | grep SKIPPED` lists every skip. Every skip goes through here.
pub fn skipped(reason: &str) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("<unnamed test>");
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED: {test}: {reason}");
}

/// True when the tests run as root (effective uid 0), as they do on CI.
pub fn running_as_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let uids = status.lines().find_map(|l| l.strip_prefix("Uid:")).expect("a Uid line");
    uids.split_whitespace().nth(1) == Some("0")
}

/// The user an unprivileged server runs as when the tests run as root: `nobody`.
const UNPRIVILEGED: u32 = 65534;
/// Its copy of the binary, in the app dir.
const UNPRIVILEGED_COPY: &str = "isync-under-test";

/// Where the binary under test is.
fn server_binary() -> String {
    std::env::var("ISYNC_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_isync").to_string())
}

/// The binary under test, and what (if anything) runs it.
pub fn isync_command() -> Command {
    command_for(&server_binary())
}

fn command_for(bin: &str) -> Command {
    match std::env::var("ISYNC_RUNNER").ok().filter(|r| !r.is_empty()) {
        Some(runner) => {
            let mut command = Command::new(runner);
            command.arg(bin);
            command
        }
        None => Command::new(bin),
    }
}

/// True when the server runs under an emulator ($ISYNC_RUNNER), whose memory is not the server's.
pub fn emulated() -> bool {
    std::env::var("ISYNC_RUNNER").is_ok_and(|r| !r.is_empty())
}

/// Runs `isync --app-dir DIR <args>` to completion; returns (status code, stdout, stderr).
pub fn run_isync(app_dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = isync_command().arg("--app-dir").arg(app_dir).args(args).output().expect("isync runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A running server with its own app dir; killed on drop.
pub struct TestServer {
    pub child: Child,
    pub addr: String,
    pub dir: tempfile::TempDir,
    /// The unprivileged uid the server runs as instead of the tests' root, if it does.
    user: Option<u32>,
}

impl TestServer {
    /// Starts a server on a fresh app dir prepared by `setup` (which may write appConfigs.json,
    /// media and a scan configuration, and run `isync scan`).
    pub fn start_with(setup: impl FnOnce(&Path)) -> TestServer {
        Self::start_with_args(&[], setup)
    }

    /// Like `start_with`, passing extra options to `isync serve`.
    pub fn start_with_args(args: &[&str], setup: impl FnOnce(&Path)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        setup(dir.path());
        let child = spawn_server(dir.path(), args, None);
        Self::attach(child, dir, None)
    }

    /// Like `start_with`, but the server never runs as root, for tests of what file permissions
    /// refuse (root writes through them). When the tests run as root, the prepared app dir is
    /// handed to `nobody` and the server runs as that user, from a copy of the binary inside the
    /// app dir (the original's path may not be reachable for `nobody`).
    pub fn start_unprivileged_with(setup: impl FnOnce(&Path)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        setup(dir.path());
        let user = running_as_root().then_some(UNPRIVILEGED);
        if let Some(user) = user {
            std::fs::copy(server_binary(), dir.path().join(UNPRIVILEGED_COPY)).expect("copy the binary");
            chown_tree(dir.path(), user);
        }
        let child = spawn_server(dir.path(), &[], user);
        Self::attach(child, dir, user)
    }

    pub fn start() -> TestServer {
        Self::start_with(|_| {})
    }

    /// A server whose process may open at most `limit` descriptors (soft and hard limit), for
    /// tests of what happens when a client makes it run out.
    pub fn start_with_descriptor_limit(limit: u64) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut command = isync_command();
        let limit = libc::rlimit { rlim_cur: limit as libc::rlim_t, rlim_max: limit as libc::rlim_t };
        // SAFETY: setrlimit is async-signal-safe and only reads `limit`, copied into the closure.
        unsafe {
            command.pre_exec(move || {
                if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        command.arg("--app-dir").arg(dir.path()).args(["serve", "--listen", "127.0.0.1:0"]);
        let child = command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("isync serve starts");
        Self::attach(child, dir, None)
    }

    /// Hands a path the test created (and its parents inside the app dir) to the server's
    /// user, so that an unprivileged server can use it; nothing to do for any other server.
    pub fn hand_over(&self, path: &Path) {
        let Some(user) = self.user else { return };
        for dir in path.ancestors().take_while(|p| p.starts_with(self.app_dir())) {
            std::os::unix::fs::lchown(dir, Some(user), Some(user))
                .unwrap_or_else(|e| panic!("chown {}: {e}", dir.display()));
        }
    }

    fn attach(mut child: Child, dir: tempfile::TempDir, user: Option<u32>) -> TestServer {
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("first stdout line");
        let addr =
            line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("bad first line: {line:?}"));
        TestServer { addr: addr.to_string(), child, dir, user }
    }

    pub fn app_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn client(&self) -> Client {
        Client::new(&self.addr)
    }

    /// Kills the server (SIGKILL) and starts it again on the same app dir.
    pub fn restart(mut self) -> TestServer {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"));
        let child = spawn_server(dir.path(), &[], self.user);
        Self::attach(child, dir, self.user)
    }

    /// VmRSS of the server process in KiB (Linux).
    pub fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    /// VmHWM (peak resident set) of the server process in KiB (Linux).
    pub fn peak_rss_kib(&self) -> u64 {
        self.status_kib("VmHWM:")
    }

    /// A `kB` line of /proc/<server>/status. Panics when it cannot be read: a memory check
    /// against a silent 0 could never fail.
    fn status_kib(&self, field: &str) -> u64 {
        let path = format!("/proc/{}/status", self.child.id());
        let status = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in {path}"))
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

/// Starts `isync serve` on `app_dir`; as `user` (from its copy of the binary) when given.
fn spawn_server(app_dir: &Path, extra: &[&str], user: Option<u32>) -> Child {
    let mut command = match user {
        Some(user) => {
            let mut command = command_for(&app_dir.join(UNPRIVILEGED_COPY).to_string_lossy());
            command.uid(user).gid(user);
            command
        }
        None => isync_command(),
    };
    command
        .arg("--app-dir")
        .arg(app_dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("isync serve starts")
}

/// Gives `path` and everything below it (symlinks themselves, not their targets) to `id`.
fn chown_tree(path: &Path, id: u32) {
    std::os::unix::fs::lchown(path, Some(id), Some(id)).unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
        for entry in std::fs::read_dir(path).unwrap() {
            chown_tree(&entry.unwrap().path(), id);
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes `scanDiskConfig.json` granting each (user, password, paths) entry, then scans.
pub fn scan_config(app_dir: &Path, entries: &[(&str, &str, &[&Path])]) {
    let json: Vec<serde_json::Value> = entries
        .iter()
        .map(|(user, password, paths)| {
            serde_json::json!({
                "paths": paths.iter().map(|p| p.to_string_lossy().into_owned()).collect::<Vec<_>>(),
                "users": [{"name": user, "password": password}],
            })
        })
        .collect();
    std::fs::write(app_dir.join("scanDiskConfig.json"), serde_json::to_string_pretty(&json).unwrap()).unwrap();
    let (code, _, stderr) = run_isync(app_dir, &["scan"]);
    assert_eq!(code, 0, "scan failed: {stderr}");
}

/// A media folder inside the app dir.
pub fn media_dir(app_dir: &Path, name: &str) -> PathBuf {
    let dir = app_dir.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

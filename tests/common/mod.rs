//! The test harness: starts the real `isync` binary (or $ISYNC_BIN, optionally through
//! $ISYNC_RUNNER such as qemu-aarch64-static) on 127.0.0.1:0 with its own temporary app dir,
//! reads the bound address from its first stdout line, and talks plain HTTP/1.1 to it with a tiny
//! client that can also send malformed and hostile requests.

#![allow(dead_code)]

pub mod fixtures;
pub mod http;
pub mod upload;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub use http::{Client, KeepAlive};

/// Where the binary under test is, and what (if anything) runs it.
pub fn isync_command() -> Command {
    let bin = std::env::var("ISYNC_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_isync").to_string());
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
        let child = spawn_server(dir.path(), args);
        Self::attach(child, dir)
    }

    pub fn start() -> TestServer {
        Self::start_with(|_| {})
    }

    fn attach(mut child: Child, dir: tempfile::TempDir) -> TestServer {
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("first stdout line");
        let addr = line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("bad first line: {line:?}"));
        TestServer { addr: addr.to_string(), child, dir }
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
        let child = spawn_server(dir.path(), &[]);
        Self::attach(child, dir)
    }

    /// VmRSS of the server process in KiB (Linux).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// VmHWM (peak resident set) of the server process in KiB (Linux).
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

fn spawn_server(app_dir: &Path, extra: &[&str]) -> Child {
    isync_command()
        .arg("--app-dir")
        .arg(app_dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("isync serve starts")
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

//! Every process the bench starts goes through here: `isync serve` behind a guard that kills it
//! on drop (also when the bench fails or panics), one-shot commands run with a time limit and
//! timed precisely (scan, vipsthumbnail, apt-get), memory read from /proc/PID/status, and the
//! idempotent installation of the tools the bench compares against. nginx has its own guard in
//! nginx.rs because it is a master with workers.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The release binary: $ISYNC_BIN, else the one cargo built next to this bench.
pub fn isync_binary() -> Result<PathBuf, String> {
    let bin = std::env::var_os("ISYNC_BIN").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_isync")), PathBuf::from);
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!("{} does not exist: build it with `cargo build --release` (make bench does)", bin.display()))
    }
}

/// A running `isync serve`; SIGKILLed and reaped on drop.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    /// Kept open so a late write to stdout cannot fail with EPIPE.
    _stdout: Option<BufReader<ChildStdout>>,
}

impl Server {
    /// Starts `isync --app-dir DIR serve --listen 127.0.0.1:0 [extra]` and waits (at most
    /// `limit`) for its `listening on http://ADDR` line. Also returns the time from spawn to it.
    pub fn start(bin: &Path, app_dir: &Path, extra: &[&str], limit: Duration) -> Result<(Server, Duration), String> {
        let started = Instant::now();
        let mut child = Command::new(bin)
            .arg("--app-dir")
            .arg(app_dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut server = Server { child, addr: SocketAddr::from(([127, 0, 0, 1], 0)), _stdout: None };
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let result = reader.read_line(&mut line).map(|_| line);
            let _ = tx.send((result, reader));
        });
        let (line, reader) = match rx.recv_timeout(limit) {
            Ok((Ok(line), reader)) => (line, reader),
            Ok((Err(e), _)) => return Err(format!("reading the first line of isync serve: {e}")),
            Err(_) => return Err(format!("isync serve printed nothing within {limit:?}")),
        };
        let spawn_to_line = started.elapsed();
        server.addr =
            line.trim().strip_prefix("listening on http://").and_then(|a| a.parse().ok()).ok_or_else(|| {
                format!(
                    "unexpected first line from isync serve: {line:?} (see {}/building/appLog.log)",
                    app_dir.display()
                )
            })?;
        server._stdout = Some(reader);
        Ok((server, spawn_to_line))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// VmRSS in KiB.
    pub fn rss_kib(&self) -> Result<u64, String> {
        proc_status_kib(self.pid(), "VmRSS")
    }

    /// VmHWM (peak resident set since start) in KiB.
    pub fn hwm_kib(&self) -> Result<u64, String> {
        proc_status_kib(self.pid(), "VmHWM")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `kB` field of /proc/PID/status (covers every thread of the process).
pub fn proc_status_kib(pid: u32, field: &str) -> Result<u64, String> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/{pid}/status"))
}

/// CPU time (user + system, every thread) the processes `pids` have used so far, in seconds.
pub fn cpu_seconds(pids: &[u32]) -> Result<f64, String> {
    // SAFETY: sysconf has no preconditions.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let mut ticks = 0u64;
    for pid in pids {
        let stat =
            std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| format!("/proc/{pid}/stat: {e}"))?;
        // The command name may hold spaces; the fields after its closing parenthesis do not.
        let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
        let field = |i: usize| {
            fields.get(i).and_then(|f| f.parse::<u64>().ok()).ok_or_else(|| format!("/proc/{pid}/stat: no field {i}"))
        };
        ticks += field(11)? + field(12)?; // utime and stime, fields 14 and 15 of the whole line
    }
    Ok(ticks as f64 / ticks_per_second)
}

/// Runs a command to completion within `limit` (killed otherwise); returns its status and the
/// time from spawn to exit, measured by a thread blocked in wait() (no polling granularity).
pub fn run_timed(command: &mut Command, limit: Duration) -> Result<(ExitStatus, Duration), String> {
    let name = format!("{:?}", command.get_program());
    let started = Instant::now();
    let mut child = command.spawn().map_err(|e| format!("cannot start {name}: {e}"))?;
    let pid = child.id() as libc::pid_t;
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let result = child.wait();
            let _ = tx.send((result, started.elapsed()));
        });
        match rx.recv_timeout(limit) {
            Ok((Ok(status), elapsed)) => Ok((status, elapsed)),
            Ok((Err(e), _)) => Err(format!("waiting for {name}: {e}")),
            Err(_) => {
                // SAFETY: the child is not reaped yet (its waiter is still blocked), so the pid is ours.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                Err(format!("{name} did not finish within {limit:?}; killed"))
            }
        }
    })
}

/// The last lines of a log file, for error messages.
pub fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(8)..].join("\n")
}

/// Finds a program on PATH or in the sbin directories (nginx lives in /usr/sbin).
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Installs the Debian packages of the missing programs (apt-get, through sudo unless root).
/// Does nothing when every program is present.
pub fn ensure_programs(wanted: &[(&str, &str)]) -> Result<(), String> {
    let missing: Vec<&str> =
        wanted.iter().filter(|(program, _)| find_program(program).is_none()).map(|&(_, package)| package).collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("bench: installing {}", missing.join(" "));
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let apt = |args: &[&str]| {
        let mut command = if root { Command::new("apt-get") } else { Command::new("sudo") };
        if !root {
            command.arg("apt-get");
        }
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive").stdin(Stdio::null());
        match run_timed(&mut command, Duration::from_secs(600))? {
            (status, _) if status.success() => Ok(()),
            (status, _) => Err(format!("apt-get {} failed: {status}", args.join(" "))),
        }
    };
    apt(&["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(&missing);
    apt(&install)?;
    match wanted.iter().find(|(program, _)| find_program(program).is_none()) {
        Some((program, package)) => Err(format!("{program} is still missing after installing {package}")),
        None => Ok(()),
    }
}

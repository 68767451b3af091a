//! nginx as the reference file server: Debian's nginx started in the foreground with its own
//! temporary configuration (127.0.0.1 only, sendfile on, two workers like Debian's `auto` on this
//! machine, no access log), serving one directory. nginx cannot report a port it picked itself,
//! so a free port is found by binding 127.0.0.1:0 first; a lost race is retried a few times. The
//! guard stops the master with SIGTERM (it stops its workers) and kills leftovers by pid.

use crate::procs::find_program;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Nginx {
    child: Child,
    pub addr: SocketAddr,
    dir: PathBuf,
}

impl Nginx {
    /// Starts nginx serving `root`; its configuration, pid file and logs live in `dir`.
    pub fn start(dir: &Path, root: &Path) -> Result<Nginx, String> {
        let program = find_program("nginx").ok_or("nginx is not installed (make bench installs it)")?;
        std::fs::create_dir_all(dir.join("tmp")).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut last_error = String::new();
        for _attempt in 0..3 {
            let port = free_port()?;
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let conf = dir.join("nginx.conf");
            std::fs::write(&conf, config(dir, root, addr)).map_err(|e| format!("{}: {e}", conf.display()))?;
            let child = Command::new(&program)
                .arg("-p")
                .arg(dir)
                .arg("-e")
                .arg(dir.join("error.log"))
                .arg("-c")
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot start nginx: {e}"))?;
            let mut nginx = Nginx { child, addr, dir: dir.to_path_buf() };
            match nginx.wait_ready(Duration::from_secs(5)) {
                Ok(()) => return Ok(nginx),
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = crate::procs::tail(&self.dir.join("error.log"));
                return Err(format!("nginx exited at start ({status}): {log}"));
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(100)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(format!("nginx did not accept connections on {} within {limit:?}", self.addr))
    }

    /// The worker processes, read before the master is stopped (they are reparented after).
    /// The master and its workers, for their CPU time.
    pub fn pids(&self) -> Vec<u32> {
        std::iter::once(self.child.id()).chain(self.workers().into_iter().map(|p| p as u32)).collect()
    }

    fn workers(&self) -> Vec<libc::pid_t> {
        let pid = self.child.id();
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let workers = self.workers();
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: the master is our unreaped child, so its pid cannot have been reused.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        for worker in workers {
            let cmdline = std::fs::read(format!("/proc/{worker}/cmdline")).unwrap_or_default();
            if String::from_utf8_lossy(&cmdline).starts_with("nginx: worker") {
                // SAFETY: checked just above that this pid is still one of the nginx workers.
                unsafe { libc::kill(worker, libc::SIGKILL) };
            }
        }
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot bind 127.0.0.1:0: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn config(dir: &Path, root: &Path, addr: SocketAddr) -> String {
    let d = dir.display();
    // Run as root, the master would hand the workers to `nobody`, who cannot read a 0700 temp dir.
    // SAFETY: geteuid has no preconditions.
    let user = if unsafe { libc::geteuid() } == 0 { "user root;" } else { "" };
    format!(
        "{user}
worker_processes 2;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    default_type application/octet-stream;
    types {{ application/json json; }}
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    server {{
        listen {addr};
        root {root};
        location / {{ }}
    }}
}}
",
        root = root.display()
    )
}

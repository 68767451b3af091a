//! The HTTP server: binds the listener (printing the real address when the port is 0), starts
//! N worker threads that each own a SQLite connection, and answers every request exactly once:
//! panics are caught here and become a 500 with the -102 envelope, unread bodies are drained in
//! bounded chunks, and one access line is logged per request.

use crate::app::{App, Ctx};
use crate::call::Call;
use crate::reply::Reply;
use crate::{db, router};
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Instant;

/// A client that stops reading (a paused video player) for this long is disconnected, which
/// frees its worker; the player reconnects with a Range request when it resumes.
const SEND_TIMEOUT_SECONDS: i64 = 60;
/// A peer that vanished (a phone that left the Wi-Fi mid-upload) is detected after about
/// IDLE + INTERVAL × COUNT seconds of silence, so its worker and upload lock are released.
const KEEPALIVE: [(libc::c_int, libc::c_int); 3] =
    [(libc::TCP_KEEPIDLE, 30), (libc::TCP_KEEPINTVL, 10), (libc::TCP_KEEPCNT, 3)];

/// Binds, announces the address on stdout, and serves until the process is stopped.
pub fn run(app: App, listen: SocketAddr, workers: usize) -> Result<(), String> {
    let listener = TcpListener::bind(listen).map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    set_connection_options(&listener);
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening on http://{local}");
    let _ = std::io::stdout().flush();
    log::info!("listening on http://{local} with {workers} workers; {}", app.config);
    let server = tiny_http::Server::from_listener(listener, None).map_err(|e| e.to_string())?;
    let server = Arc::new(server);
    let app = Arc::new(app);
    let handles: Vec<_> = (0..workers)
        .map(|i| {
            let (server, app) = (Arc::clone(&server), Arc::clone(&app));
            std::thread::Builder::new()
                .name(format!("worker-{i}"))
                .stack_size(256 * 1024)
                .spawn(move || worker(&server, &app))
                .map_err(|e| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    for handle in handles {
        let _ = handle.join();
    }
    Ok(())
}

/// Linux copies socket options of a listening socket to the sockets it accepts. tiny_http
/// accepts internally, so this is the one place to set them. SO_RCVTIMEO is deliberately not
/// set: it would also time out tiny_http's accept loop, which then stops for good.
fn set_connection_options(listener: &TcpListener) {
    use std::os::fd::AsRawFd;
    let fd = listener.as_raw_fd();
    let timeout = libc::timeval { tv_sec: SEND_TIMEOUT_SECONDS as libc::time_t, tv_usec: 0 };
    let mut ok = setsockopt(fd, libc::SOL_SOCKET, libc::SO_SNDTIMEO, &timeout);
    ok &= setsockopt(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE, &(1 as libc::c_int));
    for (option, value) in KEEPALIVE {
        ok &= setsockopt(fd, libc::IPPROTO_TCP, option, &value);
    }
    if !ok {
        log::warn!("could not set keep-alive and send timeout on the listening socket");
    }
}

fn setsockopt<T>(fd: libc::c_int, level: libc::c_int, name: libc::c_int, value: &T) -> bool {
    let len = std::mem::size_of::<T>() as libc::socklen_t;
    // SAFETY: `value` points to a live T of `len` bytes for the duration of the call.
    unsafe { libc::setsockopt(fd, level, name, (value as *const T).cast(), len) == 0 }
}

fn worker(server: &tiny_http::Server, app: &App) {
    let mut conn = match db::open(&app.config.database) {
        Ok(conn) => conn,
        Err(e) => {
            log::error!("worker cannot open the database: {e}");
            return;
        }
    };
    loop {
        let request = match server.recv() {
            Ok(request) => request,
            Err(e) => {
                log::warn!("accept failed: {e}");
                continue;
            }
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| serve_one(request, app, &mut conn)));
        if outcome.is_err() {
            log::error!("a request panicked while its connection was being closed");
        }
    }
}

fn serve_one(mut request: tiny_http::Request, app: &App, conn: &mut rusqlite::Connection) {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.url().split('?').next().unwrap_or("").to_string();
    let reply = {
        let mut call = Call::new(&mut request);
        let mut ctx = Ctx { app, db: conn };
        let reply = catch_unwind(AssertUnwindSafe(|| router::route(&mut ctx, &mut call))).unwrap_or_else(|_| {
            log::error!("{method} {path}: handler panicked");
            Reply::internal_error()
        });
        call.drain_body();
        reply
    };
    let status = reply.status();
    let response = reply.into_response();
    let bytes = response.data_length().unwrap_or(0);
    if let Err(e) = response.send(request) {
        log::debug!("{method} {path}: client went away: {e}");
    }
    log::info!("{method} {path} {status} {bytes} {}ms", started.elapsed().as_millis());
}

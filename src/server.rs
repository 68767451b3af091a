//! The HTTP server: binds the listener (printing the real address when the port is 0), starts
//! N worker threads that each own a SQLite connection, and answers every request exactly once:
//! panics are caught here and become a 500 with the -102 envelope, unread bodies are drained in
//! bounded chunks, and one access line is logged per request.

use crate::app::{App, Ctx};
use crate::call::Call;
use crate::reply::Reply;
use crate::{db, listener, router};
use std::io::Write;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Instant;

/// Binds, announces the address on stdout, and serves until the process is stopped.
pub fn run(app: App, listen: SocketAddr, workers: usize) -> Result<(), String> {
    let listener = listener::bind(listen)?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening on http://{local}");
    let _ = std::io::stdout().flush();
    log::info!("listening on http://{local} with {workers} workers; {}", app.config);
    let server = tiny_http::Server::from_listener(listener, None).map_err(|e| e.to_string())?;
    let server = Arc::new(server);
    listener::start_keeper(local)?;
    let app = Arc::new(app);
    let handles: Vec<_> = (0..workers)
        .map(|i| {
            let (server, app) = (Arc::clone(&server), Arc::clone(&app));
            std::thread::Builder::new()
                .name(format!("worker-{i}"))
                .stack_size(256 * 1024)
                .spawn(move || worker(&server, &app, local.port()))
                .map_err(|e| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    for handle in handles {
        let _ = handle.join();
    }
    Ok(())
}

fn worker(server: &tiny_http::Server, app: &App, port: u16) {
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
                // tiny_http's accept loop has stopped: nothing more can arrive. Exit so that the
                // supervisor (systemd's Restart=on-failure, the init script) starts us again.
                log::error!("the listener failed ({e}); exiting to be restarted");
                std::process::exit(1);
            }
        };
        listener::note_request();
        let outcome = catch_unwind(AssertUnwindSafe(|| serve_one(request, app, &mut conn, port)));
        if outcome.is_err() {
            log::error!("a request panicked while its connection was being closed");
        }
    }
}

fn serve_one(mut request: tiny_http::Request, app: &App, conn: &mut rusqlite::Connection, port: u16) {
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
    let bytes = response.data_length();
    if let Err(e) = response.send(request, port) {
        log::debug!("{method} {path}: client went away: {e}");
    }
    log::info!("{method} {path} {status} {bytes} {}ms", started.elapsed().as_millis());
}

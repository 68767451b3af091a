//! The HTTP server: binds the listener (printing the real address when the port is 0), starts
//! N worker threads that each own the service's per-worker state, and answers every request
//! exactly once: panics are caught here and become the service's `panicked` answer, unread
//! bodies are drained before the answer, and one access line is logged per request.

use super::listener;
use super::reply::Reply;
use super::request::Request;
use std::io::Write;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Instant;

/// What the server runs: the state each worker owns, and the answer to one request.
pub trait Service: Send + Sync + 'static {
    /// A worker's own state (the API's: its database connection).
    type Worker;
    /// Sets up a worker; None (logged by the service) leaves that worker out.
    fn start_worker(&self) -> Option<Self::Worker>;
    fn handle(&self, worker: &mut Self::Worker, request: &mut Request) -> Reply;
    /// The answer to a request whose handler panicked.
    fn panicked(&self) -> Reply;
}

/// Binds, announces the address on stdout, and serves until the process is stopped.
pub fn run<S: Service>(service: S, listen: SocketAddr, workers: usize) -> Result<(), String> {
    let listener = listener::bind(listen)?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening on http://{local}");
    let _ = std::io::stdout().flush();
    log::info!("listening on http://{local} with {workers} workers");
    let config = tiny_http::ServerConfig {
        addr: tiny_http::ConfigListenAddr::IP(vec![local]),
        ssl: None,
        min_threads: None,
        max_threads: None,
    };
    let server = tiny_http::Server::from_listener(listener, tiny_http::ListenAddr::IP(local), config)
        .map_err(|e| e.to_string())?;
    let server = Arc::new(server);
    listener::start_keeper(local)?;
    let service = Arc::new(service);
    let handles: Vec<_> = (0..workers)
        .map(|i| {
            let (server, service) = (Arc::clone(&server), Arc::clone(&service));
            std::thread::Builder::new()
                .name(format!("worker-{i}"))
                .stack_size(256 * 1024)
                .spawn(move || worker(&server, &*service, local.port()))
                .map_err(|e| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    for handle in handles {
        let _ = handle.join();
    }
    Ok(())
}

fn worker<S: Service>(server: &tiny_http::Server, service: &S, port: u16) {
    let Some(mut state) = service.start_worker() else { return };
    loop {
        let request = match server.recv() {
            Ok(Ok(request)) => request,
            // A connection that ended or sent something that is not HTTP: tiny_http has
            // answered it (400, 408, 417) and closed it.
            Ok(Err(unreadable)) => {
                log::debug!("unreadable request: {unreadable}");
                continue;
            }
            Err(e) => {
                // tiny_http's accept loop has stopped: nothing more can arrive. Exit so that the
                // supervisor (systemd's Restart=on-failure, the init script) starts us again.
                log::error!("the listener failed ({e}); exiting to be restarted");
                std::process::exit(1);
            }
        };
        listener::note_request();
        let outcome = catch_unwind(AssertUnwindSafe(|| serve_one(request, service, &mut state, port)));
        if outcome.is_err() {
            log::error!("a request panicked while its connection was being closed");
        }
    }
}

fn serve_one<S: Service>(mut request: tiny_http::Request, service: &S, state: &mut S::Worker, port: u16) {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.url().split('?').next().unwrap_or("").to_string();
    let reply = {
        let mut incoming = Request::new(&mut request);
        let reply = catch_unwind(AssertUnwindSafe(|| service.handle(state, &mut incoming))).unwrap_or_else(|_| {
            log::error!("{method} {path}: handler panicked");
            service.panicked()
        });
        incoming.drain_body();
        reply
    };
    let status = reply.status();
    let response = reply.into_response();
    let bytes = response.data_length();
    if let Err(e) = response.send(request, port) {
        log::debug!("{method} {path}: client went away: {e}");
    }
    if status == 500 {
        log::error!("{method} {path} failed inside the server (the cause is logged above)");
    }
    log::info!("{method} {path} {status} {bytes} {}ms", started.elapsed().as_millis());
}

//! The HTTP server: binds the listener (printing the real address when the port is 0), starts
//! the connection warden, a dispatcher that takes every request from tiny_http the moment it has
//! been read (so the warden knows which connections wait for a worker) and N worker threads that
//! each own the service's per-worker state, and answers every request exactly once: requests
//! beyond the bounds are refused before the handler (414, 413; heads too large, which also
//! bounds how many header fields there can be, are the warden's 431), panics are caught here and
//! become the service's `panicked` answer, a connection whose body is left unread is closed
//! after the answer rather than drained, and one access line is logged per request.
//!
//! tiny_http's own accept loop stops at its first accept error other than ECONNABORTED (EMFILE,
//! say), and its thread dies where the socket cannot be duplicated or a connection thread not
//! started. So the accept loop is ours, made of tiny_http's public pieces (accept_connection,
//! new_client, its task pool and message queue): it waits and retries on any error, and starts
//! a new task pool when the old one was poisoned by such a panic. No client can stop it.

use super::reply::Reply;
use super::request::{Request, PARAM_BODY_LIMIT};
use super::warden::{self, Activity};
use super::{listener, sys};
use crate::sync::lock;
use std::io::{ErrorKind, Write};
use std::net::{Shutdown, SocketAddr, TcpListener};
use std::os::fd::AsFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tiny_http::util::{MessageQueueSender, MessagesQueue, TaskPool};
use tiny_http::Message;

/// A request target longer than this is refused (414).
const MAX_URL_BYTES: usize = 16 * 1024;
/// The stack of tiny_http's connection threads (std's default is 2 MiB of address space each,
/// too much for a thousand connections on a 32-bit board); they only parse heads.
const CONNECTION_THREAD_STACK: &str = "262144";
/// How long to let the warden free descriptors before accepting again after an accept error
/// (errors are logged at most once per five of these).
const ACCEPT_RETRY: Duration = Duration::from_millis(200);

/// What the server runs: the state each worker owns, and the answer to one request.
pub trait Service: Send + Sync + 'static {
    /// A worker's own state (the API's: its database connection).
    type Worker;
    /// Sets up a worker; None (logged by the service) leaves that worker out.
    fn start_worker(&self) -> Option<Self::Worker>;
    fn handle(&self, worker: &mut Self::Worker, request: &mut Request) -> Reply;
    /// The answer to a request whose handler panicked.
    fn panicked(&self) -> Reply;
    /// True for paths whose handler streams a body larger than PARAM_BODY_LIMIT (uploads).
    fn streams_body(&self, path: &str) -> bool;
}

/// A request as the dispatcher hands it to a worker.
type Delivery = (tiny_http::Request, Arc<Activity>);

/// Binds, announces the address on stdout, and serves until the process is stopped.
pub fn run<S: Service>(service: S, listen: SocketAddr, workers: usize) -> Result<(), String> {
    if std::env::var_os("RUST_MIN_STACK").is_none() {
        // Before any thread of tiny_http's exists (std reads it once, at the first spawn).
        std::env::set_var("RUST_MIN_STACK", CONNECTION_THREAD_STACK);
    }
    let listener = listener::bind(listen)?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening on http://{local}");
    let _ = std::io::stdout().flush();
    let max_connections = warden::start(local.port())?;
    log::info!("listening on http://{local} with {workers} workers, at most {max_connections} connections");
    let (deliveries, incoming) = mpsc::channel();
    start_accepting(listener, deliveries)?;
    listener::start_keeper(local)?;
    let service = Arc::new(service);
    let incoming = Arc::new(Mutex::new(incoming));
    let handles: Vec<_> = (0..workers)
        .map(|i| {
            let (incoming, service) = (Arc::clone(&incoming), Arc::clone(&service));
            std::thread::Builder::new()
                .name(format!("worker-{i}"))
                .stack_size(256 * 1024)
                .spawn(move || worker(&incoming, &*service, local.port()))
                .map_err(|e| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    for handle in handles {
        let _ = handle.join();
    }
    Ok(())
}

/// Starts the accept loop on `listener` and the thread that hands every request read by
/// tiny_http's connection threads to the workers.
fn start_accepting(listener: TcpListener, deliveries: Sender<Delivery>) -> Result<(), String> {
    let queue = Arc::new(MessagesQueue::<Message>::with_capacity(64));
    let messages = queue.create_sender();
    std::thread::Builder::new()
        .name("accept".into())
        .stack_size(128 * 1024)
        .spawn(move || accept(&tiny_http::Listener::Tcp(listener), &messages))
        .map_err(|e| format!("cannot start accepting: {e}"))?;
    std::thread::Builder::new()
        .name("dispatcher".into())
        .stack_size(128 * 1024)
        .spawn(move || dispatch(&queue, &deliveries))
        .map_err(|e| format!("cannot start the dispatcher: {e}"))?;
    Ok(())
}

/// Accepts connections for ever and gives each to one of tiny_http's connection threads.
fn accept(listener: &tiny_http::Listener, messages: &MessageQueueSender<Message>) {
    let no_tls = tiny_http::SslContextWrap::build_ssl_capabilities(None).expect("no TLS needs nothing");
    let mut pool = None;
    let mut last_complaint: Option<Instant> = None;
    let mut complain = |what: String| {
        if last_complaint.is_none_or(|at| at.elapsed() >= ACCEPT_RETRY * 5) {
            log::error!("{what}");
            last_complaint = Some(Instant::now());
        }
    };
    loop {
        let tasks = match &pool {
            Some(tasks) => tasks,
            None => match catch_unwind(|| TaskPool::new(None, None)) {
                Ok(Ok(tasks)) => pool.insert(tasks),
                _ => {
                    complain("cannot start connection threads; retrying".into());
                    std::thread::sleep(ACCEPT_RETRY);
                    continue;
                }
            },
        };
        // tiny_http panics where it cannot duplicate the socket or start a thread.
        let accepted =
            catch_unwind(AssertUnwindSafe(|| match tiny_http::Server::accept_connection(listener, &no_tls) {
                Ok(Some(client)) => tiny_http::Server::new_client(Ok(Some(client)), messages.clone(), tasks),
                other => other.map(|_| ()),
            }));
        match accepted {
            Ok(Ok(())) => {}
            // The listener's read timeout also applies to accept: nothing arrived meanwhile.
            Ok(Err(e)) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted) => {}
            Ok(Err(e)) if e.kind() == ErrorKind::ConnectionAborted => {}
            Ok(Err(e)) => {
                if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) {
                    warden::short_of_descriptors();
                }
                complain(format!("cannot accept connections ({e}); retrying"));
                std::thread::sleep(ACCEPT_RETRY);
            }
            Err(_) => {
                // Its lock is poisoned now: later connections get a new pool.
                warden::short_of_descriptors();
                complain("cannot set up a connection (out of descriptors or threads?); retrying".into());
                pool = None;
                std::thread::sleep(ACCEPT_RETRY);
            }
        }
    }
}

fn dispatch(queue: &MessagesQueue<Message>, deliveries: &Sender<Delivery>) {
    loop {
        match queue.pop() {
            Ok(Some(Message::NewRequest(request))) => {
                listener::note_request();
                let activity = warden::delivered(request.remote_addr().copied());
                if deliveries.send((request, activity)).is_err() {
                    return; // no worker left
                }
            }
            // A connection that ended or sent something that is not HTTP: tiny_http has
            // answered it (400, 408, 417) and closed it.
            Ok(Some(Message::ReaderError(unreadable))) => log::debug!("unreadable request: {unreadable}"),
            Ok(Some(Message::ErrorIo(e))) => log::debug!("connection error: {e}"),
            Ok(None) | Err(_) => {}
        }
    }
}

fn worker<S: Service>(incoming: &Mutex<Receiver<Delivery>>, service: &S, port: u16) {
    let Some(mut state) = service.start_worker() else { return };
    loop {
        let next = lock(incoming).recv();
        let Ok((request, activity)) = next else { return };
        let _serving = super::busy::serving();
        let outcome = catch_unwind(AssertUnwindSafe(|| serve_one(request, &activity, service, &mut state, port)));
        activity.answered();
        if outcome.is_err() {
            log::error!("a request panicked while its connection was being closed");
        }
    }
}

fn serve_one<S: Service>(
    mut request: tiny_http::Request,
    activity: &Activity,
    service: &S,
    state: &mut S::Worker,
    port: u16,
) {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.url().split('?').next().unwrap_or("").to_string();
    let shown = crate::logging::shown(&path);
    let (reply, keep_open) = {
        let mut incoming = Request::new(&mut request, activity);
        let reply = match refusal(&incoming, service) {
            Some(refused) => refused,
            None => catch_unwind(AssertUnwindSafe(|| service.handle(state, &mut incoming))).unwrap_or_else(|_| {
                log::error!("{method} {shown}: handler panicked");
                service.panicked()
            }),
        };
        let keep_open = incoming.finish_body();
        (reply, keep_open)
    };
    let status = reply.status();
    let response = reply.into_response();
    let bytes = response.data_length();
    let peer = request.remote_addr().copied();
    let sent = match (keep_open, peer) {
        (true, _) | (false, None) => response.send(request, port),
        (false, Some(peer)) => send_and_close(response, request, port, peer),
    };
    if let Err(e) = sent {
        log::debug!("{method} {shown}: client went away: {e}");
    }
    if status == 500 {
        log::error!("{method} {shown} failed inside the server (the cause is logged above)");
    }
    log::info!("{method} {shown} {status} {bytes} {}ms", started.elapsed().as_millis());
}

/// The answer to a request beyond the bounds, given before any handler runs.
fn refusal<S: Service>(request: &Request, service: &S) -> Option<Reply> {
    if request.url_len() > MAX_URL_BYTES {
        return Some(Reply::text(414, "URI Too Long"));
    }
    let large = request.declared_body_length().is_some_and(|length| length > PARAM_BODY_LIMIT);
    if large && !service.streams_body(request.path()) {
        return Some(Reply::text(413, "Content Too Large"));
    }
    None
}

/// Sends the answer, then closes the connection without reading the rest of its body: the
/// reading side is shut first, so tiny_http's drain of the unread body ends at once, and the
/// writing side after the answer, so nothing tiny_http writes afterwards reaches the client.
fn send_and_close(
    response: super::reply::Response,
    request: tiny_http::Request,
    port: u16,
    peer: SocketAddr,
) -> std::io::Result<()> {
    let Some(socket) = sys::connection_socket(port, peer) else { return response.send(request, port) };
    sys::shutdown(socket.as_fd(), Shutdown::Read);
    response.send_closing(request, port, socket.as_fd())
}

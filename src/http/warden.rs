//! The connection warden: the bounds tiny_http_fork does not keep, kept from outside it.
//!
//! tiny_http_fork reads request heads in its own thread per connection, into a buffer that grows
//! with the line, with no limit on size, count or time; it accepts every connection (one thread
//! and two descriptors each); and a read that trickles one byte at a time never times out. It
//! does not lend out its sockets either. So a thread here looks at every connection every TICK,
//! finding their sockets among the process's descriptors (`sys::connections`), and ends the ones
//! that break a bound by shutting their socket down (tiny_http then sees the end of the stream and
//! lets the connection go; the descriptor stays tiny_http's to close):
//! - a connection between requests that has sent more than HEAD_BYTES of a head (measured by the
//!   kernel: bytes read from the socket since the last answer), or has been sending one for
//!   longer than HEAD_TIME, is answered 431 or 408 and closed;
//! - a worker reading a body that has not moved for BODY_STALL, or moved less than
//!   BODY_WINDOW_BYTES in BODY_WINDOW, has its connection's reading side shut: the read returns
//!   the end of the body and the worker answers (an upload stays resumable);
//! - beyond PER_CLIENT connections from one address, or the total the descriptor limit allows,
//!   a new connection takes the place of the one that has been idle longest (from that address,
//!   or from any), and is answered 503 when none is idle; when accept finds no descriptor left,
//!   the longer-idle half of the idle connections is closed.
//!
//! A head in progress shows as bytes waiting in the socket (FIONREAD) or bytes read since the
//! last answer (`tcpi_bytes_received`); where the latter is missing (qemu-user passes only an
//! int of TCP_INFO), the size bound does not apply and a head is seen only while it waits. What a connection does between
//! two looks is not seen, so a head can grow by one TICK of transfer past the limit before it is
//! cut. Workers report what they do through `delivered` and `Activity`.

use super::listener;
use super::sys::{self, Unclaimed};
use crate::sync::lock;
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::os::fd::{AsFd, BorrowedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How often every connection is looked at.
const TICK: Duration = Duration::from_millis(50);
/// A request head (request line and headers) larger than this is refused.
pub const HEAD_BYTES: u64 = 64 * 1024;
/// A head that takes longer than this to arrive is refused.
const HEAD_TIME: Duration = Duration::from_secs(10);
/// A body read that has not received a byte for this long is ended.
const BODY_STALL: Duration = Duration::from_secs(5);
/// A body that trickles: less than BODY_WINDOW_BYTES in a BODY_WINDOW spent waiting for it.
const BODY_WINDOW: Duration = Duration::from_secs(10);
const BODY_WINDOW_BYTES: u64 = 1024;
/// Connections from one client address: a browser opens 6 per host and the old iOS client 4,
/// but behind a reverse proxy every client comes from the proxy's address.
const PER_CLIENT: usize = 128;
/// Connections in all, at most; fewer when the descriptor limit is low (tiny_http holds two
/// descriptors per connection, and the server needs some of its own).
const MAX_CONNECTIONS: usize = 1024;
const MIN_CONNECTIONS: usize = 8;
const OWN_DESCRIPTORS: u64 = 128;
/// The descriptor limit asked for at start (the systemd unit and the init script grant it).
pub const DESCRIPTORS_WANTED: u64 = 65_536;
/// Refusals are logged at most this often, with a count.
const REFUSAL_LOG_PERIOD: Duration = Duration::from_secs(1);

const TOO_LARGE: &[u8] =
    b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
const TOO_SLOW: &[u8] = b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
const TOO_MANY: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 1\r\nConnection: close\r\n\r\n";

/// What the workers say about one connection, read by the warden.
#[derive(Default)]
pub struct Activity {
    /// Requests handed to a worker, and those answered: a connection is busy while they differ.
    delivered: AtomicU64,
    answered: AtomicU64,
    /// While a worker waits for body bytes: when it started waiting (ms since START), else 0.
    reading_since: AtomicU64,
    /// Body bytes the workers have read on this connection.
    body_bytes: AtomicU64,
    /// Set when the warden ended the body: the short body is the warden's doing.
    cut: AtomicBool,
}

impl Activity {
    fn busy(&self) -> bool {
        self.delivered.load(Ordering::Acquire) != self.answered.load(Ordering::Acquire)
    }

    /// Marks the request as answered.
    pub fn answered(&self) {
        self.answered.fetch_add(1, Ordering::AcqRel);
    }

    /// Runs one body read, so that the warden sees the worker waiting and what arrives.
    pub fn reading(&self, read: impl FnOnce() -> std::io::Result<usize>) -> std::io::Result<usize> {
        self.reading_since.store(millis_since_start().max(1), Ordering::Release);
        let result = read();
        self.reading_since.store(0, Ordering::Release);
        if let Ok(n) = result {
            self.body_bytes.fetch_add(n as u64, Ordering::AcqRel);
        }
        result
    }

    /// True when the warden ended this connection's body because it stalled or trickled.
    pub fn was_cut(&self) -> bool {
        self.cut.load(Ordering::Acquire)
    }
}

/// The connections the workers know of, by client address (unique among live connections).
static ACTIVITY: Mutex<Option<HashMap<SocketAddr, Arc<Activity>>>> = Mutex::new(None);
static START: OnceLock<Instant> = OnceLock::new();
/// Set by the accept loop when the process ran out of descriptors.
static SHORT_OF_DESCRIPTORS: AtomicBool = AtomicBool::new(false);

/// Called when a connection could not be accepted for want of descriptors: the warden closes
/// the longer-idle half of the idle connections at its next look.
pub fn short_of_descriptors() {
    SHORT_OF_DESCRIPTORS.store(true, Ordering::Release);
}

fn millis_since_start() -> u64 {
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// Called when tiny_http hands over a request from `peer`: the connection is busy until the
/// returned activity is marked answered.
pub fn delivered(peer: Option<SocketAddr>) -> Arc<Activity> {
    let activity = match peer {
        Some(peer) => Arc::clone(lock(&ACTIVITY).get_or_insert_with(HashMap::new).entry(peer).or_default()),
        None => Arc::default(),
    };
    activity.delivered.fetch_add(1, Ordering::AcqRel);
    activity
}

/// Starts the warden for connections to `port`; returns the connection cap in force.
pub fn start(port: u16) -> Result<usize, String> {
    let descriptors = sys::raise_descriptor_limit(DESCRIPTORS_WANTED);
    let max_total = usize::try_from(descriptors.saturating_sub(OWN_DESCRIPTORS) / 2)
        .unwrap_or(MAX_CONNECTIONS)
        .clamp(MIN_CONNECTIONS, MAX_CONNECTIONS);
    if descriptors < DESCRIPTORS_WANTED {
        log::info!("descriptor limit {descriptors}: at most {max_total} connections");
    }
    millis_since_start();
    let mut warden =
        Warden { port, max_total, watched: HashMap::new(), ended: HashSet::new(), refusals: Refusals::default() };
    std::thread::Builder::new()
        .name("warden".into())
        .stack_size(128 * 1024)
        .spawn(move || loop {
            std::thread::sleep(TICK);
            warden.look();
        })
        .map_err(|e| format!("cannot start the connection warden: {e}"))?;
    Ok(max_total)
}

/// Leave the connection (None), or close it with this answer (if any) for this reason.
type Verdict = Option<(Option<&'static [u8]>, &'static str)>;

/// What the warden remembers of one connection between looks.
struct Watched {
    fd: RawFd,
    activity: Arc<Activity>,
    /// When the connection last became idle (accepted, or its last request answered).
    idle_since: Instant,
    /// `answered` at the last look: a change means a request ended in between.
    answered: u64,
    /// Bytes read from the socket when the connection last became idle (None: not known yet).
    head_baseline: Option<u64>,
    /// When bytes of the next head were first seen.
    head_since: Option<Instant>,
    /// Body progress while a worker waits: the last change, and the current window.
    body_bytes: u64,
    body_moved: Instant,
    window: Option<(Instant, u64)>,
}

struct Warden {
    port: u16,
    max_total: usize,
    watched: HashMap<SocketAddr, Watched>,
    /// Connections shut down here whose descriptors tiny_http has not closed yet: not counted,
    /// and not taken for new ones.
    ended: HashSet<SocketAddr>,
    refusals: Refusals,
}

impl Warden {
    fn look(&mut self) {
        let now = Instant::now();
        let Some(mut live) = sys::connections(self.port) else {
            // Not seen this time: what is known from the last look still serves to shed.
            if SHORT_OF_DESCRIPTORS.swap(false, Ordering::AcqRel) {
                self.shed_idle();
            }
            return;
        };
        let is_live: HashSet<SocketAddr> = live.iter().map(|&(_, peer)| peer).collect();
        self.ended.retain(|peer| is_live.contains(peer));
        live.retain(|&(_, peer)| !listener::is_keeper(peer) && !self.ended.contains(&peer));
        let mut guard = lock(&ACTIVITY);
        let table = guard.get_or_insert_with(HashMap::new);
        self.watched.retain(|peer, _| is_live.contains(peer));
        table.retain(|peer, activity| is_live.contains(peer) || activity.busy());
        let mut arrived = Vec::new();
        for &(fd, peer) in &live {
            let watched = self.watched.entry(peer).or_insert_with(|| {
                arrived.push(peer);
                Watched {
                    fd,
                    activity: Arc::clone(table.entry(peer).or_default()),
                    idle_since: now,
                    answered: 0,
                    head_baseline: Some(0),
                    head_since: None,
                    body_bytes: 0,
                    body_moved: now,
                    window: None,
                }
            });
            watched.fd = fd;
        }
        drop(guard);
        for peer in arrived {
            self.admit(peer, now);
        }
        let mut ended = Vec::new();
        for (peer, watched) in &mut self.watched {
            if let Some(answer) = watched.verdict(now, self.port, *peer) {
                ended.push((*peer, answer));
            }
        }
        for (peer, (answer, why)) in ended {
            self.refusals.closed(why);
            self.end(peer, answer);
        }
        if SHORT_OF_DESCRIPTORS.swap(false, Ordering::AcqRel) {
            self.shed_idle();
        }
        self.refusals.log(now, self.max_total);
    }

    /// Keeps a new connection within the caps, by closing the longest-idle one or refusing it.
    fn admit(&mut self, peer: SocketAddr, now: Instant) {
        let from_client = self.watched.keys().filter(|p| p.ip() == peer.ip()).count();
        let over = if from_client > PER_CLIENT {
            Some(Some(peer.ip()))
        } else if self.watched.len() > self.max_total {
            Some(None)
        } else {
            None
        };
        let Some(among) = over else { return };
        let longest_idle = self
            .watched
            .iter()
            // Connections that arrived in this look are not known to be idle yet.
            .filter(|(p, w)| among.is_none_or(|ip: IpAddr| p.ip() == ip) && w.is_idle() && w.idle_since < now)
            .min_by_key(|(_, w)| w.idle_since)
            .map(|(p, _)| *p);
        match longest_idle {
            Some(idle) => {
                self.refusals.evicted += 1;
                self.end(idle, None);
            }
            // A request already read from it is answered; the cap holds from the next look.
            None if self.watched.get(&peer).is_some_and(|w| w.activity.busy()) => {}
            None => {
                self.refusals.refused += 1;
                self.end(peer, Some(TOO_MANY));
            }
        }
    }

    /// Closes the longer-idle half of the idle connections (at least one).
    fn shed_idle(&mut self) {
        let mut idle: Vec<(Instant, SocketAddr)> =
            self.watched.iter().filter(|(_, w)| w.is_idle()).map(|(p, w)| (w.idle_since, *p)).collect();
        idle.sort_unstable();
        let shed = idle.len().div_ceil(2);
        log::warn!("out of descriptors: closing {shed} of {} idle connections", idle.len());
        for (_, peer) in idle.into_iter().take(shed) {
            self.end(peer, None);
        }
    }

    /// Answers (if `answer`) and shuts the connection of `peer` down, if it is still that peer's.
    fn end(&mut self, peer: SocketAddr, answer: Option<&[u8]>) {
        let Some(watched) = self.watched.remove(&peer) else { return };
        self.ended.insert(peer);
        on_connection(self.port, watched.fd, peer, |socket| {
            if let Some(answer) = answer {
                sys::send_now(socket, answer);
            }
            sys::shutdown(socket, Shutdown::Both);
        });
    }
}

impl Watched {
    /// Idle: between requests and not sending a head.
    fn is_idle(&self) -> bool {
        !self.activity.busy() && self.head_since.is_none()
    }

    /// What to do with the connection now: None to leave it, or the answer to close it with.
    fn verdict(&mut self, now: Instant, port: u16, peer: SocketAddr) -> Verdict {
        let activity = Arc::clone(&self.activity);
        if activity.busy() {
            self.head_baseline = None;
            self.head_since = None;
            return self.watch_body(&activity, now, port, peer);
        }
        self.window = None;
        let answered = activity.answered.load(Ordering::Acquire);
        let (consumed, waiting) = sys::bytes_received(self.fd);
        if answered != self.answered {
            self.answered = answered;
            self.idle_since = now;
            self.head_baseline = consumed;
            self.head_since = None;
        }
        if waiting > 0 && self.head_since.is_none() {
            self.head_since = Some(now); // bytes of a head that tiny_http has not read yet
        }
        if let (Some(consumed), Some(baseline)) = (consumed, self.head_baseline) {
            let head = consumed.saturating_sub(baseline);
            if head > 0 && self.head_since.is_none() {
                self.head_since = Some(now);
            }
            if head > HEAD_BYTES {
                return Some((Some(TOO_LARGE), "request head too large"));
            }
        } else if self.head_baseline.is_none() {
            self.head_baseline = consumed;
        }
        match self.head_since {
            Some(since) if now.duration_since(since) > HEAD_TIME => Some((Some(TOO_SLOW), "request head too slow")),
            _ => None,
        }
    }

    /// Ends a body that stalls or trickles while a worker waits for it.
    fn watch_body(&mut self, activity: &Activity, now: Instant, port: u16, peer: SocketAddr) -> Verdict {
        let bytes = activity.body_bytes.load(Ordering::Acquire);
        if bytes != self.body_bytes {
            self.body_bytes = bytes;
            self.body_moved = now;
        }
        if activity.reading_since.load(Ordering::Acquire) == 0 {
            self.body_moved = now;
            self.window = None;
            return None;
        }
        let (window_start, window_bytes) = *self.window.get_or_insert((now, bytes));
        let why = if now.duration_since(self.body_moved) > BODY_STALL {
            "request body stalled"
        } else if now.duration_since(window_start) >= BODY_WINDOW {
            if bytes - window_bytes >= BODY_WINDOW_BYTES {
                self.window = Some((now, bytes));
                return None;
            }
            "request body too slow"
        } else {
            return None;
        };
        activity.cut.store(true, Ordering::Release);
        log::warn!("{why}: ended it after {bytes} bytes of the connection's bodies");
        on_connection(port, self.fd, peer, |socket| sys::shutdown(socket, Shutdown::Read));
        self.window = None;
        self.body_moved = now;
        None
    }
}

/// Runs `act` on the connection from `peer` to `port`, whose descriptor was `fd` at the last look,
/// if that number still names it (tiny_http may have closed it, and a new connection taken it).
fn on_connection(port: u16, fd: RawFd, peer: SocketAddr, act: impl FnOnce(BorrowedFd<'_>)) {
    match sys::claim(fd, port, peer) {
        Ok(socket) => act(socket.as_fd()),
        // Out of descriptors (the warden is shedding connections): the number is checked just
        // before it is used instead, which leaves only that instant for it to change hands.
        Err(Unclaimed::NoDescriptor) if sys::peer_of(fd) == Some(peer) => {
            // SAFETY: `fd` was checked just now to be the open socket of this connection.
            act(unsafe { BorrowedFd::borrow_raw(fd) })
        }
        Err(_) => {}
    }
}

/// Connections refused, evicted or closed since the last log line: under an attack the log gets
/// one line a second, not one per connection.
#[derive(Default)]
struct Refusals {
    refused: u64,
    evicted: u64,
    /// Connections closed for breaking a bound, by reason.
    closed: Vec<(&'static str, u64)>,
    logged: Option<Instant>,
}

impl Refusals {
    fn closed(&mut self, why: &'static str) {
        match self.closed.iter_mut().find(|(reason, _)| *reason == why) {
            Some((_, count)) => *count += 1,
            None => self.closed.push((why, 1)),
        }
    }

    fn log(&mut self, now: Instant, max_total: usize) {
        if self.logged.is_some_and(|at| now.duration_since(at) < REFUSAL_LOG_PERIOD) {
            return;
        }
        if self.refused + self.evicted > 0 {
            log::warn!(
                "too many connections (at most {PER_CLIENT} per client, {max_total} in all): refused {}, closed {} idle",
                self.refused,
                self.evicted
            );
        }
        for (why, count) in &self.closed {
            log::warn!("closed {count} connection(s): {why}");
        }
        if self.refused + self.evicted > 0 || !self.closed.is_empty() {
            *self = Refusals { logged: Some(now), ..Refusals::default() };
        }
    }
}

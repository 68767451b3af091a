//! The libc calls iSync needs and std does not offer: socket options, finding the sockets of
//! tiny_http's connections, what the kernel says about one of them, and the descriptor limit.
//!
//! tiny_http accepts connections itself and does not lend out their sockets. Options that
//! every connection needs are therefore set on the listening socket, which Linux copies onto
//! each accepted one (`http::listener`), and the socket of a connection is found among the
//! process's descriptors by its two ends: the port the server listens on and the client's
//! address name exactly one live TCP connection (tiny_http holds two descriptors of it, a
//! reader and a writer; either will do). `http::warden` and `http::sendfile` use them.
//!
//! tiny_http closes each of its descriptors when it is done with that half of the connection,
//! and the next accepted connection may take the number at once. So a number found is never
//! acted on as it is: `claim` duplicates it and checks the duplicate, a descriptor of our own
//! that names the connection until it is dropped.
//!
//! Linux only (/proc/self/fd), as iSync is. The directory is opened once and rewound for each
//! listing: a process that has run out of descriptors must still see its connections to close
//! some of them.

use std::ffi::CStr;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Mutex, PoisonError};

/// Sets one socket option; false when the kernel refused it.
pub fn setsockopt<T>(fd: libc::c_int, level: libc::c_int, name: libc::c_int, value: &T) -> bool {
    let len = std::mem::size_of::<T>() as libc::socklen_t;
    // SAFETY: `value` points to a live T of `len` bytes for the duration of the call.
    unsafe { libc::setsockopt(fd, level, name, (value as *const T).cast(), len) == 0 }
}

/// A descriptor of our own for the TCP connection from `peer` to our `local_port`, if there is one.
pub fn connection_socket(local_port: u16, peer: SocketAddr) -> Option<OwnedFd> {
    descriptors()?
        .into_iter()
        .filter(|&fd| is_connection(fd, local_port) && peer_of(fd) == Some(peer))
        .find_map(|fd| claim(fd, local_port, peer).ok())
}

/// Why [`claim`] did not give a descriptor.
#[derive(Debug, PartialEq)]
pub enum Unclaimed {
    /// `fd` is not (or no longer) the connection from that peer.
    Gone,
    /// The process has no descriptor left to duplicate it into.
    NoDescriptor,
}

/// A duplicate of descriptor `fd`, checked after duplication to be the connection from `peer`
/// to `local_port`: it names that connection for as long as it is held, whatever tiny_http
/// closes meanwhile.
pub fn claim(fd: RawFd, local_port: u16, peer: SocketAddr) -> Result<OwnedFd, Unclaimed> {
    // SAFETY: F_DUPFD_CLOEXEC on any number either fails or returns a new descriptor we own.
    let duplicate = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if duplicate < 0 {
        let error = std::io::Error::last_os_error().raw_os_error();
        return Err(if matches!(error, Some(libc::EMFILE | libc::ENFILE)) {
            Unclaimed::NoDescriptor
        } else {
            Unclaimed::Gone
        });
    }
    // SAFETY: `duplicate` was just returned by fcntl and nothing else owns it.
    let owned = unsafe { OwnedFd::from_raw_fd(duplicate) };
    let raw = owned.as_raw_fd();
    if is_connection(raw, local_port) && peer_of(raw) == Some(peer) {
        Ok(owned)
    } else {
        Err(Unclaimed::Gone)
    }
}

/// Every accepted connection to `local_port`: (descriptor, client address), one descriptor
/// per connection; None when the process's descriptors could not be listed.
pub fn connections(local_port: u16) -> Option<Vec<(RawFd, SocketAddr)>> {
    let mut found: Vec<(RawFd, SocketAddr)> = descriptors()?
        .into_iter()
        .filter(|&fd| is_connection(fd, local_port))
        .filter_map(|fd| Some((fd, peer_of(fd)?)))
        .collect();
    found.sort_unstable_by_key(|&(fd, peer)| (peer, fd));
    found.dedup_by_key(|&mut (_, peer)| peer);
    Some(found)
}

/// The client's end of socket `fd` (None when it is not a connected IP socket).
pub fn peer_of(fd: RawFd) -> Option<SocketAddr> {
    socket_addr(fd, libc::getpeername)
}

fn is_connection(fd: RawFd, local_port: u16) -> bool {
    socket_addr(fd, libc::getsockname).is_some_and(|local| local.port() == local_port)
}

/// /proc/self/fd, open for the life of the process (opening it anew takes a descriptor).
struct DescriptorDir(*mut libc::DIR);

// SAFETY: the DIR stream is only used with the mutex below held.
unsafe impl Send for DescriptorDir {}

static DESCRIPTOR_DIR: Mutex<Option<DescriptorDir>> = Mutex::new(None);

/// The process's open descriptors (a snapshot; any may close at any time), or None when they
/// cannot be listed (the directory could never be opened, or reading it failed).
fn descriptors() -> Option<Vec<RawFd>> {
    let mut dir = DESCRIPTOR_DIR.lock().unwrap_or_else(PoisonError::into_inner);
    if dir.is_none() {
        // SAFETY: the path is a NUL-terminated string; a null result is handled.
        let opened = unsafe { libc::opendir(c"/proc/self/fd".as_ptr()) };
        if opened.is_null() {
            return None;
        }
        *dir = Some(DescriptorDir(opened));
    }
    let stream = dir.as_ref()?.0;
    let mut found = Vec::new();
    // SAFETY: `stream` is a live DIR, used by one thread at a time (the lock is held); each
    // entry readdir returns stays valid until the next call, and its name is NUL-terminated.
    // errno is cleared first because readdir reports both the end and an error with null.
    unsafe {
        libc::rewinddir(stream);
        *libc::__errno_location() = 0;
        loop {
            let entry = libc::readdir(stream);
            if entry.is_null() {
                break;
            }
            let name = CStr::from_ptr((*entry).d_name.as_ptr());
            if let Some(fd) = name.to_str().ok().and_then(|name| name.parse::<RawFd>().ok()) {
                found.push(fd);
            }
        }
        if *libc::__errno_location() != 0 {
            return None;
        }
    }
    Some(found)
}

/// What the kernel says about the bytes a connection received: how many of them the process
/// has read so far (None where the kernel, or an emulator such as qemu-user, which passes only
/// an int of TCP_INFO, does not give `tcpi_bytes_received`), and how many wait unread. Only
/// looks: a number that now names another socket gives that socket's figures.
pub fn bytes_received(fd: RawFd) -> (Option<u64>, u64) {
    let mut waiting: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int.
    if unsafe { libc::ioctl(fd, libc::FIONREAD, &mut waiting) } != 0 {
        waiting = 0;
    }
    let waiting = waiting.max(0) as u64;
    // SAFETY: tcp_info is plain data for which all zeroes is valid; the kernel writes at most
    // `len` bytes into it and says how many it wrote.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    let got = unsafe { libc::getsockopt(fd, libc::IPPROTO_TCP, libc::TCP_INFO, (&raw mut info).cast(), &mut len) };
    let needed = std::mem::offset_of!(libc::tcp_info, tcpi_bytes_received) + std::mem::size_of::<u64>();
    let read = (got == 0 && len as usize >= needed).then(|| info.tcpi_bytes_received.saturating_sub(waiting));
    (read, waiting)
}

/// Sends `bytes` without waiting (what does not fit in the socket buffer is dropped: used
/// only for short refusals on a connection that is then shut down).
pub fn send_now(socket: BorrowedFd<'_>, bytes: &[u8]) {
    // SAFETY: `bytes` is valid for its length during the call.
    let _ = unsafe {
        libc::send(socket.as_raw_fd(), bytes.as_ptr().cast(), bytes.len(), libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL)
    };
}

/// Ends one or both directions of `socket`; every descriptor of it stays open for its owner,
/// whose reads then see the end of the stream and whose writes fail.
pub fn shutdown(socket: BorrowedFd<'_>, how: std::net::Shutdown) {
    let how = match how {
        std::net::Shutdown::Read => libc::SHUT_RD,
        std::net::Shutdown::Write => libc::SHUT_WR,
        std::net::Shutdown::Both => libc::SHUT_RDWR,
    };
    // SAFETY: a plain syscall on a borrowed, open descriptor.
    let _ = unsafe { libc::shutdown(socket.as_raw_fd(), how) };
}

/// Raises the soft limit on open descriptors to the hard limit (at most `wanted`); returns the
/// soft limit in force afterwards.
pub fn raise_descriptor_limit(wanted: u64) -> u64 {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit read and write one rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return 1024;
    }
    let target = limit.rlim_max.min(wanted); // rlim_t is u64 on every target (musl, 64-bit glibc)
    if limit.rlim_cur < target {
        let raised = libc::rlimit { rlim_cur: target, rlim_max: limit.rlim_max };
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            return target;
        }
    }
    limit.rlim_cur
}

type NameFn = unsafe extern "C" fn(libc::c_int, *mut libc::sockaddr, *mut libc::socklen_t) -> libc::c_int;

/// One end of socket `fd` (getsockname or getpeername); None for anything but an IP socket.
fn socket_addr(fd: RawFd, name: NameFn) -> Option<SocketAddr> {
    // SAFETY: sockaddr_storage is plain data for which all zeroes is a valid value, and the
    // call writes at most `len` bytes into it. A descriptor that is not a socket (or was closed
    // meanwhile) only makes the call fail.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    if unsafe { name(fd, (&raw mut storage).cast(), &mut len) } != 0 {
        return None;
    }
    match libc::c_int::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let v4 = unsafe { *(&raw const storage).cast::<libc::sockaddr_in>() };
            let ip = std::net::Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr));
            Some(SocketAddr::from((ip, u16::from_be(v4.sin_port))))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let v6 = unsafe { *(&raw const storage).cast::<libc::sockaddr_in6>() };
            let ip = std::net::Ipv6Addr::from(v6.sin6_addr.s6_addr);
            Some(SocketAddr::V6(std::net::SocketAddrV6::new(
                ip,
                u16::from_be(v6.sin6_port),
                v6.sin6_flowinfo,
                v6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsFd;

    #[test]
    fn the_socket_of_a_connection_is_found_by_its_two_ends() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (server_side, peer) = listener.accept().unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        let socket = connection_socket(port, peer).expect("found");
        assert_ne!(socket.as_raw_fd(), server_side.as_raw_fd(), "a descriptor of its own");
        assert_eq!(socket_addr(socket.as_raw_fd(), libc::getpeername), Some(peer));
        assert_eq!(socket_addr(socket.as_raw_fd(), libc::getsockname), server_side.local_addr().ok());
        assert!(connection_socket(port, SocketAddr::from(([127, 0, 0, 1], 1))).is_none(), "no connection from port 1");
    }

    #[test]
    fn a_claimed_socket_stays_its_connection_after_the_number_is_closed_and_taken_again() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut first = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (first_server_side, first_peer) = listener.accept().unwrap();
        let number = first_server_side.as_raw_fd();
        let claimed = claim(number, port, first_peer).expect("claimed");
        drop(first_server_side);
        let second = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (second_server_side, second_peer) = listener.accept().unwrap();
        if second_server_side.as_raw_fd() == number {
            assert_eq!(claim(number, port, first_peer).unwrap_err(), Unclaimed::Gone, "the number is another's now");
        }
        assert_eq!(peer_of(claimed.as_raw_fd()), Some(first_peer));
        shutdown(claimed.as_fd(), std::net::Shutdown::Write);
        let mut rest = Vec::new();
        std::io::Read::read_to_end(&mut first, &mut rest).unwrap();
        assert!(rest.is_empty(), "the first connection was ended");
        assert_eq!(peer_of(second_server_side.as_raw_fd()), Some(second_peer));
        second.set_nonblocking(true).unwrap();
        let mut byte = [0u8; 1];
        let untouched = std::io::Read::read(&mut &second, &mut byte).unwrap_err();
        assert_eq!(untouched.kind(), std::io::ErrorKind::WouldBlock, "the second connection is untouched");
    }
}

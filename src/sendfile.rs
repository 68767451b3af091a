//! Sending a file window with sendfile(2), so its bytes go from the page cache to the socket
//! without being copied through the server, corked (TCP_CORK) so the head and the pages leave
//! in full segments, as nginx does with `sendfile on; tcp_nopush on`. Our read-and-write rounds
//! copied every byte twice: in the bench they cost 289 (whole file) and 248 (Range) ms of
//! server CPU per GiB, sendfile 247 and 192, and only sendfile reached nginx's fastest runs.
//!
//! tiny_http does not lend out the sockets of its connections, so the socket is found among the
//! process's descriptors by its two ends: the port the server listens on and the client's
//! address name exactly one live TCP connection. The descriptor is borrowed, never closed; it
//! stays open while the caller holds the connection's writer. Linux only (/proc, sendfile), as
//! iSync is; when the socket is not found, callers copy as before.

use std::fs::File;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};

/// At most this much per sendfile call (Linux sends at most about 2 GiB per call anyway).
const MAX_PER_CALL: u64 = 1 << 30;

/// The descriptor of the TCP connection from `peer` to our `local_port`, if there is one.
pub fn connection_socket(local_port: u16, peer: SocketAddr) -> Option<RawFd> {
    let entries = std::fs::read_dir("/proc/self/fd").ok()?;
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<RawFd>().ok())
        .find(|&fd| socket_addr(fd, libc::getsockname).is_some_and(|local| local.port() == local_port) && socket_addr(fd, libc::getpeername) == Some(peer))
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
            Some(SocketAddr::V6(std::net::SocketAddrV6::new(ip, u16::from_be(v6.sin6_port), v6.sin6_flowinfo, v6.sin6_scope_id)))
        }
        _ => None,
    }
}

/// Holds back partial segments on `socket` while `on` (TCP_CORK), as nginx's tcp_nopush does
/// around sendfile: the head and the file's pages leave in full segments.
pub fn cork(socket: RawFd, on: bool) {
    // A refused option only costs a partial segment.
    let _ = crate::listener::setsockopt(socket, libc::IPPROTO_TCP, libc::TCP_CORK, &libc::c_int::from(on));
}

/// Sends `len` bytes of `file` from `offset` to `socket`, all of them or an error.
pub fn send(socket: RawFd, file: &File, offset: u64, len: u64) -> io::Result<()> {
    let mut offset = libc::off_t::try_from(offset).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let mut left = len;
    while left > 0 {
        let chunk = left.min(MAX_PER_CALL) as usize;
        // SAFETY: both descriptors are open for the duration of the call (the caller holds the
        // connection and the file); the kernel advances `offset` itself.
        let sent = unsafe { libc::sendfile(socket, file.as_raw_fd(), &mut offset, chunk) };
        match sent {
            n if n > 0 => left -= n as u64,
            0 => return Err(io::ErrorKind::UnexpectedEof.into()), // the file shrank under us
            _ => {
                let error = io::Error::last_os_error();
                if error.kind() != io::ErrorKind::Interrupted {
                    return Err(error);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn the_socket_of_a_connection_is_found_by_its_ends_and_carries_a_file_window() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (server_side, peer) = listener.accept().unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        let socket = connection_socket(port, peer).expect("found");
        let same = |fd: RawFd| socket_addr(fd, libc::getpeername) == Some(peer) && socket_addr(fd, libc::getsockname) == server_side.local_addr().ok();
        assert!(same(socket), "the found descriptor is the accepted connection");
        assert_eq!(connection_socket(port, SocketAddr::from(([127, 0, 0, 1], 1))), None, "no connection from port 1");

        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&(0..=255u8).cycle().take(300_000).collect::<Vec<_>>()).unwrap();
        send(socket, &file, 1000, 250_000).unwrap();
        let short = send(socket, &file, 299_995, 20).unwrap_err();
        assert_eq!(short.kind(), io::ErrorKind::UnexpectedEof, "a window past the end of the file fails");
        drop(server_side);
        let mut received = Vec::new();
        client.read_to_end(&mut received).unwrap();
        assert_eq!(received.len(), 250_005);
        assert!(received.iter().enumerate().all(|(i, &b)| b == (if i < 250_000 { 1000 + i } else { 299_995 + i - 250_000 } % 256) as u8));
    }
}

//! The libc socket calls iSync needs and std does not offer: socket options, and finding the
//! socket of one of tiny_http's connections.
//!
//! tiny_http accepts connections itself and does not lend out their sockets. Options that
//! every connection needs are therefore set on the listening socket, which Linux copies onto
//! each accepted one (`http::listener`), and the socket of a connection that sends a file with
//! sendfile(2) is found among the process's descriptors by its two ends: the port the server
//! listens on and the client's address name exactly one live TCP connection. Linux only
//! (/proc/self/fd), as iSync is.

use std::net::SocketAddr;
use std::os::fd::RawFd;

/// Sets one socket option; false when the kernel refused it.
pub fn setsockopt<T>(fd: libc::c_int, level: libc::c_int, name: libc::c_int, value: &T) -> bool {
    let len = std::mem::size_of::<T>() as libc::socklen_t;
    // SAFETY: `value` points to a live T of `len` bytes for the duration of the call.
    unsafe { libc::setsockopt(fd, level, name, (value as *const T).cast(), len) == 0 }
}

/// The descriptor of the TCP connection from `peer` to our `local_port`, if there is one.
pub fn connection_socket(local_port: u16, peer: SocketAddr) -> Option<RawFd> {
    let entries = std::fs::read_dir("/proc/self/fd").ok()?;
    entries.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<RawFd>().ok()).find(|&fd| {
        socket_addr(fd, libc::getsockname).is_some_and(|local| local.port() == local_port)
            && socket_addr(fd, libc::getpeername) == Some(peer)
    })
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

    #[test]
    fn the_socket_of_a_connection_is_found_by_its_two_ends() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (server_side, peer) = listener.accept().unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        let socket = connection_socket(port, peer).expect("found");
        assert_eq!(socket_addr(socket, libc::getpeername), Some(peer));
        assert_eq!(socket_addr(socket, libc::getsockname), server_side.local_addr().ok());
        assert_eq!(connection_socket(port, SocketAddr::from(([127, 0, 0, 1], 1))), None, "no connection from port 1");
    }
}

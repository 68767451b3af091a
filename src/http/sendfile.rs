//! Sending a file window with sendfile(2), so its bytes go from the page cache to the socket
//! without being copied through the server (a read-and-write loop copies every byte twice),
//! corked (TCP_CORK) so the head and the pages leave in full segments, as nginx does with
//! `sendfile on; tcp_nopush on`.
//!
//! The connection's socket comes from `sys::connection_socket` (tiny_http does not lend it out),
//! a descriptor of the caller's own. When it is not found, callers copy as before.

use super::sys;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// At most this much per sendfile call (Linux sends at most about 2 GiB per call anyway).
const MAX_PER_CALL: u64 = 1 << 30;

/// Holds back partial segments on `socket` while `on` (TCP_CORK), as nginx's tcp_nopush does
/// around sendfile: the head and the file's pages leave in full segments.
pub fn cork(socket: BorrowedFd<'_>, on: bool) {
    // A refused option only costs a partial segment.
    let _ = sys::setsockopt(socket.as_raw_fd(), libc::IPPROTO_TCP, libc::TCP_CORK, &libc::c_int::from(on));
}

/// Sends `len` bytes of `file` from `offset` to `socket`, all of them or an error.
pub fn send(socket: BorrowedFd<'_>, file: &File, offset: u64, len: u64) -> io::Result<()> {
    let mut offset = libc::off_t::try_from(offset).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let mut left = len;
    while left > 0 {
        let chunk = left.min(MAX_PER_CALL) as usize;
        // SAFETY: both descriptors are open for the duration of the call (borrowed); the kernel
        // advances `offset` itself.
        let sent = unsafe { libc::sendfile(socket.as_raw_fd(), file.as_raw_fd(), &mut offset, chunk) };
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
    use std::os::fd::AsFd;

    #[test]
    fn a_file_window_goes_out_on_the_socket_and_a_window_past_the_end_fails() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (server_side, _) = listener.accept().unwrap();
        let socket = server_side.as_fd();

        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&(0..=255u8).cycle().take(300_000).collect::<Vec<_>>()).unwrap();
        send(socket, &file, 1000, 250_000).unwrap();
        let short = send(socket, &file, 299_995, 20).unwrap_err();
        assert_eq!(short.kind(), io::ErrorKind::UnexpectedEof, "a window past the end of the file fails");
        drop(server_side);
        let mut received = Vec::new();
        client.read_to_end(&mut received).unwrap();
        assert_eq!(received.len(), 250_005);
        assert!(received
            .iter()
            .enumerate()
            .all(|(i, &b)| b == (if i < 250_000 { 1000 + i } else { 299_995 + i - 250_000 } % 256) as u8));
    }
}

//! Each worker thread keeps the block of the last large response body it sent, emptied, for its
//! next large one. A fresh block for every large page of files.icc is a new mapping for musl
//! (from 256 KiB up; 48–256 KiB blocks go to mimalloc, see `allocator`) or a new mimalloc
//! page, with its page faults and, with several workers, TLB-shootdown interrupts on the other
//! cores. A sent `reply::Body` gives its block
//! back here; the JSON writer takes it.

use std::cell::Cell;

/// Blocks of this capacity are kept: smaller ones are cheap, larger ones would hold memory.
const KEPT: std::ops::Range<usize> = (16 << 10)..(1 << 20);

thread_local! {
    static SPARE: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Keeps a sent body's block for this thread's next large body.
pub fn give_back(mut bytes: Vec<u8>) {
    if KEPT.contains(&bytes.capacity()) {
        bytes.clear();
        SPARE.set(bytes);
    }
}

/// An empty block of at least `bytes` capacity: the spare one when it is large enough.
pub fn take(bytes: usize) -> Vec<u8> {
    if KEPT.contains(&bytes) {
        let spare = SPARE.take();
        if spare.capacity() >= bytes {
            return spare;
        }
    }
    Vec::with_capacity(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_back_large_block_serves_the_next_large_take_once() {
        std::thread::spawn(|| {
            let mut sent = Vec::with_capacity(30_000);
            sent.extend_from_slice(b"old body");
            give_back(sent);
            assert_eq!(take(100).capacity(), 100, "small bodies do not take the spare");
            let reused = take(20_000);
            assert!(reused.is_empty(), "the spare comes back emptied");
            assert!(reused.capacity() >= 30_000, "the spare block, not a new 20,000-byte one");
            assert!(take(20_000).capacity() < 30_000, "the spare is taken once");
            give_back(Vec::with_capacity(4 << 20));
            assert!(take(20_000).capacity() < 30_000, "blocks too large to keep are freed");
        })
        .join()
        .unwrap();
    }
}

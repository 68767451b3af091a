//! The global allocator: each block goes to the allocator that suits its size.
//!
//! - **Medium blocks** (48 to 256 KiB) go to mimalloc. musl serves every block of about
//!   128 KiB or more with its own mmap and unmaps it at free (and unmaps emptied groups of
//!   smaller ones), so a JPEG decode that takes a fresh 64–192 KiB coefficient buffer for every
//!   MCU row paid page faults, zero-page copy-on-write faults and TLB-shootdown IPIs on each
//!   row, and a thumbnail build spent much of its time in the kernel. mimalloc reuses freed
//!   blocks.
//! - **Small and large blocks** stay with musl. Its allocator is frugal with the many small
//!   blocks of a dozen threads (mimalloc for all of them, or from 16 KiB up, raised idle and
//!   peak RSS), and it returns a large block (a decoded photo, a resize buffer) to the system
//!   at free. mimalloc returns freed memory only when the freeing thread allocates again, so
//!   with large blocks in mimalloc a worker that went idle after a burst of builds kept them.
//!
//! A block's tier is a function of its size, which GlobalAlloc hands to every call, so a
//! block is always released by the allocator that made it.

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks in MEDIUM go to mimalloc.
const MEDIUM: std::ops::Range<usize> = (48 << 10)..(256 << 10);

#[derive(Clone, Copy)]
enum Tier {
    Musl,
    Mimalloc,
}

fn tier(size: usize) -> Tier {
    if MEDIUM.contains(&size) {
        Tier::Mimalloc
    } else {
        Tier::Musl
    }
}

pub struct Allocator;

// The methods are out of line: inlined at every allocation site under fat LTO, the dispatch
// would noticeably grow the binary.
// SAFETY: every block is released by the allocator that made it (see the module comment);
// realloc within one tier is that allocator's realloc, across tiers a copy.
unsafe impl GlobalAlloc for Allocator {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match tier(layout.size()) {
            Tier::Musl => System.alloc(layout),
            Tier::Mimalloc => mimalloc::MiMalloc.alloc(layout),
        }
    }

    #[inline(never)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match tier(layout.size()) {
            Tier::Musl => System.alloc_zeroed(layout),
            Tier::Mimalloc => mimalloc::MiMalloc.alloc_zeroed(layout),
        }
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match tier(layout.size()) {
            Tier::Musl => System.dealloc(ptr, layout),
            Tier::Mimalloc => mimalloc::MiMalloc.dealloc(ptr, layout),
        }
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match (tier(layout.size()), tier(new_size)) {
            (Tier::Musl, Tier::Musl) => return System.realloc(ptr, layout, new_size),
            (Tier::Mimalloc, Tier::Mimalloc) => return mimalloc::MiMalloc.realloc(ptr, layout, new_size),
            _ => {} // across tiers: a new block and a copy
        }
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        let new_ptr = self.alloc(new_layout);
        if !new_ptr.is_null() {
            std::ptr::copy_nonoverlapping(ptr, new_ptr, layout.size().min(new_size));
            self.dealloc(ptr, layout);
        }
        new_ptr
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_block_keeps_its_bytes_when_realloc_moves_it_between_tiers() {
        let byte = |i: usize| (i % 251) as u8;
        let mut block: Vec<u8> = (0..1000).map(byte).collect();
        // musl → mimalloc → musl → musl → musl → mimalloc → musl
        for size in [100 << 10, 2 << 20, 500 << 10, 5000, 70 << 10, 1 << 20] {
            let kept = block.len().min(size);
            if size > block.len() {
                block.reserve_exact(size - block.len());
            } else {
                block.truncate(size);
                block.shrink_to_fit();
            }
            assert!(block[..kept].iter().enumerate().all(|(i, &b)| b == byte(i)), "moved to {size} bytes");
            block.extend((kept..size).map(byte));
        }
    }
}

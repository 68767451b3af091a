//! The global allocator: each block goes to the allocator that suits its size.
//!
//! - **Small blocks** (under 64 KiB) go to musl's allocator, which is frugal: it keeps idle
//!   RSS at a few megabytes across the dozen threads of the server.
//! - **Large blocks** go to mimalloc. musl serves every block of about 128 KiB or more with its
//!   own mmap and munmaps it at free, so a JPEG decode that takes a fresh 128 KiB row buffer for
//!   every MCU row paid page faults, zero-page copy-on-write faults and TLB-shootdown IPIs on
//!   each row: half the time of a thumbnail build went to the kernel. mimalloc keeps freed
//!   large blocks for a second and hands them out again.
//! - **Huge blocks** (256 MiB or more) are mapped with MAP_NORESERVE. tiny_http drains an
//!   unread request body with `vec![0; remaining]`, sized by the client's declared
//!   Content-Length; when an upload of many gigabytes breaks off early, that zeroed block can
//!   exceed RAM + swap, which the kernel's overcommit heuristic refuses, and a refused
//!   allocation aborts the whole server. Untouched NORESERVE pages cost no memory.
//!
//! A block's tier is a function of its layout's size, which GlobalAlloc hands to every call,
//! so a block is always released by the allocator that made it.

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks at least this large go to mimalloc.
const LARGE: usize = 16 << 10;
/// Blocks at least this large bypass both allocators.
const HUGE: usize = 256 << 20;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tier {
    Small,
    Large,
    Huge,
}

fn tier(size: usize, align: usize) -> Tier {
    if size >= HUGE && align <= 4096 {
        Tier::Huge
    } else if size >= LARGE {
        Tier::Large
    } else {
        Tier::Small
    }
}

pub struct Allocator;

// SAFETY: every block is released by the allocator that made it (see the module comment);
// realloc within one tier is that allocator's realloc, across tiers a copy.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match tier(layout.size(), layout.align()) {
            Tier::Small => System.alloc(layout),
            Tier::Large => mimalloc::MiMalloc.alloc(layout),
            Tier::Huge => map(layout.size()),
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match tier(layout.size(), layout.align()) {
            Tier::Small => System.alloc_zeroed(layout),
            Tier::Large => mimalloc::MiMalloc.alloc_zeroed(layout),
            Tier::Huge => map(layout.size()), // anonymous mappings are zero-filled
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match tier(layout.size(), layout.align()) {
            Tier::Small => System.dealloc(ptr, layout),
            Tier::Large => mimalloc::MiMalloc.dealloc(ptr, layout),
            Tier::Huge => {
                libc::munmap(ptr.cast(), layout.size());
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let from = tier(layout.size(), layout.align());
        match from {
            _ if from != tier(new_size, layout.align()) => {}
            Tier::Small => return System.realloc(ptr, layout, new_size),
            Tier::Large => return mimalloc::MiMalloc.realloc(ptr, layout, new_size),
            Tier::Huge => {}
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

unsafe fn map(size: usize) -> *mut u8 {
    let ptr = libc::mmap(
        std::ptr::null_mut(),
        size,
        libc::PROT_READ | libc::PROT_WRITE,
        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
        -1,
        0,
    );
    if ptr == libc::MAP_FAILED {
        std::ptr::null_mut()
    } else {
        ptr.cast()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_zeroed_block_larger_than_memory_can_be_allocated_and_freed() {
        // 64 GiB on 64-bit targets: more than this machine's RAM + swap.
        let size = if cfg!(target_pointer_width = "64") { 64usize << 30 } else { 1 << 30 };
        let mut block = vec![0u8; size];
        block[12345] = 7;
        assert_eq!(block[12345] + block[size - 1], 7);
    }

    #[test]
    fn a_block_keeps_its_bytes_when_realloc_moves_it_between_tiers() {
        let byte = |i: usize| (i % 251) as u8;
        let mut block: Vec<u8> = (0..1000).map(byte).collect();
        // small → large → huge → large → small → large
        for size in [100 << 10, 300 << 20, 2 << 20, 5000, 70 << 10] {
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

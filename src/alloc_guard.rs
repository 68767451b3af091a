//! The global allocator: the system allocator, except that very large blocks are mapped with
//! MAP_NORESERVE. tiny_http drains an unread request body with `vec![0; remaining]`, sized by the
//! client's declared Content-Length; when an upload of many gigabytes breaks off early, that
//! zeroed block can exceed RAM + swap, which the kernel's overcommit heuristic refuses, and a
//! refused allocation aborts the whole server. Untouched NORESERVE pages cost no memory, so the
//! drain succeeds and only the few kilobytes actually read are ever backed by RAM.

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks at least this large bypass the system allocator.
const HUGE: usize = 256 << 20;

pub struct Allocator;

// SAFETY: every block is released by the same mechanism that made it: a block is huge when its
// layout's size is, and GlobalAlloc guarantees dealloc/realloc see the allocation's layout.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= HUGE && layout.align() <= 4096 {
            map(layout.size())
        } else {
            System.alloc(layout)
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= HUGE && layout.align() <= 4096 {
            map(layout.size()) // anonymous mappings are zero-filled
        } else {
            System.alloc_zeroed(layout)
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.size() >= HUGE && layout.align() <= 4096 {
            libc::munmap(ptr.cast(), layout.size());
        } else {
            System.dealloc(ptr, layout)
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let huge = |size: usize| size >= HUGE && layout.align() <= 4096;
        if !huge(layout.size()) && !huge(new_size) {
            return System.realloc(ptr, layout, new_size);
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
}

//! An exact-size heap byte buffer behind one thin pointer.
//!
//! Listpacks and intsets record their own size in their header, as in Redis,
//! so a `Vec<u8>` (24 bytes) or `Box<[u8]>` (16) would store it a second
//! time. With an 8-byte handle a small hash or set is a 16-byte enum, which
//! matters when a database holds millions of them. The owner keeps the size
//! (its header) equal to the allocation size and passes it in; that is the
//! one invariant the unsafe code below relies on.

use std::alloc::{self, Layout};
use std::ptr::NonNull;

pub(crate) struct ThinBytes(NonNull<u8>);

// SAFETY: `ThinBytes` uniquely owns its allocation, like `Box<[u8]>`.
unsafe impl Send for ThinBytes {}
unsafe impl Sync for ThinBytes {}

fn layout(len: usize) -> Layout {
    Layout::from_size_align(len, 1).expect("buffer size overflows isize")
}

impl ThinBytes {
    /// A new allocation holding a copy of `bytes`, which must not be empty.
    pub fn new(bytes: &[u8]) -> ThinBytes {
        assert!(!bytes.is_empty(), "zero-size thin buffer");
        let layout = layout(bytes.len());
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { alloc::alloc(layout) };
        let Some(ptr) = NonNull::new(ptr) else {
            alloc::handle_alloc_error(layout)
        };
        // SAFETY: the new allocation holds `bytes.len()` bytes and cannot
        // overlap `bytes`.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr.as_ptr(), bytes.len()) };
        ThinBytes(ptr)
    }

    /// The first `len` bytes.
    ///
    /// # Safety
    /// `len` must not exceed the allocation size.
    pub unsafe fn slice(&self, len: usize) -> &[u8] {
        std::slice::from_raw_parts(self.0.as_ptr(), len)
    }

    /// The first `len` bytes, mutably.
    ///
    /// # Safety
    /// `len` must not exceed the allocation size.
    pub unsafe fn slice_mut(&mut self, len: usize) -> &mut [u8] {
        std::slice::from_raw_parts_mut(self.0.as_ptr(), len)
    }

    /// Changes the allocation size from `len` to `new_len` (non-zero),
    /// keeping the first `min(len, new_len)` bytes; added bytes are zero.
    ///
    /// # Safety
    /// `len` must be the current allocation size.
    pub unsafe fn resize(&mut self, len: usize, new_len: usize) {
        assert!(new_len > 0, "zero-size thin buffer");
        let _ = layout(new_len);
        let ptr = alloc::realloc(self.0.as_ptr(), layout(len), new_len);
        match NonNull::new(ptr) {
            Some(ptr) => self.0 = ptr,
            None => alloc::handle_alloc_error(layout(new_len)),
        }
        if new_len > len {
            // Never hand out uninitialized bytes through `slice_mut`.
            self.0.as_ptr().add(len).write_bytes(0, new_len - len);
        }
    }

    /// Frees the allocation. The handle must not be used afterwards.
    ///
    /// # Safety
    /// `len` must be the current allocation size, and `free` is called once.
    pub unsafe fn free(&mut self, len: usize) {
        alloc::dealloc(self.0.as_ptr(), layout(len));
    }
}

//! Reused buffers for large results and the frames that carry them.
//!
//! A large answer (a 100 KB tool result) is the last big buffer a request frees: the frame is
//! dropped after the transport has written it, when the request's other buffers are already
//! free. Its free then joins them at the top of the allocator's heap, and glibc gives that
//! memory back to the kernel (`madvise`, with a TLB shoot-down on every core) only for the
//! next request to fault it in again, page by page. A frame built by
//! [`encode_response_owned`](crate::jsonrpc::encode_response_owned) goes back to this pool
//! instead, and [`to_raw_value`](crate::json::to_raw_value) serializes the next large result
//! into a buffer from it, so a server that keeps answering large results keeps its memory.

use std::sync::Mutex;

use bytes::Bytes;

/// Buffers smaller than this are not pooled: freeing a small buffer never trims the heap.
pub(crate) const POOLED_FROM: usize = 16 * 1024;
/// A buffer larger than this is not kept: one huge answer should not pin its memory.
const KEEP_AT_MOST: usize = 1024 * 1024;
/// The most memory the pool holds, all buffers together (about one 100 KB answer in flight
/// per connection of a busy server).
const POOL_BYTES: usize = 8 * 1024 * 1024;

struct Pool {
    buffers: Vec<Vec<u8>>,
    bytes: usize,
}

static POOL: Mutex<Pool> = Mutex::new(Pool {
    buffers: Vec::new(),
    bytes: 0,
});

/// An empty buffer from the pool, or a new empty one when the pool has none.
pub(crate) fn take() -> Vec<u8> {
    let Ok(mut pool) = POOL.lock() else {
        return Vec::new();
    };
    match pool.buffers.pop() {
        Some(buf) => {
            pool.bytes -= buf.capacity();
            buf
        }
        None => Vec::new(),
    }
}

/// Gives `buf` to the pool (or to the allocator when it is small, huge or the pool is full).
pub(crate) fn give(mut buf: Vec<u8>) {
    let capacity = buf.capacity();
    if !(POOLED_FROM..=KEEP_AT_MOST).contains(&capacity) {
        return;
    }
    buf.clear();
    if let Ok(mut pool) = POOL.lock() {
        if pool.bytes + capacity <= POOL_BYTES {
            pool.bytes += capacity;
            pool.buffers.push(buf);
        }
    }
}

/// `frame` as [`Bytes`] for a transport; when the transport drops the last reference, the
/// buffer goes back to the pool.
pub(crate) fn into_bytes(frame: Vec<u8>) -> Bytes {
    Bytes::from_owner(Pooled(frame))
}

struct Pooled(Vec<u8>);

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        give(std::mem::take(&mut self.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_comes_back_to_the_pool_when_its_bytes_are_dropped() {
        let mut frame = Vec::with_capacity(64 * 1024);
        frame.extend_from_slice(b"{}");
        let address = frame.as_ptr();
        let bytes = into_bytes(frame);
        let copy = bytes.clone();
        assert_eq!(&copy[..], b"{}");
        drop(bytes);
        drop(copy);
        // Other tests may use the pool at the same time: look for this buffer among a few.
        let taken: Vec<Vec<u8>> = (0..64).map(|_| take()).collect();
        let back = taken.iter().find(|b| b.as_ptr() == address);
        assert!(back.is_some_and(|b| b.is_empty() && b.capacity() >= 64 * 1024));
        taken.into_iter().for_each(give);
    }

    #[test]
    fn small_and_huge_buffers_are_not_kept() {
        for capacity in [100, KEEP_AT_MOST + 1] {
            let buf = Vec::<u8>::with_capacity(capacity);
            let address = buf.as_ptr();
            give(buf);
            let taken: Vec<Vec<u8>> = (0..64).map(|_| take()).collect();
            assert!(taken
                .iter()
                .all(|b| b.as_ptr() != address || b.capacity() == 0));
            taken.into_iter().for_each(give);
        }
    }
}

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

/// A pool behind its lock; the process has one ([`POOL`]), tests their own.
type SharedPool = Mutex<Pool>;

static POOL: SharedPool = Mutex::new(Pool {
    buffers: Vec::new(),
    bytes: 0,
});

/// An empty buffer from the pool, or a new empty one when the pool has none.
pub(crate) fn take() -> Vec<u8> {
    take_from(&POOL)
}

fn take_from(pool: &SharedPool) -> Vec<u8> {
    let Ok(mut pool) = pool.lock() else {
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

/// Gives `buf` to `pool` (or to the allocator when it is small, huge or the pool is full).
fn give_to(pool: &SharedPool, mut buf: Vec<u8>) {
    let capacity = buf.capacity();
    if !(POOLED_FROM..=KEEP_AT_MOST).contains(&capacity) {
        return;
    }
    buf.clear();
    if let Ok(mut pool) = pool.lock() {
        if pool.bytes + capacity <= POOL_BYTES {
            pool.bytes += capacity;
            pool.buffers.push(buf);
        }
    }
}

/// `frame` as [`Bytes`] for a transport; when the transport drops the last reference, the
/// buffer goes back to the pool.
pub(crate) fn into_bytes(frame: Vec<u8>) -> Bytes {
    into_bytes_for(&POOL, frame)
}

fn into_bytes_for(pool: &'static SharedPool, frame: Vec<u8>) -> Bytes {
    Bytes::from_owner(Pooled { frame, pool })
}

struct Pooled {
    frame: Vec<u8>,
    pool: &'static SharedPool,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.frame
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        give_to(self.pool, std::mem::take(&mut self.frame));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pool of the test's own: the process-wide one is shared with every test that
    /// encodes a large result, which may take this test's buffer first.
    fn own_pool() -> &'static SharedPool {
        Box::leak(Box::new(Mutex::new(Pool {
            buffers: Vec::new(),
            bytes: 0,
        })))
    }

    #[test]
    fn a_frame_comes_back_to_the_pool_when_its_bytes_are_dropped() {
        let pool = own_pool();
        let mut frame = Vec::with_capacity(64 * 1024);
        frame.extend_from_slice(b"{}");
        let address = frame.as_ptr();
        let bytes = into_bytes_for(pool, frame);
        let copy = bytes.clone();
        assert_eq!(&copy[..], b"{}");
        drop(bytes);
        assert!(
            take_from(pool).capacity() == 0,
            "back only when the last copy goes"
        );
        drop(copy);
        let back = take_from(pool);
        assert_eq!(back.as_ptr(), address);
        assert!(back.is_empty() && back.capacity() >= 64 * 1024);
    }

    #[test]
    fn small_and_huge_buffers_are_not_kept() {
        let pool = own_pool();
        for capacity in [100, KEEP_AT_MOST + 1] {
            give_to(pool, Vec::<u8>::with_capacity(capacity));
            assert_eq!(take_from(pool).capacity(), 0, "{capacity}");
        }
    }

    #[test]
    fn the_pool_holds_a_bounded_amount() {
        let pool = own_pool();
        let each = KEEP_AT_MOST;
        for _ in 0..(POOL_BYTES / each + 3) {
            give_to(pool, Vec::<u8>::with_capacity(each));
        }
        let kept = std::iter::from_fn(|| Some(take_from(pool)))
            .take_while(|b| b.capacity() > 0)
            .count();
        assert_eq!(kept, POOL_BYTES / each);
    }
}

//! A single-consumer queue that allocates nothing until its first item.
//!
//! Tokio's `mpsc` channels allocate a block of 32 slots (1–2 KiB) plus a cache-padded
//! header when they are created. A server holds two queues per connection, and an HTTP
//! server holds a connection per session, most of them idle: this queue costs about 150
//! bytes until something is queued, and gives back a large buffer once it runs empty.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

/// Room kept when a queue that grew past it runs empty; a burst's buffer is given back.
const RETAINED_CAPACITY: usize = 16;

/// Creates a queue holding at most `capacity` items (`None`: no limit).
pub fn queue<T>(capacity: Option<usize>) -> (QueueSender<T>, QueueReceiver<T>) {
    queue_retaining(capacity, RETAINED_CAPACITY)
}

/// [`queue`] that keeps room for up to `retained` items once it runs empty: a busy queue
/// (a connection's outgoing frames) then grows once to the size of its bursts and reuses
/// that room, rather than growing again (copying, and remapping large buffers) every burst.
pub(crate) fn queue_retaining<T>(
    capacity: Option<usize>,
    retained: usize,
) -> (QueueSender<T>, QueueReceiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            items: VecDeque::new(),
            sender_gone: false,
            receiver_gone: false,
        }),
        readable: Notify::new(),
        writable: Notify::new(),
        capacity: capacity.unwrap_or(usize::MAX).max(1),
        retained,
    });
    (
        QueueSender {
            shared: shared.clone(),
        },
        QueueReceiver { shared },
    )
}

struct Shared<T> {
    state: Mutex<State<T>>,
    /// Wakes the receiver: an item arrived or the sender went away.
    readable: Notify,
    /// Wakes a sender waiting for room: an item left or the receiver went away.
    writable: Notify,
    capacity: usize,
    /// Room kept when the queue runs empty.
    retained: usize,
}

struct State<T> {
    items: VecDeque<T>,
    sender_gone: bool,
    receiver_gone: bool,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The sending half of [`queue`]. Dropping it ends the queue once it is drained.
pub struct QueueSender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> QueueSender<T> {
    /// Queues `item` unless the receiver is gone (the item comes back) or the queue is full
    /// (also returned, for an unbounded queue never).
    pub fn try_send(&self, item: T) -> Result<(), T> {
        let mut state = self.shared.lock();
        if state.receiver_gone || state.items.len() >= self.shared.capacity {
            return Err(item);
        }
        state.items.push_back(item);
        drop(state);
        self.shared.readable.notify_one();
        Ok(())
    }

    /// Queues `item`, waiting for room; the item comes back if the receiver is gone.
    pub async fn send(&self, mut item: T) -> Result<(), T> {
        loop {
            // Registered before the check, so room made in between is not missed.
            let room = self.shared.writable.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            match self.try_send(item) {
                Ok(()) => return Ok(()),
                Err(back) => {
                    if self.shared.lock().receiver_gone {
                        return Err(back);
                    }
                    item = back;
                }
            }
            room.await;
        }
    }
}

impl<T> Drop for QueueSender<T> {
    fn drop(&mut self) {
        self.shared.lock().sender_gone = true;
        self.shared.readable.notify_one();
    }
}

/// The receiving half of [`queue`].
pub struct QueueReceiver<T> {
    shared: Arc<Shared<T>>,
}

impl<T> QueueReceiver<T> {
    /// The next item, if one is queued now; `Err(true)` when the queue is empty and the
    /// sender is gone, `Err(false)` when it is only empty.
    pub fn try_recv(&mut self) -> Result<T, bool> {
        let mut state = self.shared.lock();
        match state.items.pop_front() {
            Some(item) => {
                if state.items.is_empty() && state.items.capacity() > self.shared.retained {
                    state.items.shrink_to(self.shared.retained);
                }
                let bounded = self.shared.capacity != usize::MAX;
                drop(state);
                if bounded {
                    self.shared.writable.notify_one();
                }
                Ok(item)
            }
            None => Err(state.sender_gone),
        }
    }

    /// Waits for the next item; `None` once the queue is empty and the sender is gone.
    pub async fn recv(&mut self) -> Option<T> {
        loop {
            match self.try_recv() {
                Ok(item) => return Some(item),
                Err(true) => return None,
                // `notify_one` leaves a permit when nobody waits, so an item queued after
                // the check above still wakes this.
                Err(false) => self.shared.readable.notified().await,
            }
        }
    }
}

impl<T> Drop for QueueReceiver<T> {
    fn drop(&mut self) {
        let items = {
            let mut state = self.shared.lock();
            state.receiver_gone = true;
            std::mem::take(&mut state.items)
        };
        // Dropped outside the lock: an item's destructor may touch this queue.
        drop(items);
        self.shared.writable.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn delivers_in_order_and_ends_when_the_sender_goes() {
        let (tx, mut rx) = queue(None);
        for i in 0..100 {
            tx.try_send(i).unwrap();
        }
        drop(tx);
        for i in 0..100 {
            assert_eq!(rx.recv().await, Some(i));
        }
        assert_eq!(rx.recv().await, None);
    }

    #[tokio::test]
    async fn a_bounded_sender_waits_for_room() {
        let (tx, mut rx) = queue(Some(2));
        tx.send(1).await.unwrap();
        tx.send(2).await.unwrap();
        assert_eq!(tx.try_send(3), Err(3));
        let blocked = tokio::time::timeout(Duration::from_millis(50), tx.send(3)).await;
        assert!(blocked.is_err(), "a full queue must make the sender wait");
        let sender = tokio::spawn(async move {
            tx.send(3).await.unwrap();
            tx
        });
        assert_eq!(rx.recv().await, Some(1));
        let _tx = sender.await.unwrap();
        assert_eq!(rx.recv().await, Some(2));
        assert_eq!(rx.recv().await, Some(3));
    }

    #[tokio::test]
    async fn a_waiting_receiver_wakes_for_an_item_sent_from_another_task() {
        let (tx, mut rx) = queue::<u32>(None);
        let receiver = tokio::spawn(async move { rx.recv().await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        tx.try_send(7).unwrap();
        assert_eq!(receiver.await.unwrap(), Some(7));
    }

    #[tokio::test]
    async fn sending_fails_once_the_receiver_is_gone() {
        let (tx, rx) = queue(Some(1));
        tx.send(1).await.unwrap();
        let waiting = tokio::spawn(async move { tx.send(2).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(rx);
        assert_eq!(waiting.await.unwrap(), Err(2));
    }

    #[tokio::test]
    async fn a_drained_burst_gives_its_buffer_back() {
        let (tx, mut rx) = queue(None);
        for i in 0..10_000 {
            tx.try_send(i).unwrap();
        }
        while rx.try_recv().is_ok() {}
        assert!(rx.shared.lock().items.capacity() <= RETAINED_CAPACITY);
    }

    #[tokio::test]
    async fn a_retaining_queue_keeps_the_room_of_its_bursts() {
        let (tx, mut rx) = queue_retaining(None, 1 << 16);
        for i in 0..10_000 {
            tx.try_send(i).unwrap();
        }
        while rx.try_recv().is_ok() {}
        let kept = rx.shared.lock().items.capacity();
        assert!(kept >= 10_000);
        // The next burst of the same size needs no more room.
        for i in 0..10_000 {
            tx.try_send(i).unwrap();
        }
        assert_eq!(rx.shared.lock().items.capacity(), kept);
        while rx.try_recv().is_ok() {}
        // Past the bound, a burst's room is given back down to it.
        for i in 0..100_000 {
            tx.try_send(i).unwrap();
        }
        while rx.try_recv().is_ok() {}
        assert!(rx.shared.lock().items.capacity() <= 1 << 16);
    }
}

//! The reader's small executor: a request's future is polled once where it arrives and gets
//! a task of its own only if it waits.
//!
//! What it guarantees (the tests below check each):
//! - a future that finishes on its first poll has run, and been dropped, before
//!   [`run_inline_or_spawn`] returns;
//! - a future that does not finish is polled again by a task of its own, even if it never
//!   woke the no-op waker of the first poll;
//! - a panic is contained: on the first poll it loses that future only, later it ends only
//!   that future's task;
//! - with a [`Spare`], futures of one type that finish at once reuse one heap slot.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};

/// Polls a request's future once, here on the reader; only one that is not done by then
/// (it awaits a timer, I/O or the client) gets a task of its own. Most handlers answer
/// without waiting, and a task per request (spawn, hand-off to another worker, wake-up)
/// costs more than the handler. A pending future is polled again by its new task, which
/// registers the task's waker in place of the no-op one used here. A handler that panics
/// loses its request only, as it would on a task of its own: the reader goes on.
///
/// The future is polled in a heap slot (it must not move once polled, and a pending one
/// moves to its task): with `spare`, a slot whose future finished here is kept for the next
/// request, so a connection that answers at once allocates none (a request's future is
/// kilobytes, and glibc tidies its free lists on every allocation that large).
pub(crate) fn run_inline_or_spawn<F>(future: F, spare: Option<&Spare>)
where
    F: Future + Send + 'static,
{
    let mut next = Some(future);
    let reused = spare.and_then(Spare::take).and_then(|mut slot| {
        let refilled = slot.as_mut().refill(&mut next);
        refilled.then_some(slot)
    });
    let mut slot: Pin<Box<dyn Slot>> = match reused {
        Some(slot) => slot,
        None => Box::pin(next),
    };
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let polled = std::panic::catch_unwind(AssertUnwindSafe(|| slot.as_mut().poll_slot(&mut cx)));
    if matches!(polled, Ok(Poll::Pending)) {
        tokio::spawn(SlotTask(slot));
        return;
    }
    // Done (or panicked): drop the future now, as a finished task would, and keep its room.
    let cleared = std::panic::catch_unwind(AssertUnwindSafe(|| slot.as_mut().clear()));
    if let (Ok(()), Some(spare)) = (cleared, spare) {
        spare.put(slot);
    }
}

/// A pinned heap slot holding one future of a type fixed by its first use, or nothing.
trait Slot: Send {
    fn poll_slot(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()>;
    /// Drops the future in place; the slot can then take another.
    fn clear(self: Pin<&mut Self>);
    /// Moves the future out of `next` (an `Option` of this slot's future type) into the
    /// slot; false, leaving `next` alone, when it is of another type.
    fn refill(self: Pin<&mut Self>, next: &mut dyn Any) -> bool;
}

/// A future's output is dropped: a request's future has sent its answer itself.
impl<F: Future + Send + 'static> Slot for Option<F> {
    fn poll_slot(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.as_pin_mut() {
            Some(future) => future.poll(cx).map(drop),
            None => Poll::Ready(()),
        }
    }

    fn clear(mut self: Pin<&mut Self>) {
        self.set(None);
    }

    fn refill(mut self: Pin<&mut Self>, next: &mut dyn Any) -> bool {
        match next.downcast_mut::<Option<F>>() {
            Some(next) => {
                self.set(next.take());
                true
            }
            None => false,
        }
    }
}

/// A request that waits, on its own task.
struct SlotTask(Pin<Box<dyn Slot>>);

impl Future for SlotTask {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll_slot(cx)
    }
}

/// The empty slot a connection keeps for its next request (see [`run_inline_or_spawn`]).
#[derive(Default)]
pub(crate) struct Spare(Mutex<Option<Pin<Box<dyn Slot>>>>);

impl Spare {
    fn take(&self) -> Option<Pin<Box<dyn Slot>>> {
        self.0.try_lock().ok()?.take()
    }

    fn put(&self, slot: Pin<Box<dyn Slot>>) {
        if let Ok(mut spare) = self.0.try_lock() {
            *spare = Some(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Counts its drops, so a test sees when a request's future was dropped.
    struct Dropped(Arc<std::sync::atomic::AtomicUsize>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// One future type for every call, as a connection's requests have: it finishes at once
    /// unless given a gate to wait for.
    fn request_like(
        gate: Option<tokio::sync::oneshot::Receiver<()>>,
        dropped: Arc<std::sync::atomic::AtomicUsize>,
        done: Arc<std::sync::atomic::AtomicUsize>,
    ) -> impl Future<Output = ()> + Send + 'static {
        let guard = Dropped(dropped);
        async move {
            let _guard = guard;
            if let Some(gate) = gate {
                let _ = gate.await;
            }
            done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn inline_requests_reuse_one_slot_and_a_waiting_one_gets_a_task() {
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        let spare = Spare::default();
        let dropped = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        let has_spare = |spare: &Spare| spare.0.lock().unwrap().is_some();

        run_inline_or_spawn(
            request_like(None, dropped.clone(), done.clone()),
            Some(&spare),
        );
        // Finished and dropped before the call returns, as before; its slot is kept.
        assert_eq!((done.load(SeqCst), dropped.load(SeqCst)), (1, 1));
        assert!(has_spare(&spare));
        let kept = format!("{:p}", &**spare.0.lock().unwrap().as_ref().unwrap());

        run_inline_or_spawn(
            request_like(None, dropped.clone(), done.clone()),
            Some(&spare),
        );
        assert_eq!((done.load(SeqCst), dropped.load(SeqCst)), (2, 2));
        let reused = format!("{:p}", &**spare.0.lock().unwrap().as_ref().unwrap());
        assert_eq!(kept, reused, "an inline request must reuse the spare slot");

        // A request that waits takes the slot to its task; the next inline one gets a new one.
        let (open, gate) = tokio::sync::oneshot::channel();
        run_inline_or_spawn(
            request_like(Some(gate), dropped.clone(), done.clone()),
            Some(&spare),
        );
        assert!(!has_spare(&spare));
        assert_eq!((done.load(SeqCst), dropped.load(SeqCst)), (2, 2));
        run_inline_or_spawn(
            request_like(None, dropped.clone(), done.clone()),
            Some(&spare),
        );
        assert_eq!((done.load(SeqCst), dropped.load(SeqCst)), (3, 3));
        assert!(has_spare(&spare));
        open.send(()).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), async {
            while dropped.load(SeqCst) < 4 {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the waiting request finishes on its task");
        assert_eq!(done.load(SeqCst), 4);

        // A future of another type is served too, in a slot of its own.
        let other_done = Arc::new(AtomicUsize::new(0));
        let counter = other_done.clone();
        run_inline_or_spawn(
            async move {
                counter.fetch_add(1, SeqCst);
            },
            Some(&spare),
        );
        assert_eq!(other_done.load(SeqCst), 1);
    }

    /// Waits (up to 5 s) until `count` reaches `at_least`.
    async fn until(count: &std::sync::atomic::AtomicUsize, at_least: usize) {
        tokio::time::timeout(std::time::Duration::from_secs(5), async {
            while count.load(std::sync::atomic::Ordering::SeqCst) < at_least {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the future finishes on its task");
    }

    #[tokio::test]
    async fn a_future_that_finishes_at_once_has_run_and_been_dropped_on_return() {
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        let dropped = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        // With no spare slot too: each call boxes its own.
        for expected in 1..=3 {
            run_inline_or_spawn(request_like(None, dropped.clone(), done.clone()), None);
            assert_eq!(
                (done.load(SeqCst), dropped.load(SeqCst)),
                (expected, expected)
            );
        }
    }

    /// Pending on its first poll without waking anyone, ready on the next.
    struct PendingOnce {
        polled: bool,
        done: Arc<std::sync::atomic::AtomicUsize>,
    }

    impl Future for PendingOnce {
        type Output = ();

        fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
            if std::mem::replace(&mut self.polled, true) {
                self.done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }
    }

    #[tokio::test]
    async fn a_pending_future_is_polled_again_by_its_task_without_a_wake_up() {
        let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let spare = Spare::default();
        run_inline_or_spawn(
            PendingOnce {
                polled: false,
                done: done.clone(),
            },
            Some(&spare),
        );
        // Its first poll woke the no-op waker only: the task's own first poll finishes it.
        assert_eq!(done.load(std::sync::atomic::Ordering::SeqCst), 0);
        until(&done, 1).await;
    }

    #[tokio::test]
    async fn a_panic_on_the_first_poll_loses_that_future_only() {
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        let spare = Spare::default();
        let dropped = Arc::new(AtomicUsize::new(0));
        let guard = Dropped(dropped.clone());
        run_inline_or_spawn(
            async move {
                let _guard = guard;
                panic!("a handler panics on its first poll");
            },
            Some(&spare),
        );
        // The caller goes on, and the future was dropped (its guard ran) on the way out.
        assert_eq!(dropped.load(SeqCst), 1);
        let done = Arc::new(AtomicUsize::new(0));
        run_inline_or_spawn(
            request_like(None, dropped.clone(), done.clone()),
            Some(&spare),
        );
        assert_eq!((done.load(SeqCst), dropped.load(SeqCst)), (1, 2));
    }

    #[tokio::test]
    async fn a_panic_after_waiting_ends_its_own_task_only() {
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        let dropped = Arc::new(AtomicUsize::new(0));
        let guard = Dropped(dropped.clone());
        let (open, gate) = tokio::sync::oneshot::channel::<()>();
        run_inline_or_spawn(
            async move {
                let _guard = guard;
                let _ = gate.await;
                panic!("a handler panics on its task");
            },
            None,
        );
        assert_eq!(dropped.load(SeqCst), 0);
        open.send(()).unwrap();
        until(&dropped, 1).await;
        // Inline requests keep running after it.
        let done = Arc::new(AtomicUsize::new(0));
        run_inline_or_spawn(request_like(None, dropped.clone(), done.clone()), None);
        assert_eq!((done.load(SeqCst), dropped.load(SeqCst)), (1, 2));
    }
}

//! A connection's bounded send queue: encoded frames waiting for the connection's writer.
//!
//! A general-purpose channel allocates its first block of slots up front and keeps a control
//! block beside it, about 3.5 KiB per connection even when nothing is queued. This queue is a
//! deque that grows while frames wait and is given back when it drains, so an idle connection
//! costs a few dozen bytes here. One sender side (the hub) and one receiver (the connection's writer loop).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::Notify;

/// Why a frame was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The queue holds its capacity already.
    Full,
    /// The receiver closed the queue.
    Closed,
}

#[derive(Debug, Default)]
struct State {
    frames: VecDeque<Utf8Bytes>,
    closed: bool,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    capacity: usize,
    /// Wakes the receiver: a frame arrived, or the queue closed.
    queued: Notify,
    /// Wakes a sender waiting for room.
    drained: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A drained queue keeps at most this many slots; a larger one is given back. None: an idle
/// connection holds no slots, and a queue that empties between frames costs one small allocation
/// per frame, next to the frame's write to the socket.
const KEEP_SLOTS: usize = 0;

/// The hub's end: queues frames without waiting.
#[derive(Debug)]
pub struct Sender(Arc<Shared>);

/// The writer's end.
#[derive(Debug)]
pub struct Receiver(Arc<Shared>);

/// A queue of at most `capacity` frames (at least one).
pub fn outbox(capacity: usize) -> (Sender, Receiver) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State::default()),
        capacity: capacity.max(1),
        queued: Notify::new(),
        drained: Notify::new(),
    });
    (Sender(Arc::clone(&shared)), Receiver(shared))
}

impl Sender {
    /// Queues `frame` unless the queue is full or closed.
    pub fn try_send(&self, frame: Utf8Bytes) -> Result<(), Refused> {
        {
            let mut state = self.0.lock();
            if state.closed {
                return Err(Refused::Closed);
            }
            if state.frames.len() >= self.0.capacity {
                return Err(Refused::Full);
            }
            state.frames.push_back(frame);
        }
        self.0.queued.notify_one();
        Ok(())
    }

    /// Waits until at most `capacity - room` frames are queued (or the queue closed).
    pub async fn wait_for_room(&self, room: usize) {
        let most = self.0.capacity.saturating_sub(room.min(self.0.capacity));
        loop {
            let drained = self.0.drained.notified();
            {
                let state = self.0.lock();
                if state.closed || state.frames.len() <= most {
                    return;
                }
            }
            drained.await;
        }
    }

    /// How many frames the queue holds at most.
    pub fn capacity(&self) -> usize {
        self.0.capacity
    }

    /// How many frames are queued now.
    pub fn queued(&self) -> usize {
        self.0.lock().frames.len()
    }
}

impl Receiver {
    fn pop(&self) -> Option<Utf8Bytes> {
        let mut state = self.0.lock();
        let frame = state.frames.pop_front()?;
        if state.frames.is_empty() && state.frames.capacity() > KEEP_SLOTS {
            state.frames = VecDeque::new();
        }
        drop(state);
        self.0.drained.notify_waiters();
        Some(frame)
    }

    /// The next frame; `None` once the queue is closed and empty.
    pub async fn recv(&mut self) -> Option<Utf8Bytes> {
        loop {
            if let Some(frame) = self.pop() {
                return Some(frame);
            }
            if self.0.lock().closed {
                return None;
            }
            // A frame queued since the check left a permit, so this returns at once.
            self.0.queued.notified().await;
        }
    }

    /// The next frame if one is queued.
    pub fn try_recv(&mut self) -> Option<Utf8Bytes> {
        self.pop()
    }

    /// Refuses further frames; those already queued can still be received.
    pub fn close(&mut self) {
        self.0.lock().closed = true;
        self.0.drained.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: u32) -> Utf8Bytes {
        Utf8Bytes::from(n.to_string())
    }

    #[tokio::test]
    async fn frames_arrive_in_order_up_to_the_capacity() {
        let (tx, mut rx) = outbox(3);
        for n in 0..3 {
            tx.try_send(frame(n)).unwrap();
        }
        assert_eq!(tx.try_send(frame(9)), Err(Refused::Full));
        assert_eq!(rx.recv().await.unwrap().as_str(), "0");
        tx.try_send(frame(3)).unwrap();
        let rest: Vec<String> = std::iter::from_fn(|| rx.try_recv()).map(|f| f.as_str().to_owned()).collect();
        assert_eq!(rest, ["1", "2", "3"]);
        rx.close();
        assert_eq!(tx.try_send(frame(4)), Err(Refused::Closed));
        assert!(rx.recv().await.is_none());
    }

    #[tokio::test]
    async fn a_waiting_receiver_wakes_for_a_frame_and_a_drained_queue_gives_its_memory_back() {
        let (tx, mut rx) = outbox(100);
        let got = tokio::spawn(async move {
            let mut n = 0;
            while let Some(f) = rx.recv().await {
                n += 1;
                if f.as_str() == "last" {
                    break;
                }
            }
            (n, rx.0.lock().frames.capacity())
        });
        for n in 0..50 {
            tx.try_send(frame(n)).unwrap();
        }
        tx.try_send(Utf8Bytes::from_static("last")).unwrap();
        let (n, capacity) = got.await.unwrap();
        assert_eq!(n, 51);
        assert_eq!(capacity, KEEP_SLOTS, "a drained queue keeps {capacity} slots");
    }

    #[tokio::test]
    async fn a_sender_waiting_for_room_wakes_when_the_writer_drains() {
        let (tx, mut rx) = outbox(4);
        for n in 0..4 {
            tx.try_send(frame(n)).unwrap();
        }
        let tx = Arc::new(tx);
        let waiter = tokio::spawn({
            let tx = Arc::clone(&tx);
            async move { tx.wait_for_room(2).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "4 of 4 queued: no room for 2");
        rx.try_recv();
        rx.try_recv();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter).await.unwrap().unwrap();
    }
}

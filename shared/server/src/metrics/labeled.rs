//! Counters for a fixed list of label values (frame types, close codes), cheap enough to bump for
//! every frame a socket writes: the value is found through a small hash table made when the hub
//! opens (no search, no allocation), and each thread adds to its own row of atomics, so threads
//! writing to different sockets do not fight over one cache line. A scrape adds the rows up into
//! the exposed counters.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// Most label values a list may have (its `other` included).
const MAX_VALUES: usize = 48;
/// Rows of atomics; threads take one each, in turn.
const ROWS: usize = 8;
/// Slots of the lookup table (a power of two, well above [`MAX_VALUES`]).
const SLOTS: usize = 128;
const EMPTY: u8 = u8::MAX;

/// One thread's counts, on cache lines of its own.
#[repr(align(128))]
struct Row([AtomicU64; MAX_VALUES]);

thread_local! {
    static ROW: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The row of the calling thread.
fn my_row() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    ROW.with(|row| {
        if row.get() == usize::MAX {
            row.set(NEXT.fetch_add(1, Ordering::Relaxed) % ROWS);
        }
        row.get()
    })
}

fn hash(name: &str) -> usize {
    // FNV-1a: a few cycles per byte, and frame types are short.
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    h as usize
}

/// Counters named by one label, for a fixed list of values; others count as `other`.
pub(super) struct Labeled {
    names: &'static [&'static str],
    /// Value index by hash slot.
    slots: [u8; SLOTS],
    rows: Box<[Row]>,
    /// What a scrape shows: each value's counter, then `other`'s.
    exposed: Vec<Counter>,
}

impl Labeled {
    /// Registers the family `name` with a counter per value of `names` and one for `other`.
    pub(super) fn register(
        registry: &mut Registry,
        name: &str,
        help: &str,
        key: &'static str,
        names: &'static [&'static str],
    ) -> Labeled {
        assert!(names.len() < MAX_VALUES, "too many label values for {name}");
        let family = Family::<[(&'static str, &'static str); 1], Counter>::default();
        registry.register(name, help, family.clone());
        let mut exposed: Vec<Counter> =
            names.iter().map(|n| family.get_or_create_owned(&[(key, *n)])).collect();
        exposed.push(family.get_or_create_owned(&[(key, "other")]));
        let mut slots = [EMPTY; SLOTS];
        for (i, n) in names.iter().enumerate() {
            let mut at = hash(n) % SLOTS;
            while slots[at] != EMPTY {
                at = (at + 1) % SLOTS;
            }
            slots[at] = u8::try_from(i).unwrap_or(EMPTY);
        }
        let rows = (0..ROWS).map(|_| Row(std::array::from_fn(|_| AtomicU64::new(0)))).collect();
        Labeled { names, slots, rows, exposed }
    }

    /// The index of `name`'s counter (`other`'s when it is not on the list).
    fn index(&self, name: &str) -> usize {
        let mut at = hash(name) % SLOTS;
        loop {
            match self.slots[at] {
                EMPTY => return self.names.len(),
                i if self.names[usize::from(i)] == name => return usize::from(i),
                _ => at = (at + 1) % SLOTS,
            }
        }
    }

    /// Counts one for `name`.
    pub(super) fn inc(&self, name: &str) {
        self.rows[my_row()].0[self.index(name)].fetch_add(1, Ordering::Relaxed);
    }

    /// Brings the exposed counters up to the rows' totals (callers serialise scrapes).
    pub(super) fn sync(&self) {
        for (i, counter) in self.exposed.iter().enumerate() {
            let total: u64 = self.rows.iter().map(|r| r.0[i].load(Ordering::Relaxed)).sum();
            counter.inc_by(total.saturating_sub(counter.get()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_finds_its_own_counter_from_any_thread() {
        let mut registry = Registry::default();
        let l = std::sync::Arc::new(Labeled::register(
            &mut registry,
            "t",
            "t",
            "type",
            super::super::SERVER_FRAMES,
        ));
        for (i, n) in super::super::SERVER_FRAMES.iter().enumerate() {
            assert_eq!(l.index(n), i, "{n}");
        }
        assert_eq!(l.index("no_such_frame"), super::super::SERVER_FRAMES.len());
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let l = std::sync::Arc::clone(&l);
                std::thread::spawn(move || (0..1000).for_each(|_| l.inc("message")))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        l.inc("brand_new");
        l.sync();
        l.sync();
        let message = super::super::SERVER_FRAMES.iter().position(|n| *n == "message").unwrap();
        assert_eq!(l.exposed[message].get(), 4000);
        assert_eq!(l.exposed.last().unwrap().get(), 1, "other");
    }
}

//! Answers that are expensive to compute and change only when suppliers change, kept in memory
//! and keyed by the data they were computed from.
//!
//! Every write that changes what a search can see (a supplier, its parts, its status, its owners,
//! the certificate expiry job) appends to the change feed in the same transaction, and feed ids
//! are drawn in commit order (see `db::suppliers::insert_event`). So the newest feed id a request
//! sees names exactly the committed writes it can see: an entry computed at or after that id is
//! still right while the newest id is the same (and the date is, since certificates expire by
//! date). The generation is read before the answer is computed, so an entry is never older
//! than its generation. A time limit bounds what a write outside the feed (a bulk seed, a manual
//! fix) could leave stale.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use actix_web::web::Bytes;
use chrono::NaiveDate;

/// What an answer was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation {
    /// The newest change-feed id visible when the computation started.
    pub feed: i64,
    /// The database's date then.
    pub today: NaiveDate,
}

struct Entry {
    generation: Generation,
    at: Instant,
    body: Bytes,
}

/// One slot per key; its async lock makes concurrent misses of one key compute it once.
type Slot = Arc<tokio::sync::Mutex<Option<Entry>>>;

pub struct AnswerCache {
    ttl: Duration,
    capacity: usize,
    slots: Mutex<HashMap<String, Slot>>,
}

impl AnswerCache {
    /// A cache of at most `capacity` keys whose entries live at most `ttl`; a zero `ttl` turns it
    /// off.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity,
            slots: Mutex::new(HashMap::new()),
        }
    }

    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    fn slot(&self, key: &str) -> Slot {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(slot) = slots.get(key) {
            return slot.clone();
        }
        if slots.len() >= self.capacity {
            // Keys are few in practice (the filters people click); when they are not, start over
            // rather than track recency.
            slots.clear();
        }
        slots.entry(key.to_owned()).or_default().clone()
    }

    /// The answer for `key` at `generation`: the stored one while it is current, else the one
    /// `compute` makes (once, however many requests miss together), which is then stored.
    pub async fn get_or_compute<E, F>(
        &self,
        key: &str,
        generation: Generation,
        compute: F,
    ) -> Result<Bytes, E>
    where
        F: AsyncFnOnce() -> Result<Bytes, E>,
    {
        if !self.enabled() {
            return compute().await;
        }
        let slot = self.slot(key);
        let mut entry = slot.lock().await;
        if let Some(e) = entry.as_ref()
            && e.generation == generation
            && e.at.elapsed() < self.ttl
        {
            return Ok(e.body.clone());
        }
        let body = compute().await?;
        *entry = Some(Entry {
            generation,
            at: Instant::now(),
            body: body.clone(),
        });
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generation(feed: i64) -> Generation {
        Generation {
            feed,
            today: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default(),
        }
    }

    #[tokio::test]
    async fn serves_an_entry_until_the_generation_moves() {
        let cache = AnswerCache::new(Duration::from_secs(60), 4);
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let compute = async || -> Result<Bytes, ()> {
            let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(Bytes::from(n.to_string()))
        };
        assert_eq!(
            cache.get_or_compute("k", generation(1), compute).await,
            Ok(Bytes::from("0"))
        );
        assert_eq!(
            cache.get_or_compute("k", generation(1), compute).await,
            Ok(Bytes::from("0"))
        );
        assert_eq!(
            cache.get_or_compute("k", generation(2), compute).await,
            Ok(Bytes::from("1"))
        );
        assert_eq!(
            cache.get_or_compute("j", generation(2), compute).await,
            Ok(Bytes::from("2"))
        );
    }

    #[tokio::test]
    async fn a_zero_ttl_always_computes() {
        let cache = AnswerCache::new(Duration::ZERO, 4);
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let compute = async || -> Result<Bytes, ()> {
            let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(Bytes::from(n.to_string()))
        };
        assert_eq!(
            cache.get_or_compute("k", generation(1), compute).await,
            Ok(Bytes::from("0"))
        );
        assert_eq!(
            cache.get_or_compute("k", generation(1), compute).await,
            Ok(Bytes::from("1"))
        );
    }
}

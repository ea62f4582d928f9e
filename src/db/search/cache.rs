//! Answers that are expensive to compute and change only when suppliers change (the facet
//! counts), kept in memory and keyed by the data they were computed from.
//!
//! Every write that changes what a search can see (a supplier, its parts, its status, its owners,
//! the certificate expiry job) appends to the change feed in the same transaction, and feed ids
//! are drawn in commit order (see `db::suppliers::record`). So the newest feed id a request
//! sees names exactly the committed writes it can see: an entry computed at or after that id is
//! still right while the newest id is the same (and the date is, since certificates expire by
//! date). The generation is part of the key and is read before the answer is computed, so an
//! entry is never older than its generation. The time to live bounds what a write outside the
//! feed (a bulk seed, a manual fix) could leave stale, and how long an old generation's entries
//! take room.

use std::{future::Future, sync::Arc, time::Duration};

use chrono::NaiveDate;

/// What an answer was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Generation {
    /// The newest change-feed id visible when the computation started.
    pub feed: i64,
    /// The database's date then.
    pub today: NaiveDate,
}

/// An answer's body, shared by every request that reads it.
pub type Answer = Arc<[u8]>;

/// Answers by key and generation; concurrent misses of one key compute it once.
pub struct AnswerCache {
    /// None when turned off.
    entries: Option<moka::future::Cache<(String, Generation), Answer>>,
}

impl AnswerCache {
    /// A cache of at most `capacity` answers that each live at most `ttl`; a zero `ttl` turns it
    /// off.
    pub fn new(ttl: Duration, capacity: u64) -> Self {
        let entries = (!ttl.is_zero()).then(|| {
            moka::future::Cache::builder()
                .max_capacity(capacity)
                .time_to_live(ttl)
                .build()
        });
        Self { entries }
    }

    pub fn enabled(&self) -> bool {
        self.entries.is_some()
    }

    /// The answer for `key` at `generation`: the stored one while it lives, else the one
    /// `compute` makes (once, however many requests miss together: they all get its answer, or
    /// its error), which is then stored.
    pub async fn get_or_compute<E, F>(
        &self,
        key: String,
        generation: Generation,
        compute: F,
    ) -> Result<Answer, Arc<E>>
    where
        F: Future<Output = Result<Answer, E>>,
        E: Send + Sync + 'static,
    {
        match &self.entries {
            Some(entries) => entries.try_get_with((key, generation), compute).await,
            None => compute.await.map_err(Arc::new),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn generation(feed: i64) -> Generation {
        Generation {
            feed,
            today: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default(),
        }
    }

    /// Counts its calls; each answer is the number of calls before it.
    async fn count(calls: &AtomicUsize) -> Result<Answer, ()> {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        Ok(Answer::from(n.to_string().as_bytes()))
    }

    async fn get(cache: &AnswerCache, key: &str, feed: i64, calls: &AtomicUsize) -> String {
        let answer = cache
            .get_or_compute(key.to_owned(), generation(feed), count(calls))
            .await
            .unwrap_or_default();
        String::from_utf8_lossy(&answer).into_owned()
    }

    #[tokio::test]
    async fn serves_an_entry_until_the_generation_moves() {
        let cache = AnswerCache::new(Duration::from_secs(60), 4);
        let calls = AtomicUsize::new(0);
        assert_eq!(get(&cache, "k", 1, &calls).await, "0");
        assert_eq!(get(&cache, "k", 1, &calls).await, "0");
        assert_eq!(get(&cache, "k", 2, &calls).await, "1");
        assert_eq!(get(&cache, "j", 2, &calls).await, "2");
    }

    #[tokio::test]
    async fn concurrent_misses_compute_once() {
        let cache = AnswerCache::new(Duration::from_secs(60), 4);
        let calls = AtomicUsize::new(0);
        let (a, b) = tokio::join!(get(&cache, "k", 1, &calls), get(&cache, "k", 1, &calls));
        assert_eq!((a.as_str(), b.as_str()), ("0", "0"));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_error_is_not_kept() {
        let cache = AnswerCache::new(Duration::from_secs(60), 4);
        let failed = cache
            .get_or_compute("k".into(), generation(1), async {
                Err::<Answer, _>("down")
            })
            .await;
        assert_eq!(failed.map_err(|e| *e), Err("down"));
        let calls = AtomicUsize::new(0);
        assert_eq!(get(&cache, "k", 1, &calls).await, "0");
    }

    #[tokio::test]
    async fn a_zero_ttl_always_computes() {
        let cache = AnswerCache::new(Duration::ZERO, 4);
        let calls = AtomicUsize::new(0);
        assert!(!cache.enabled());
        assert_eq!(get(&cache, "k", 1, &calls).await, "0");
        assert_eq!(get(&cache, "k", 1, &calls).await, "1");
    }
}

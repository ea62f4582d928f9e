//! Answers kept by time, for the public statistics: each is fresh for `ttl`; after that, the
//! first request to find it stale computes it again while the others are answered the stale one,
//! so that a recomputation (a second or more at a million suppliers) delays one request, not all
//! those that arrive meanwhile. The first computation of a key is shared by the requests that
//! miss together. An answer is so at most `ttl` plus one computation old.

use std::{
    collections::HashSet,
    future::Future,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use super::cache::Answer;

pub struct KeptAnswers {
    ttl: Duration,
    /// None when turned off (a zero `ttl`).
    entries: Option<moka::future::Cache<String, Arc<(Answer, Instant)>>>,
    /// The keys being computed again.
    refreshing: Mutex<HashSet<String>>,
}

/// Takes a key off the refreshing set however the computation ends (a request may be dropped
/// mid-way when its client leaves).
struct Refresh<'a> {
    set: &'a Mutex<HashSet<String>>,
    key: String,
}

impl Drop for Refresh<'_> {
    fn drop(&mut self) {
        if let Ok(mut set) = self.set.lock() {
            set.remove(&self.key);
        }
    }
}

impl KeptAnswers {
    pub fn new(ttl: Duration, capacity: u64) -> Self {
        let entries = (!ttl.is_zero()).then(|| {
            moka::future::Cache::builder()
                .max_capacity(capacity)
                .build()
        });
        Self {
            ttl,
            entries,
            refreshing: Mutex::new(HashSet::new()),
        }
    }

    /// The answer for `key` (see the module's documentation); `compute` runs only when this
    /// request is the one to compute it.
    pub async fn get_or_compute<E, F>(&self, key: String, compute: F) -> Result<Answer, Arc<E>>
    where
        F: Future<Output = Result<Answer, E>>,
        E: Send + Sync + 'static,
    {
        let Some(entries) = &self.entries else {
            return compute.await.map_err(Arc::new);
        };
        if let Some(kept) = entries.get(&key).await {
            if kept.1.elapsed() < self.ttl {
                return Ok(kept.0.clone());
            }
            let first = self
                .refreshing
                .lock()
                .map(|mut set| set.insert(key.clone()))
                .unwrap_or(false);
            if !first {
                return Ok(kept.0.clone());
            }
            let _refresh = Refresh {
                set: &self.refreshing,
                key: key.clone(),
            };
            return match compute.await {
                Ok(answer) => {
                    entries
                        .insert(key, Arc::new((answer.clone(), Instant::now())))
                        .await;
                    Ok(answer)
                }
                // The stale answer rather than an error: it is what the others get too.
                Err(_) => Ok(kept.0.clone()),
            };
        }
        let fresh = entries
            .try_get_with(key, async {
                compute
                    .await
                    .map(|answer| Arc::new((answer, Instant::now())))
            })
            .await?;
        Ok(fresh.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn answer(text: &str) -> Answer {
        Answer::from(text.as_bytes())
    }

    #[tokio::test]
    async fn a_stale_answer_is_served_while_one_request_computes_it_again() {
        let kept = KeptAnswers::new(Duration::from_millis(50), 16);
        let runs = AtomicUsize::new(0);
        let compute = |text: &'static str| {
            let runs = &runs;
            async move {
                runs.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(30)).await;
                Ok::<_, ()>(answer(text))
            }
        };
        let first = kept.get_or_compute("k".into(), compute("one")).await;
        assert_eq!(first.ok().as_deref(), Some(&b"one"[..]));
        assert_eq!(
            kept.get_or_compute("k".into(), compute("two"))
                .await
                .ok()
                .as_deref(),
            Some(&b"one"[..]),
            "fresh"
        );
        tokio::time::sleep(Duration::from_millis(60)).await;
        // Stale: one request computes, the other is answered the stale one at once.
        let (a, b) = tokio::join!(
            kept.get_or_compute("k".into(), compute("three")),
            kept.get_or_compute("k".into(), compute("four"))
        );
        let mut got = [a.ok(), b.ok()].map(|x| x.map(|v| String::from_utf8_lossy(&v).into_owned()));
        got.sort();
        assert_eq!(got, [Some("one".into()), Some("three".into())]);
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        assert_eq!(
            kept.get_or_compute("k".into(), compute("five"))
                .await
                .ok()
                .as_deref(),
            Some(&b"three"[..])
        );
    }

    #[tokio::test]
    async fn a_failed_recomputation_keeps_the_stale_answer_and_a_zero_ttl_keeps_nothing() {
        let kept = KeptAnswers::new(Duration::from_millis(1), 16);
        let _ = kept
            .get_or_compute("k".into(), async { Ok::<_, ()>(answer("old")) })
            .await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        let stale = kept
            .get_or_compute("k".into(), async { Err::<Answer, ()>(()) })
            .await;
        assert_eq!(stale.ok().as_deref(), Some(&b"old"[..]));
        let off = KeptAnswers::new(Duration::ZERO, 16);
        let _ = off
            .get_or_compute("k".into(), async { Ok::<_, ()>(answer("a")) })
            .await;
        let again = off
            .get_or_compute("k".into(), async { Ok::<_, ()>(answer("b")) })
            .await;
        assert_eq!(again.ok().as_deref(), Some(&b"b"[..]));
    }
}

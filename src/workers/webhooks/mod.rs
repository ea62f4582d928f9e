//! The webhook dispatcher: sends the outbox's due deliveries, signed per Standard Webhooks.
//!
//! Several instances may run it at once: deliveries are leased with `FOR UPDATE SKIP LOCKED`
//! (see `db::webhooks::claim_due`). Delivery is at least once: a worker that dies mid-attempt
//! leaves the delivery to be sent again when its lease ends, with the same `webhook-id`, which
//! receivers dedupe on. A worker that cannot record an answer because the database is away keeps
//! trying while its lease holds, so a database restart does not cause repeats.
//!
//! Every attempt re-checks the target: an IP literal against the address rules, a host name
//! through `resolver::CheckingResolver`, which resolves it, refuses it if any address is not allowed, and
//! hands the connector only the addresses it checked — so DNS rebinding between the check and the
//! connection is not possible. Redirects are not followed (a 3xx is a failed attempt), each attempt
//! has one timeout for the whole exchange, and the receiver's body is never read.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use chrono::Utc;
use futures_util::{StreamExt, stream};
use rand::Rng;
use reqwest::{
    StatusCode,
    header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER, USER_AGENT},
};

mod resolver;

use self::resolver::{CheckingResolver, is_refusal};
pub use self::resolver::{RESOLVE_TIMEOUT, check_target};
use crate::{
    config::Config,
    db::{
        Pool,
        webhooks::{self as store, Attempt, Claimed, Next},
    },
    domain::{event::Event, status::EventType, webhook},
};

/// Deliveries claimed per round, and sent concurrently.
const BATCH: i64 = 32;
pub struct Dispatcher {
    pool: Pool,
    client: reqwest::Client,
    allow_private: bool,
    schedule: Vec<Duration>,
    lease: Duration,
}

impl Dispatcher {
    pub fn new(pool: Pool, config: &Config) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // An egress proxy from the environment would connect to addresses we did not check.
            .no_proxy()
            .dns_resolver(Arc::new(CheckingResolver {
                allow_private: config.webhook_allow_private_targets,
            }))
            .connect_timeout(config.webhook_timeout.min(Duration::from_secs(5)))
            .timeout(config.webhook_timeout)
            .pool_max_idle_per_host(4)
            .build()
            .context("Failed to build the webhook HTTP client")?;
        Ok(Self {
            pool,
            client,
            allow_private: config.webhook_allow_private_targets,
            schedule: config.webhook_retry_schedule.clone(),
            lease: config.webhook_timeout + Duration::from_secs(30),
        })
    }

    async fn claim(&self, limit: i64) -> anyhow::Result<Vec<Claimed>> {
        let mut conn = self.pool.get().await?;
        Ok(store::claim_due(&mut conn, limit, self.lease.as_secs_f64()).await?)
    }

    /// Sends one batch of due deliveries and waits for all of them; how many it claimed.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let claimed = self.claim(BATCH).await?;
        let count = claimed.len();
        let results: Vec<anyhow::Result<()>> = stream::iter(claimed)
            .map(|delivery| self.deliver(delivery))
            .buffer_unordered(BATCH as usize)
            .collect()
            .await;
        for result in results {
            result?;
        }
        Ok(count)
    }

    async fn deliver(&self, delivery: Claimed) -> anyhow::Result<()> {
        let started = Instant::now();
        let (response_status, outcome, retry_after) = self.attempt(&delivery).await;
        let number = delivery.attempts + 1;
        let next = self.next_step(number, outcome, retry_after);
        let duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        tracing::info!(
            delivery = delivery.id,
            webhook = %delivery.webhook_id,
            event = delivery.event_id,
            attempt = number,
            status = response_status,
            outcome,
            duration_ms,
            "webhook attempt"
        );
        let attempt = Attempt {
            delivery: delivery.id,
            webhook: delivery.webhook_id,
            number,
            response_status,
            outcome,
            duration_ms,
        };
        self.record(&attempt, next, started).await
    }

    /// The receiver has answered: if the database is away for a moment (a restart, a failover),
    /// keep trying to record that while the lease holds, rather than leave the delivery to be
    /// sent again when the lease ends. Past the lease another worker may have taken it over, and a
    /// second send (same `webhook-id`) is the lesser harm.
    async fn record(
        &self,
        attempt: &Attempt<'_>,
        next: Next,
        started: Instant,
    ) -> anyhow::Result<()> {
        let deadline = started + self.lease.saturating_sub(Duration::from_secs(10));
        let mut pause = Duration::from_millis(200);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let recorded = tokio::time::timeout(left, async {
                let mut conn = self
                    .pool
                    .get()
                    .await
                    .map_err(|e| Unrecorded::Away(e.into()))?;
                store::record_attempt(&mut conn, attempt, next)
                    .await
                    .map_err(Unrecorded::of)
            })
            .await
            .unwrap_or_else(|_| Err(Unrecorded::Away(anyhow::anyhow!("the lease ran out"))));
            match recorded {
                Ok(()) => return Ok(()),
                Err(Unrecorded::Away(e)) if Instant::now() + pause < deadline => {
                    tracing::warn!(
                        delivery = attempt.delivery,
                        error = %format!("{e:#}"),
                        "could not record a webhook attempt; trying again"
                    );
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                Err(Unrecorded::Away(e) | Unrecorded::Refused(e)) => return Err(e),
            }
        }
    }

    /// One POST: the receiver's status (if it answered), our outcome, and its `Retry-After`.
    async fn attempt(&self, d: &Claimed) -> (Option<i16>, &'static str, Option<Duration>) {
        // IP literals never reach the resolver: check them here, with today's rules.
        if let Err(refusal) = webhook::parse_target(&d.url, self.allow_private) {
            tracing::warn!(
                delivery = d.id,
                reason = refusal.code(),
                "webhook target refused"
            );
            return (None, "refused_address", None);
        }
        let Some(request) = self.signed_request(d) else {
            return (None, "error", None);
        };
        outcome_of(request.send().await)
    }

    /// The POST of the delivery's event, signed now; `None` (logged) if it cannot be made.
    fn signed_request(&self, d: &Claimed) -> Option<reqwest::RequestBuilder> {
        let Some(kind) = EventType::parse(&d.event_type) else {
            tracing::error!(delivery = d.id, "stored event type is unknown");
            return None;
        };
        let event = Event {
            id: d.event_id,
            kind,
            occurred_at: d.occurred_at,
            supplier_id: d.supplier_id,
            data: d.data.clone(),
        };
        let body = serde_json::to_vec(&event).ok()?;
        let message_id = message_id(d.event_id);
        let timestamp = Utc::now().timestamp();
        let Some(signature) = webhook::sign(&d.secret, &message_id, timestamp, &body) else {
            tracing::error!(webhook = %d.webhook_id, "stored webhook secret is malformed");
            return None;
        };
        let request = self
            .client
            .post(&d.url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(
                USER_AGENT,
                HeaderValue::from_static(concat!(
                    "supplier-registry-webhooks/",
                    env!("CARGO_PKG_VERSION")
                )),
            )
            .header("webhook-id", message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body);
        Some(request)
    }

    fn next_step(&self, number: i32, outcome: &str, retry_after: Option<Duration>) -> Next {
        match outcome {
            "success" => Next::Delivered,
            "gone" => Next::Gone,
            _ => {
                let retries_done = usize::try_from(number - 1).unwrap_or(usize::MAX);
                let Some(wait) = self.schedule.get(retries_done) else {
                    return Next::GiveUp;
                };
                let jittered = wait.mul_f64(rand::thread_rng().gen_range(0.8..1.2));
                let wait = retry_after
                    .map(|ra| ra.min(Duration::from_secs(86_400)))
                    .map_or(jittered, |ra| ra.max(jittered));
                let wait = chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(24));
                Next::RetryAt(Utc::now() + wait)
            }
        }
    }
}

/// Why an attempt could not be recorded: the database is away for now (worth trying again), or
/// it refused the record (trying again would not help).
enum Unrecorded {
    Away(anyhow::Error),
    Refused(anyhow::Error),
}

impl Unrecorded {
    fn of(e: diesel::result::Error) -> Self {
        if crate::error::is_retryable(&e) {
            Self::Away(e.into())
        } else {
            Self::Refused(e.into())
        }
    }
}

/// What became of a POST: the receiver's status (if it answered), our outcome, and its
/// `Retry-After`.
fn outcome_of(
    sent: Result<reqwest::Response, reqwest::Error>,
) -> (Option<i16>, &'static str, Option<Duration>) {
    match sent {
        Ok(response) => {
            let status = response.status();
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            // The body is never read: dropping the response closes the exchange.
            drop(response);
            let code = i16::try_from(status.as_u16()).ok();
            if status.is_success() {
                (code, "success", None)
            } else if status == StatusCode::GONE {
                (code, "gone", None)
            } else {
                (code, "http_status", retry_after)
            }
        }
        Err(e) if is_refusal(&e) => (None, "refused_address", None),
        Err(e) if e.is_timeout() => (None, "timeout", None),
        Err(e) if e.is_connect() => (None, "connect", None),
        Err(_) => (None, "error", None),
    }
}

/// The `webhook-id` of an event's deliveries: the same for every attempt.
pub fn message_id(event_id: i64) -> String {
    format!("evt_{event_id}")
}

/// Runs the dispatcher until the process ends. Up to `BATCH` attempts are in flight at once, and
/// a free slot is refilled at once: one slow receiver holds one slot, never a whole round. An idle
/// dispatcher looks for due deliveries every `WEBHOOK_POLL_INTERVAL_MS`.
pub fn spawn(pool: Pool, config: &Config) -> anyhow::Result<()> {
    let dispatcher = Arc::new(Dispatcher::new(pool, config)?);
    let idle = config.webhook_poll_interval;
    let slots = Arc::new(tokio::sync::Semaphore::new(BATCH as usize));
    tokio::spawn(async move {
        loop {
            // Wait for at least one free slot, then claim as many deliveries as there are free.
            let Ok(first) = slots.clone().acquire_owned().await else {
                return;
            };
            let free = slots.available_permits() + 1;
            let claimed = match dispatcher.claim(free as i64).await {
                Ok(claimed) => claimed,
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "webhook dispatch failed; will retry");
                    Vec::new()
                }
            };
            if claimed.is_empty() {
                drop(first);
                tokio::time::sleep(idle).await;
                continue;
            }
            let mut first = Some(first);
            for delivery in claimed {
                let permit = match first.take() {
                    Some(permit) => permit,
                    None => match slots.clone().acquire_owned().await {
                        Ok(permit) => permit,
                        Err(_) => return,
                    },
                };
                let dispatcher = dispatcher.clone();
                tokio::spawn(async move {
                    if let Err(e) = dispatcher.deliver(delivery).await {
                        // The lease runs out and the delivery is tried again.
                        tracing::warn!(error = %format!("{e:#}"), "webhook attempt not recorded");
                    }
                    drop(permit);
                });
            }
        }
    });
    Ok(())
}

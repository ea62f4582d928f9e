//! Rate limiting per caller: the token's subject when a valid bearer token is sent, the peer IP
//! otherwise. `RATE_LIMIT_PER_SECOND` requests per second with a burst of `RATE_LIMIT_BURST`;
//! over it, 429 (made a problem by `http::observe`) with `Retry-After`. `0` turns limits off.
//!
//! Without `REDIS_URL` the request limiter counts per instance, in memory (a keyed GCRA from the
//! `governor` crate, shared by the instance's workers): each instance allows the configured rate.
//! With it, every instance counts in one GCRA per caller in Redis (`shared`), so the limit holds
//! across instances. Failed logins are counted in the database instead (`db::accounts`), so every
//! instance sees them either way.

mod key;
pub mod shared;

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use actix_web::{
    Error,
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    web,
};
use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

pub use key::{caller_key, too_many};
pub use shared::SharedLimiter;

use crate::config::Config;

type LocalLimiter = DefaultKeyedRateLimiter<String>;

/// The limits of one instance, made once at start-up; [`Limits::for_worker`] gives each HTTP
/// worker its part.
#[derive(Clone)]
pub enum Limits {
    Off,
    Local(Arc<LocalLimiter>),
    Shared(Arc<Config>),
}

impl Limits {
    /// Must run inside the runtime: the in-memory limiter's sweeper is a task.
    pub fn new(config: &Config) -> Self {
        let (Some(rate), Some(burst)) = (
            NonZeroU32::new(config.rate_limit_per_second),
            NonZeroU32::new(config.rate_limit_burst),
        ) else {
            return Self::Off;
        };
        if config.redis_url.is_some() {
            return Self::Shared(Arc::new(config.clone()));
        }
        let limiter = Arc::new(RateLimiter::keyed(
            Quota::per_second(rate).allow_burst(burst),
        ));
        sweep(limiter.clone());
        Self::Local(limiter)
    }

    /// The in-memory limiter is one for all workers; a Redis connection is one per worker (its
    /// task lives on the worker's runtime).
    pub fn for_worker(&self) -> web::Data<WorkerLimits> {
        web::Data::new(match self {
            Self::Off => WorkerLimits::Off,
            Self::Local(limiter) => WorkerLimits::Local(limiter.clone()),
            Self::Shared(config) => WorkerLimits::Shared(Box::new(SharedLimiter::new(config))),
        })
    }
}

/// What one worker consults (app data of the worker's `App`).
pub enum WorkerLimits {
    Off,
    Local(Arc<LocalLimiter>),
    Shared(Box<SharedLimiter>),
}

impl WorkerLimits {
    /// How long `caller` must wait, or `None` when the request may go on.
    async fn wait(&self, caller: String) -> Option<Duration> {
        match self {
            Self::Off => None,
            Self::Local(limiter) => limiter
                .check_key(&caller)
                .err()
                .map(|until| until.wait_time_from(DefaultClock::default().now())),
            Self::Shared(limiter) => limiter.check(&caller).await.wait(),
        }
    }
}

/// The middleware: 429 with `Retry-After` when the caller has no request left.
pub async fn limit<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let limits = req.app_data::<web::Data<WorkerLimits>>().cloned();
    if let Some(limits) = limits.filter(|l| !matches!(***l, WorkerLimits::Off))
        && let Some(caller) = caller_key(&req)
        && let Some(wait) = limits.wait(caller).await
    {
        return Ok(req.into_response(too_many(wait)).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// Forgets callers that have been quiet, so the in-memory limiter's memory stays bounded.
fn sweep(limiter: Arc<LocalLimiter>) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(60)).await;
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    });
}

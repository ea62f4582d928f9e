//! Rate limiting per caller: the token's subject when a valid bearer token is sent, the peer IP
//! otherwise. `RATE_LIMIT_PER_SECOND` requests per second with a burst of `RATE_LIMIT_BURST`;
//! over it, 429 (made a problem by `http::observe`) with `Retry-After`. `0` turns limits off.
//!
//! Without `REDIS_URL` the request limiter counts per instance (each instance allows the
//! configured rate, in memory). With it, every instance counts in one GCRA per caller in Redis
//! (`shared`), so the limit holds across instances. Failed logins are counted in the database
//! instead (`db::accounts`), so every instance sees them either way.

mod key;
pub mod shared;

use actix_governor::{GovernorConfig, GovernorConfigBuilder, governor::middleware::NoOpMiddleware};

pub use key::CallerKey;
pub use shared::{SharedLimiter, shared_limit};

use crate::config::Config;

pub type LimiterConfig = GovernorConfig<CallerKey, NoOpMiddleware>;

/// The in-memory limiter's configuration, or `None` when limits are off or shared through Redis.
pub fn config(config: &Config) -> Option<LimiterConfig> {
    if config.rate_limit_per_second == 0 || config.redis_url.is_some() {
        return None;
    }
    GovernorConfigBuilder::default()
        .requests_per_second(u64::from(config.rate_limit_per_second))
        .burst_size(config.rate_limit_burst)
        .key_extractor(CallerKey)
        .finish()
}

/// A configuration for when limits are off (never consulted then).
pub fn disabled_config() -> LimiterConfig {
    GovernorConfigBuilder::default()
        .key_extractor(CallerKey)
        .finish()
        .unwrap_or_else(|| unreachable!("the default quota is valid"))
}

/// Whether requests are limited in Redis (`REDIS_URL` set and limits on).
pub fn shared_enabled(config: &Config) -> bool {
    config.rate_limit_per_second > 0 && config.redis_url.is_some()
}

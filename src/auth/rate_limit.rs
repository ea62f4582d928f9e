//! Rate limiting per caller: the token's subject when a valid bearer token is sent, the peer IP
//! otherwise. `RATE_LIMIT_PER_SECOND` requests per second with a burst of `RATE_LIMIT_BURST`;
//! over it, 429 (made a problem by `http::observe`) with `Retry-After`. `0` turns limits off.
//!
//! The request limiter counts per instance (each instance allows the configured rate). Failed
//! logins are counted in the database instead (`db::accounts`), so every instance sees them.

use actix_governor::governor::{
    NotUntil,
    clock::{Clock, DefaultClock, QuantaInstant},
};
use actix_governor::{
    GovernorConfig, GovernorConfigBuilder, KeyExtractor, PeerIpKeyExtractor,
    SimpleKeyExtractionError, governor::middleware::NoOpMiddleware,
};
use actix_web::{
    HttpMessage, HttpResponse, HttpResponseBuilder, dev::ServiceRequest, http::header, web,
};

use super::{
    principal::{VerifiedClaims, bearer_token},
    verifier::Verifier,
};
use crate::config::Config;

/// Keys requests by verified token subject, or by peer IP.
#[derive(Debug, Clone, Copy)]
pub struct CallerKey;

impl KeyExtractor for CallerKey {
    type Key = String;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, req: &ServiceRequest) -> Result<Self::Key, Self::KeyExtractionError> {
        // Operations endpoints (health, metrics, docs, keys) are never limited.
        if !req.path().starts_with("/v1/") {
            return Ok(EXEMPT.to_owned());
        }
        // The same parsing as the principal extractor; a malformed header is simply not a key.
        let token = bearer_token(req.request()).ok().flatten();
        if let (Some(token), Some(verifier)) = (token, req.app_data::<web::Data<Verifier>>())
            && let Ok(claims) = verifier.verify(token)
        {
            let key = format!("sub:{}", claims.sub);
            // The principal extractor reuses these instead of verifying the signature again.
            req.extensions_mut().insert(VerifiedClaims(claims));
            return Ok(key);
        }
        PeerIpKeyExtractor
            .extract(req)
            .map(|ip| format!("ip:{ip}"))
            .or_else(|_| Ok("ip:unknown".to_owned()))
    }

    /// 429 with `Retry-After` rounded up to whole seconds (never 0, which would say "now").
    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        mut response: HttpResponseBuilder,
    ) -> HttpResponse {
        let wait = negative.wait_time_from(DefaultClock::default().now());
        let seconds = (wait.as_secs_f64().ceil() as u64).max(1);
        response
            .insert_header((header::RETRY_AFTER, seconds))
            .insert_header(("x-ratelimit-after", seconds))
            .finish()
    }

    fn whitelisted_keys(&self) -> Vec<Self::Key> {
        vec![EXEMPT.to_owned()]
    }
}

const EXEMPT: &str = "exempt";

pub type LimiterConfig = GovernorConfig<CallerKey, NoOpMiddleware>;

/// The limiter's configuration, or `None` when limits are off.
pub fn config(config: &Config) -> Option<LimiterConfig> {
    if config.rate_limit_per_second == 0 {
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

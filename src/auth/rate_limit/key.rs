//! Who a request counts against: the verified token subject, or the peer IP; and the 429 that
//! the in-memory limiter answers.

use actix_governor::governor::{
    NotUntil,
    clock::{Clock, DefaultClock, QuantaInstant},
};
use actix_governor::{KeyExtractor, PeerIpKeyExtractor, SimpleKeyExtractionError};
use actix_web::{
    HttpMessage, HttpResponse, HttpResponseBuilder, dev::ServiceRequest, http::header, web,
};

use crate::auth::{
    principal::{VerifiedClaims, bearer_token},
    verifier::Verifier,
};

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
        response: HttpResponseBuilder,
    ) -> HttpResponse {
        let wait = negative.wait_time_from(DefaultClock::default().now());
        too_many(response, wait)
    }

    fn whitelisted_keys(&self) -> Vec<Self::Key> {
        vec![EXEMPT.to_owned()]
    }
}

/// The key of operations endpoints, which are never limited.
pub const EXEMPT: &str = "exempt";

/// 429 with `Retry-After` (and `x-ratelimit-after`) rounded up to whole seconds, never 0 (which
/// would say "now").
pub fn too_many(mut response: HttpResponseBuilder, wait: std::time::Duration) -> HttpResponse {
    let seconds = (wait.as_secs_f64().ceil() as u64).max(1);
    response
        .insert_header((header::RETRY_AFTER, seconds))
        .insert_header(("x-ratelimit-after", seconds))
        .finish()
}

//! Who a request counts against (the verified token subject, or the peer IP), and the 429 that
//! says how long to wait.

use std::time::Duration;

use actix_web::{HttpMessage, HttpResponse, dev::ServiceRequest, http::header, web};

use crate::auth::{
    principal::{VerifiedClaims, bearer_token},
    verifier::Verifier,
};

/// The caller's key, or `None` for operations endpoints (health, metrics, docs, keys), which are
/// never limited. A valid token's claims are kept for the principal extractor, which then does not
/// verify the signature again.
pub fn caller_key(req: &ServiceRequest) -> Option<String> {
    if !req.path().starts_with("/v1/") {
        return None;
    }
    // The same parsing as the principal extractor; a malformed header is simply not a key.
    let token = bearer_token(req.request()).ok().flatten();
    if let (Some(token), Some(verifier)) = (token, req.app_data::<web::Data<Verifier>>())
        && let Ok(claims) = verifier.verify(token)
    {
        let key = format!("sub:{}", claims.sub);
        req.extensions_mut().insert(VerifiedClaims(claims));
        return Some(key);
    }
    Some(crate::auth::client_ip::caller_ip_key(req.request()))
}

/// 429 with `Retry-After` (and `x-ratelimit-after`) rounded up to whole seconds, never 0 (which
/// would say "now"); `http::observe` makes it a problem.
pub fn too_many(wait: Duration) -> HttpResponse {
    let seconds = (wait.as_secs_f64().ceil() as u64).max(1);
    HttpResponse::TooManyRequests()
        .insert_header((header::RETRY_AFTER, seconds))
        .insert_header(("x-ratelimit-after", seconds))
        .finish()
}

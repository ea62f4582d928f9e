//! The outermost middleware: gives each request its id and tracing span, records metrics, writes
//! one log line per request, and makes every error response an RFC 9457 problem with `instance`
//! and `request_id` (actix's own errors included).

use std::time::{Duration, Instant};

use actix_web::{
    HttpMessage,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{CONTENT_TYPE, HeaderValue},
    middleware::Next,
    web,
};
use tracing::Instrument;

use super::{
    metrics::Metrics,
    request_id::{RequestId, X_REQUEST_ID},
};
use crate::error::{ApiError, PROBLEM_JSON, Problem};

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = RequestId::from_headers(req.headers()).unwrap_or_else(RequestId::generate);
    req.extensions_mut().insert(request_id.clone());
    let span = tracing::info_span!(
        "http_request",
        request_id = %request_id,
        method = %req.method(),
        path = %req.path(),
        principal = tracing::field::Empty,
    );

    // Handlers' errors arrive as responses carrying the error. Only a middleware could return
    // `Err`, and none of ours does; actix then answers with the error's own (problem) response.
    // (The request cannot be cloned before routing, so there is none to build a response on.)
    let mut res = match next.call(req).instrument(span.clone()).await {
        Ok(res) => res.map_into_boxed_body(),
        Err(err) => {
            span.in_scope(|| tracing::error!(error = %err, "middleware failed"));
            return Err(err);
        }
    };

    let status = res.status();
    if status.is_client_error() || status.is_server_error() {
        res = into_problem(res, &request_id, &span);
    }
    res.headers_mut()
        .insert(X_REQUEST_ID, request_id.header_value());

    record(&res, started.elapsed(), &span);
    Ok(res)
}

/// Counts the request in the metrics (the app's own, when registered) and writes its log line.
fn record(res: &ServiceResponse<BoxBody>, elapsed: Duration, span: &tracing::Span) {
    let status = res.status().as_u16();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    if let Some(metrics) = res.request().app_data::<web::Data<Metrics>>() {
        metrics.observe(res.request().method().as_str(), &route, status, elapsed);
    }
    span.in_scope(|| {
        tracing::info!(
            status,
            route = %route,
            elapsed_ms = elapsed.as_secs_f64() * 1000.0,
            "request finished"
        );
    });
}

/// Rewrites an error response as a problem. Responses that are already JSON and carry no error
/// (the OAuth token endpoint's RFC 6749 errors) are left as they are.
fn into_problem(
    res: ServiceResponse<BoxBody>,
    request_id: &RequestId,
    span: &tracing::Span,
) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let error = res.response().error();
    if status.is_server_error()
        && let Some(e) = error
    {
        span.in_scope(|| tracing::error!(error = %format!("{e:#}"), "request failed"));
    }
    // The OAuth endpoints answer every error in RFC 6749 form (`{ error, error_description }`).
    let oauth_endpoint = res.request().path().starts_with("/v1/auth/")
        && res.request().match_pattern().is_some()
        && !matches!(status.as_u16(), 404 | 405);
    if oauth_endpoint {
        return if is_json(&res) && error.is_none() {
            res
        } else {
            into_oauth_error(res)
        };
    }
    let mut problem = match error.and_then(|e| e.as_error::<ApiError>()) {
        Some(api_error) => {
            if status.is_server_error() {
                span.in_scope(
                    || tracing::error!(error = %format!("{api_error:#}"), "request failed"),
                );
            }
            api_error.problem()
        }
        None => {
            if error.is_none() && is_json(&res) {
                return res;
            }
            if let Some(e) = error.filter(|_| status.is_server_error()) {
                span.in_scope(|| tracing::error!(error = %e, "request failed"));
            }
            Problem::for_status(status)
        }
    };
    problem.instance = Some(res.request().path().to_owned());
    problem.request_id = Some(request_id.to_string());
    let body = problem.to_body();
    res.map_body(|head, _| {
        head.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        BoxBody::new(body)
    })
}

fn into_oauth_error(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let (error, description) = match status.as_u16() {
        401 => ("invalid_client", "Client authentication failed."),
        413 => ("invalid_request", "The request body is too large."),
        429 => (
            "temporarily_unavailable",
            "Too many requests; retry after `Retry-After` seconds.",
        ),
        503 => (
            "temporarily_unavailable",
            "The service is unavailable; retry after `Retry-After` seconds.",
        ),
        s if s >= 500 => ("server_error", "An internal error occurred."),
        _ => ("invalid_request", "The request was not accepted."),
    };
    let body = serde_json::json!({ "error": error, "error_description": description }).to_string();
    res.map_body(|head, _| {
        head.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        BoxBody::new(body)
    })
}

fn is_json(res: &ServiceResponse<BoxBody>) -> bool {
    res.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with(PROBLEM_JSON))
}

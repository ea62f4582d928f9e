//! The kept answers of the public statistics (see the module above) and the checks their
//! queries share.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::Utc;
use diesel_async::AsyncPgConnection;
use serde::Serialize;

use crate::{
    db::search::Answer,
    domain::codes::is_country,
    error::ApiError,
    state::{AppState, ReadKind},
};

/// Answers the statistic `key` (its query, normalised) from the kept answers, or computes it with
/// `compute` on a connection of its own — once, however many requests miss together.
pub(super) async fn kept<T: Serialize>(
    req: &HttpRequest,
    state: &AppState,
    key: String,
    compute: impl AsyncFnOnce(&mut AsyncPgConnection) -> Result<T, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let work = async {
        let source = state.read_source(req).await;
        let (source, mut conn) = state.read_conn(source, ReadKind::Plain).await?;
        let answer = compute(&mut conn)
            .await
            .map_err(|e| state.read_failed(source, e))?;
        serde_json::to_vec(&answer)
            .map(Answer::from)
            .map_err(|e| ApiError::Internal(e.into()))
    };
    // Time, not the change feed, bounds how old a statistic is: the feed moves with every write.
    // The date is part of the key: certificates expire by date.
    let key = format!("{key} {}", Utc::now().date_naive());
    let body = state
        .stats_cache
        .get_or_compute(key, work)
        .await
        .map_err(ApiError::from_shared)?;
    let max_age = state.config.stats_cache_ttl.as_secs();
    Ok(HttpResponse::Ok()
        .content_type(mime::APPLICATION_JSON)
        .insert_header((header::VARY, "Accept-Language"))
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={max_age}")))
        .body(web::Bytes::from_owner(body)))
}

/// Checks an optional `country` query parameter.
pub(super) fn check_country(country: Option<&str>) -> Result<(), ApiError> {
    match country {
        Some(c) if !is_country(c) => Err(ApiError::bad_request(
            "country",
            "country",
            "is not an ISO 3166-1 alpha-2 code (like MX)",
        )),
        _ => Ok(()),
    }
}

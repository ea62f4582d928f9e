//! Operations endpoints: liveness, readiness, Prometheus metrics and the OpenAPI document.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    db::{self, Readiness},
    error::{ApiError, Problem},
    http::metrics::PoolUse,
    state::AppState,
};

/// The answer of `/healthz` and `/readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusResponse {
    /// `ok` for liveness, `ready` for readiness.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness: the process is up and answering.
///
/// It does not touch the database, so it stays 200 while PostgreSQL is down (use `/readyz` to
/// take an instance out of a load balancer).
#[utoipa::path(
    operation_id = "ops_healthz",
    tag = "ops",
    responses((status = 200, description = "The process is up.", body = StatusResponse))
)]
#[get("/healthz")]
pub async fn healthz() -> web::Json<StatusResponse> {
    web::Json(StatusResponse { status: "ok" })
}

/// Readiness: the database answers and every migration is applied.
///
/// Answers 503 within a second when the database is down, and 200 again as soon as it is back,
/// without a restart.
#[utoipa::path(
    operation_id = "ops_readyz",
    tag = "ops",
    responses(
        (status = 200, description = "Ready to serve requests.", body = StatusResponse),
        (status = 503, description = "The database is unreachable or migrations are pending (problem+json, `Retry-After`).",
            body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u32, description = "Seconds to wait before asking again")))
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<StatusResponse>, ApiError> {
    let check = async {
        let mut conn = state.pool.get().await?;
        Ok::<_, ApiError>(db::readiness(&mut conn).await?)
    };
    match tokio::time::timeout(db::READINESS_TIMEOUT, check).await {
        Ok(Ok(Readiness::Ready)) => Ok(web::Json(StatusResponse { status: "ready" })),
        Ok(Ok(Readiness::MigrationsPending(n))) => Err(ApiError::Unavailable(format!(
            "{n} database migration(s) are not applied yet."
        ))),
        Ok(Err(ApiError::Unavailable(detail))) => Err(ApiError::Unavailable(detail)),
        Ok(Err(e)) => {
            tracing::warn!(error = %format!("{e:#}"), "readiness check failed");
            Err(ApiError::Unavailable(
                "The database is not answering.".into(),
            ))
        }
        Err(_) => Err(ApiError::Unavailable(
            "The database did not answer in time.".into(),
        )),
    }
}

/// Prometheus metrics.
///
/// The text exposition format: `http_requests_total` and
/// `http_request_duration_seconds` by method, route and status; `db_pool_*` for each pool
/// (`pool` = `main`, `search_generic`, `search_custom`, `export`, and with `DATABASE_READ_URL`
/// `replica`, `replica_search_generic`, `replica_search_custom`, `replica_export`).
#[utoipa::path(
    operation_id = "ops_metrics",
    tag = "ops",
    responses((status = 200, description = "Metrics in the Prometheus text format.",
        body = String, content_type = "text/plain; version=0.0.4"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let use_of = |pool: &crate::db::Pool| {
        let status = pool.status();
        PoolUse {
            max_size: status.max_size,
            in_use: status.size.saturating_sub(status.available),
            idle: status.available,
            waiting: status.waiting,
        }
    };
    let mut pools = vec![
        ("main", use_of(&state.pool)),
        ("search_generic", use_of(&state.search_pools.generic)),
        ("search_custom", use_of(&state.search_pools.custom)),
        ("export", use_of(&state.exports.pool)),
    ];
    if let Some(replica) = &state.replica {
        pools.extend([
            ("replica", use_of(&replica.pool)),
            ("replica_search_generic", use_of(&replica.search.generic)),
            ("replica_search_custom", use_of(&replica.search.custom)),
            ("replica_export", use_of(&replica.export)),
        ]);
    }
    let text = state.metrics.render(&pools);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text)
}

/// This OpenAPI 3.1 document.
///
/// Interactive documentation that needs no internet is at `/docs/`. Generate a client from it:
/// `openapi-python-client generate --url <base>/openapi.json` or
/// `npx openapi-typescript <base>/openapi.json -o schema.d.ts`.
#[utoipa::path(
    operation_id = "ops_openapi",
    tag = "ops",
    responses((status = 200, description = "The OpenAPI 3.1 document.", body = OpenApiDocument))
)]
#[get("/openapi.json")]
pub async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(state.openapi_json.clone())
}

/// An OpenAPI 3.1 document (this one).
// For the OpenAPI document only: `openapi_json` serves the document as text.
#[derive(ToSchema)]
#[schema(example = json!({ "openapi": "3.1.0", "info": { "title": "supplier-registry", "version": "0.1.0" }, "paths": {} }))]
#[allow(dead_code)]
pub struct OpenApiDocument(std::collections::BTreeMap<String, serde_json::Value>);

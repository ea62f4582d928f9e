//! A webhook endpoint's delivery log: `GET /v1/webhooks/{id}/deliveries`, each delivery with
//! every attempt.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    auth::{Principal, Scope},
    db::webhooks::{self as store, AttemptRow, DeliveryRow},
    domain::status::EventType,
    error::ApiError,
    http::pagination::{ApiQuery, Page, PageParams, page},
    routes::events::stored_event_type,
    state::AppState,
    workers::webhooks::message_id,
};

/// One attempt to deliver.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryAttempt {
    pub attempted_at: DateTime<Utc>,
    /// The receiver's status code, when it answered (its body is never kept).
    pub response_status: Option<i16>,
    /// `success`, `http_status` (a non-2xx answer, redirects included), `gone` (410),
    /// `timeout`, `connect`, `refused_address` (the target now resolves to an address webhooks may
    /// not call) or `error`.
    #[schema(example = "http_status")]
    pub outcome: String,
    pub duration_ms: i32,
}

/// The delivery of one event to one endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    /// The `webhook-id` header of every attempt (receivers dedupe on it).
    #[schema(example = "evt_1042")]
    pub message_id: String,
    pub event_id: i64,
    #[schema(example = "supplier.updated")]
    pub event_type: EventType,
    /// `pending`, `delivered` or `failed`.
    #[schema(example = "delivered")]
    pub status: String,
    /// When the next attempt is due (pending deliveries only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// When it was delivered or given up.
    pub finished_at: Option<DateTime<Utc>>,
    /// Every attempt, oldest first.
    pub attempts: Vec<DeliveryAttempt>,
}

fn delivery(row: DeliveryRow, event_type: EventType, attempts: &[AttemptRow]) -> Delivery {
    Delivery {
        message_id: message_id(row.event_id),
        event_id: row.event_id,
        event_type,
        next_attempt_at: (row.status == "pending").then_some(row.next_attempt_at),
        status: row.status,
        created_at: row.created_at,
        finished_at: row.finished_at,
        attempts: attempts
            .iter()
            .filter(|a| a.delivery_id == row.id)
            .map(|a| DeliveryAttempt {
                attempted_at: a.attempted_at,
                response_status: a.response_status,
                outcome: a.outcome.clone(),
                duration_ms: a.duration_ms,
            })
            .collect(),
    }
}

/// The 404 of every `/v1/webhooks/{id}` route.
pub(super) fn not_found() -> ApiError {
    ApiError::NotFound("No such webhook.".into())
}

/// `status`, `limit` and `cursor`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    /// Only deliveries in this state: `pending`, `delivered` or `failed`.
    pub status: Option<String>,
    /// How many items to return (1 to 100; default 20).
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A webhook endpoint's deliveries.
///
/// Newest first, each with every attempt (time, the receiver's status code, outcome, duration).
#[utoipa::path(
    operation_id = "webhooks_deliveries",
    tag = "integration",
    params(("id" = Uuid, Path, description = "The endpoint's id"), DeliveriesQuery),
    responses((status = 200, description = "A page of deliveries.", body = Page<Delivery>)),
    security(("bearer" = ["agency", "admin"]), ("oauth2" = ["read"]))
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: ApiQuery<DeliveriesQuery>,
) -> Result<web::Json<Page<Delivery>>, ApiError> {
    let owner = principal.agency_or_admin(Scope::Read)?;
    let DeliveriesQuery {
        status,
        limit,
        cursor,
    } = query.0;
    check_status(status.as_deref())?;
    let params = PageParams { limit, cursor };
    let limit = params.limit()?;
    let before: Option<i64> = params.after(&state.digest_key, "webhook-deliveries")?;
    let mut conn = state.pool.get().await?;
    store::find(&mut conn, *id, owner)
        .await?
        .ok_or_else(not_found)?;
    let rows = store::deliveries(&mut conn, *id, status.as_deref(), before, limit + 1)
        .await?
        .into_iter()
        .map(|(d, kind)| Ok((d, stored_event_type(&kind)?)))
        .collect::<Result<Vec<_>, ApiError>>()?;
    let ids: Vec<i64> = rows.iter().map(|(d, _)| d.id).collect();
    let attempts = store::attempts_of(&mut conn, &ids).await?;
    Ok(web::Json(page(
        rows,
        limit,
        &state.digest_key,
        "webhook-deliveries",
        |(d, _)| d.id,
        |(d, kind)| delivery(d, kind, &attempts),
    )))
}

fn check_status(status: Option<&str>) -> Result<(), ApiError> {
    match status {
        Some(status) if !["pending", "delivered", "failed"].contains(&status) => Err(
            ApiError::bad_request("status", "invalid", "must be pending, delivered or failed"),
        ),
        _ => Ok(()),
    }
}

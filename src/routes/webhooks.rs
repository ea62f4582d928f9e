//! Webhook endpoints: `/v1/webhooks` (agencies and admins). An agency sees and deletes its own
//! endpoints; an admin, every endpoint. Deliveries are made by `workers::webhooks`.

use actix_web::{HttpResponse, delete, get, http::header, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    auth::{Principal, Scope},
    db::{
        accounts::flatten,
        webhooks::{self as store, AttemptRow, DeliveryRow, NewWebhookRow, WebhookRow},
    },
    domain::webhook::{EVENT_TYPES, new_secret},
    error::{ApiError, FieldError},
    http::{
        JsonBody,
        pagination::{ApiQuery, Page, PageParams, page},
    },
    state::AppState,
    workers::webhooks::{check_target, message_id},
};

/// A webhook endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct Webhook {
    pub id: Uuid,
    #[schema(example = "https://agency.example/hooks/registry")]
    pub url: String,
    /// The event types it receives.
    #[schema(example = json!(["supplier.created", "supplier.status_changed"]))]
    pub events: Vec<String>,
    /// `active`; `failing` once a delivery has used up its retries (back to `active` on the next
    /// success); `disabled` after the receiver answered 410 Gone (nothing more is sent).
    #[schema(example = "active")]
    pub status: String,
    pub created_at: DateTime<Utc>,
}

impl From<WebhookRow> for Webhook {
    fn from(row: WebhookRow) -> Self {
        Self {
            id: row.id,
            url: row.url,
            events: flatten(row.events),
            status: row.status,
            created_at: row.created_at,
        }
    }
}

/// A new endpoint with its signing secret (shown only here). No `Debug`: it holds the secret.
#[derive(Serialize, ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// The signing secret, `whsec_` + base64 of 32 random bytes: shown once, store it now.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwc3NhbXBsZQ==")]
    pub secret: String,
}

/// A new webhook endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// An http(s) URL whose host resolves to public addresses only (loopback and private ones
    /// only if the operator allows them; link-local never).
    #[schema(example = "https://agency.example/hooks/registry", max_length = 2000)]
    pub url: String,
    /// Event types to receive: `supplier.created`, `supplier.updated`,
    /// `supplier.status_changed`, `supplier.archived`.
    #[schema(example = json!(["supplier.created", "supplier.status_changed"]), min_items = 1)]
    pub events: Vec<String>,
}

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
    pub event_type: String,
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

fn delivery(row: DeliveryRow, event_type: String, attempts: &[AttemptRow]) -> Delivery {
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

fn not_found() -> ApiError {
    ApiError::NotFound("No such webhook.".into())
}

/// Register a webhook endpoint.
///
/// Agencies and admins. The URL is checked now (scheme, port, user info, and every address its
/// host resolves to) and again at each delivery. The answer carries the signing `secret`, never
/// shown again. Deliveries are `POST`s of one event (the change feed's `Event`) signed per
/// Standard Webhooks: `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64
/// HMAC-SHA256 of "id.timestamp.body" keyed with the secret's base64-decoded bytes>`. The first
/// attempt follows the commit within seconds; failures (non-2xx, redirects, timeouts) are retried
/// with exponential backoff and jitter for about 3 days, then the delivery fails and the endpoint
/// is marked `failing`. A 410 answer disables the endpoint.
#[utoipa::path(
    operation_id = "webhooks_create",
    tag = "integration",
    request_body = CreateWebhookRequest,
    responses(
        (status = 201, description = "Registered; the secret is in this answer only.", body = CreatedWebhook,
            headers(("Location" = String, description = "/v1/webhooks/{id}")))
    ),
    security(("bearer" = ["agency", "admin"]))
)]
#[post("/webhooks")]
pub async fn create_webhook(
    principal: Principal,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    principal.agency_or_admin(Scope::Write)?;
    let req: CreateWebhookRequest = body.parse()?;
    let mut errors = Vec::new();
    if req.url.len() > 2000 {
        errors.push(FieldError::new(
            "url",
            "too_long",
            "must be at most 2000 characters",
        ));
    }
    let mut events: Vec<String> = Vec::new();
    if req.events.is_empty() {
        errors.push(FieldError::new(
            "events",
            "required",
            "must name at least one event type",
        ));
    }
    for (i, kind) in req.events.iter().enumerate() {
        if !EVENT_TYPES.contains(&kind.as_str()) {
            errors.push(FieldError::new(
                format!("events[{i}]"),
                "unknown_event_type",
                format!("must be one of {}", EVENT_TYPES.join(", ")),
            ));
        } else if !events.contains(kind) {
            events.push(kind.clone());
        }
    }
    let url = match check_target(&req.url, state.config.webhook_allow_private_targets).await {
        Ok(url) => Some(url),
        Err(refusal) => {
            errors.push(FieldError::new("url", refusal.code(), refusal.message()));
            None
        }
    };
    // Normalising (percent-encoding) can lengthen a URL: the stored form is what must fit.
    if url.as_ref().is_some_and(|u| u.as_str().len() > 2000) && req.url.len() <= 2000 {
        errors.push(FieldError::new(
            "url",
            "too_long",
            "must be at most 2000 characters",
        ));
    }
    let Some(url) = url.filter(|_| errors.is_empty()) else {
        return Err(ApiError::unprocessable(errors));
    };
    let secret = new_secret();
    let mut conn = state.pool.get().await?;
    let row = store::insert(
        &mut conn,
        &NewWebhookRow {
            id: Uuid::now_v7(),
            url: url.as_str(),
            events: &events,
            secret: &secret,
            owner_kind: principal.kind.as_str(),
            owner_id: principal.id,
        },
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/v1/webhooks/{}", row.id)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CreatedWebhook {
            webhook: row.into(),
            secret,
        }))
}

/// List webhook endpoints.
///
/// Agencies see their own; admins see all. In creation order.
#[utoipa::path(
    operation_id = "webhooks_list",
    tag = "integration",
    params(PageParams),
    responses((status = 200, description = "A page of endpoints.", body = Page<Webhook>)),
    security(("bearer" = ["agency", "admin"]))
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    principal: Principal,
    state: web::Data<AppState>,
    query: ApiQuery<PageParams>,
) -> Result<web::Json<Page<Webhook>>, ApiError> {
    let owner = principal.agency_or_admin(Scope::Read)?;
    let limit = query.0.limit()?;
    let after: Option<Uuid> = query.0.after(&state.digest_key, "webhooks")?;
    let mut conn = state.pool.get().await?;
    let rows = store::list(&mut conn, owner, after, limit + 1).await?;
    Ok(web::Json(page(
        rows,
        limit,
        &state.digest_key,
        "webhooks",
        |r| r.id,
        Webhook::from,
    )))
}

/// Get a webhook endpoint.
#[utoipa::path(
    operation_id = "webhooks_get",
    tag = "integration",
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses((status = 200, description = "The endpoint.", body = Webhook)),
    security(("bearer" = ["agency", "admin"]))
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<Webhook>, ApiError> {
    let owner = principal.agency_or_admin(Scope::Read)?;
    let mut conn = state.pool.get().await?;
    let row = store::find(&mut conn, *id, owner)
        .await?
        .ok_or_else(not_found)?;
    Ok(web::Json(row.into()))
}

/// Delete a webhook endpoint.
///
/// Nothing more is sent to it, pending deliveries included; its delivery log goes with it.
#[utoipa::path(
    operation_id = "webhooks_delete",
    tag = "integration",
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses((status = 204, description = "Deleted.")),
    security(("bearer" = ["agency", "admin"]))
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let owner = principal.agency_or_admin(Scope::Write)?;
    let mut conn = state.pool.get().await?;
    if store::delete(&mut conn, *id, owner).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(not_found())
    }
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
    security(("bearer" = ["agency", "admin"]))
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
    if let Some(status) = &status
        && !["pending", "delivered", "failed"].contains(&status.as_str())
    {
        return Err(ApiError::bad_request(
            "status",
            "invalid",
            "must be pending, delivered or failed",
        ));
    }
    let params = PageParams { limit, cursor };
    let limit = params.limit()?;
    let before: Option<i64> = params.after(&state.digest_key, "webhook-deliveries")?;
    let mut conn = state.pool.get().await?;
    store::find(&mut conn, *id, owner)
        .await?
        .ok_or_else(not_found)?;
    let rows = store::deliveries(&mut conn, *id, status.as_deref(), before, limit + 1).await?;
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

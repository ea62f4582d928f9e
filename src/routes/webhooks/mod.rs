//! Webhook endpoints: `/v1/webhooks` (agencies and admins). An agency sees and deletes its own
//! endpoints; an admin, every endpoint. Deliveries are made by `workers::webhooks`.

use actix_web::{HttpResponse, delete, get, http::header, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

mod deliveries;

use self::deliveries::not_found;
pub use self::deliveries::*;
use crate::{
    auth::{Principal, Scope},
    db::{
        accounts::flatten,
        webhooks::{self as store, NewWebhookRow, WebhookRow},
    },
    domain::{status::EventType, webhook::new_secret},
    error::{ApiError, FieldError},
    http::{
        JsonBody,
        pagination::{ApiQuery, Page, PageParams, page},
    },
    state::AppState,
    workers::webhooks::check_target,
};

/// A webhook endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct Webhook {
    pub id: Uuid,
    #[schema(example = "https://192.0.2.10/hooks/registry")]
    pub url: String,
    /// The event types it receives.
    #[schema(example = json!(["supplier.created", "supplier.status_changed"]))]
    pub events: Vec<EventType>,
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
            // A check constraint keeps the stored names to ours.
            events: flatten(row.events)
                .iter()
                .filter_map(|e| EventType::parse(e))
                .collect(),
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
    #[schema(example = "https://192.0.2.10/hooks/registry", max_length = 2000)]
    pub url: String,
    /// Event types to receive (an unknown one is a 422 naming its index).
    #[schema(value_type = Vec<EventType>, example = json!(["supplier.created", "supplier.status_changed"]), min_items = 1)]
    pub events: Vec<String>,
}

impl CreateWebhookRequest {
    /// The target URL (as it will be stored) and the event types without repeats; every fault
    /// at once.
    async fn checked(&self, allow_private: bool) -> Result<(url::Url, Vec<EventType>), ApiError> {
        let mut errors = Vec::new();
        if self.url.len() > MAX_URL_CHARS {
            errors.push(url_too_long());
        }
        let events = event_types(&self.events, &mut errors);
        let url = match check_target(&self.url, allow_private).await {
            Ok(url) => Some(url),
            Err(refusal) => {
                errors.push(FieldError::new("url", refusal.code(), refusal.message()));
                None
            }
        };
        // Normalising (percent-encoding) can lengthen a URL: the stored form is what must fit.
        if url
            .as_ref()
            .is_some_and(|u| u.as_str().len() > MAX_URL_CHARS)
            && self.url.len() <= MAX_URL_CHARS
        {
            errors.push(url_too_long());
        }
        match url.filter(|_| errors.is_empty()) {
            Some(url) => Ok((url, events)),
            None => Err(ApiError::unprocessable(errors)),
        }
    }
}

const MAX_URL_CHARS: usize = 2000;

fn url_too_long() -> FieldError {
    FieldError::new("url", "too_long", "must be at most 2000 characters")
}

/// The named event types, each once, in the order first named.
fn event_types(names: &[String], errors: &mut Vec<FieldError>) -> Vec<EventType> {
    if names.is_empty() {
        errors.push(FieldError::new(
            "events",
            "required",
            "must name at least one event type",
        ));
    }
    let mut events = Vec::new();
    for (i, name) in names.iter().enumerate() {
        match EventType::parse(name) {
            None => errors.push(FieldError::new(
                format!("events[{i}]"),
                "unknown_event_type",
                format!(
                    "must be one of {}",
                    EventType::ALL.map(EventType::as_str).join(", ")
                ),
            )),
            Some(kind) if !events.contains(&kind) => events.push(kind),
            Some(_) => {}
        }
    }
    events
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
    security(("bearer" = ["agency", "admin"]), ("oauth2" = ["write"]))
)]
#[post("/webhooks")]
pub async fn create_webhook(
    principal: Principal,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    principal.agency_or_admin(Scope::Write)?;
    let req: CreateWebhookRequest = body.parse()?;
    let allow_private = state.config.webhook_allow_private_targets;
    let (url, events) = req.checked(allow_private).await?;
    let events: Vec<String> = events.iter().map(|e| e.as_str().to_owned()).collect();
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
    security(("bearer" = ["agency", "admin"]), ("oauth2" = ["read"]))
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
///
/// Its URL, event types and delivery status (the signing secret is shown only at creation).
#[utoipa::path(
    operation_id = "webhooks_get",
    tag = "integration",
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses((status = 200, description = "The endpoint.", body = Webhook)),
    security(("bearer" = ["agency", "admin"]), ("oauth2" = ["read"]))
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
    security(("bearer" = ["agency", "admin"]), ("oauth2" = ["write"]))
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

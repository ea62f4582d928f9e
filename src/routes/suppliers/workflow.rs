//! The verification workflow: `submit` (owners) takes a draft or rejected profile to `pending`;
//! agencies (in their countries) and admins `verify` or `reject` (with a reason) it, and
//! `suspend` (with a reason) and `reinstate` a verified one. A transition from any other state is
//! 409 naming the current state. The supplier row is locked for the transition, so two concurrent
//! transitions cannot both win.

use actix_web::{HttpResponse, post, web};
use chrono::Utc;
use diesel_async::AsyncConnection;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    rules::write_failed,
    view::{
        SupplierDocument, actor, check_agency_country, is_owner, not_found, ok_with_etag, reread,
        view_of,
    },
};
use crate::{
    auth::{Principal, Role, Scope},
    db::suppliers::{self as store, Author, RowWrite, StatusColumns, SupplierChange},
    domain::{
        FieldError,
        status::{EventType, SupplierStatus, Transition},
    },
    error::ApiError,
    http::{JsonBody, RequestId, etag::OptionalIfMatch},
    state::AppState,
};

/// Why a supplier is rejected or suspended.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// Shown to the supplier as `status_reason`.
    #[schema(
        min_length = 1,
        max_length = 1000,
        example = "The tax certificate does not match the legal name."
    )]
    pub reason: String,
}

/// Who may make `transition` on `record` (the row is already read): 404 for a supplier the caller
/// cannot see, 403 for one it may not act on.
fn authorize(
    principal: &Principal,
    transition: Transition,
    record: &store::SupplierRecord,
) -> Result<(), ApiError> {
    view_of(Some(principal), record).ok_or_else(not_found)?;
    match (transition, principal.role) {
        (_, Role::Admin) => Ok(()),
        (Transition::Submit, Role::Supplier) if is_owner(principal, record) => Ok(()),
        (Transition::Submit, _) => Err(ApiError::forbidden(
            "Only an owner submits a supplier for verification.",
        )),
        (_, Role::Agency) => check_agency_country(principal, &record.country),
        _ => Err(ApiError::forbidden(
            "Only agencies and admins decide on verification.",
        )),
    }
}

fn reason_of(transition: Transition, body: &JsonBody) -> Result<Option<String>, ApiError> {
    if !transition.needs_reason() {
        return Ok(None);
    }
    if body.is_empty() {
        return Err(ApiError::unprocessable(vec![FieldError::new(
            "reason",
            "required",
            "is required",
        )]));
    }
    let ReasonRequest { reason } = body.parse()?;
    let chars = reason.chars().count();
    if reason.trim().is_empty() || chars > 1000 {
        return Err(ApiError::unprocessable(vec![FieldError::new(
            "reason",
            "length",
            "must be 1 to 1000 characters, not blank",
        )]));
    }
    Ok(Some(reason))
}

/// One transition, for the handlers below: roles and scope, then, on the locked row, who may act,
/// the reason, `If-Match` and the state it leaves from.
async fn transition(
    transition: Transition,
    principal: Principal,
    state: web::Data<AppState>,
    request_id: RequestId,
    id: Uuid,
    if_match: OptionalIfMatch,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let (roles, scope): (&[Role], Scope) = match transition {
        Transition::Submit => (&[Role::Supplier, Role::Admin], Scope::Write),
        _ => (&[Role::Agency, Role::Admin], Scope::Verify),
    };
    principal.require_role(roles)?;
    principal.require_scope(scope)?;
    let mut conn = state.pool.get().await?;
    let doc = conn
        .transaction(async |conn| -> Result<SupplierDocument, ApiError> {
            let record = store::find_record(conn, id, true)
                .await?
                .ok_or_else(not_found)?;
            authorize(&principal, transition, &record)?;
            let reason = reason_of(transition, &body)?;
            if let Some(tag) = &if_match.0 {
                tag.check(record.version)?;
            }
            let change = moved(transition, &record, reason.as_deref())?;
            let author = Author {
                actor: &actor(&principal),
                request_id: Some(request_id.as_str()),
            };
            store::record(conn, author, change)
                .await
                .map_err(write_failed)?;
            reread(conn, id).await
        })
        .await?;
    Ok(ok_with_etag(&doc))
}

/// The change `transition` makes to `record`, or 409 naming its state when it cannot start there.
fn moved<'a>(
    transition: Transition,
    record: &store::SupplierRecord,
    reason: Option<&'a str>,
) -> Result<SupplierChange<'a>, ApiError> {
    let from = record.status;
    let Some(to) = transition.apply(from) else {
        let allowed: Vec<String> = transition.from().iter().map(|s| format!("`{s}`")).collect();
        return Err(ApiError::conflict(format!(
            "Cannot {} a supplier that is `{from}`; it must be {}.",
            transition.name(),
            allowed.join(" or ")
        )));
    };
    let verified_at = match to {
        SupplierStatus::Verified => Some(Utc::now()),
        _ => record.verified_at,
    };
    let mut audit = json!({ "status": [from, to] });
    if record.status_reason.as_deref() != reason {
        audit["status_reason"] = json!([record.status_reason, reason]);
    }
    if verified_at != record.verified_at {
        audit["verified_at"] = json!([record.verified_at, verified_at]);
    }
    let version = record.version + 1;
    Ok(SupplierChange {
        supplier: record.id,
        version,
        write: RowWrite::Status(StatusColumns {
            status: to,
            reason,
            verified_at,
        }),
        action: transition.name(),
        audit,
        event: EventType::SupplierStatusChanged,
        data: json!({ "version": version, "from": from, "to": to, "reason": reason }),
    })
}

/// Submit for verification.
///
/// Owners (and admins): `draft` or `rejected` → `pending`. No body.
#[utoipa::path(
    operation_id = "suppliers_submit",
    tag = "suppliers",
    params(
        ("id" = Uuid, Path, description = "The supplier's id"),
        ("If-Match" = Option<String>, Header, description = "Checked when sent: the current ETag")
    ),
    responses(
        (status = 200, description = "Done; the supplier as it is now.", body = SupplierDocument, headers(("ETag" = String, description = "New version tag"))),
        (status = 409, description = "The supplier is not `draft` or `rejected` (the detail names its state).", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` is stale.", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["supplier", "admin"]), ("oauth2" = ["write"]))
)]
#[post("/suppliers/{id}/submit")]
pub async fn submit_supplier(
    principal: Principal,
    state: web::Data<AppState>,
    request_id: RequestId,
    id: web::Path<Uuid>,
    if_match: OptionalIfMatch,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    transition(
        Transition::Submit,
        principal,
        state,
        request_id,
        id,
        if_match,
        body,
    )
    .await
}

/// Verify.
///
/// Agencies (in their countries) and admins, scope `verify`: `pending` → `verified`; sets `verified_at`. No body.
#[utoipa::path(
    operation_id = "suppliers_verify",
    tag = "suppliers",
    params(
        ("id" = Uuid, Path, description = "The supplier's id"),
        ("If-Match" = Option<String>, Header, description = "Checked when sent: the current ETag")
    ),
    responses(
        (status = 200, description = "Done; the supplier as it is now.", body = SupplierDocument, headers(("ETag" = String, description = "New version tag"))),
        (status = 409, description = "The supplier is not `pending` (the detail names its state).", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` is stale.", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["agency", "admin"]), ("oauth2" = ["verify"]))
)]
#[post("/suppliers/{id}/verify")]
pub async fn verify_supplier(
    principal: Principal,
    state: web::Data<AppState>,
    request_id: RequestId,
    id: web::Path<Uuid>,
    if_match: OptionalIfMatch,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    transition(
        Transition::Verify,
        principal,
        state,
        request_id,
        id,
        if_match,
        body,
    )
    .await
}

/// Reject.
///
/// Agencies (in their countries) and admins, scope `verify`: `pending` → `rejected`, with a `reason` (becomes `status_reason`).
#[utoipa::path(
    operation_id = "suppliers_reject",
    tag = "suppliers",
    params(
        ("id" = Uuid, Path, description = "The supplier's id"),
        ("If-Match" = Option<String>, Header, description = "Checked when sent: the current ETag")
    ),
    request_body = ReasonRequest,
    responses(
        (status = 200, description = "Done; the supplier as it is now.", body = SupplierDocument, headers(("ETag" = String, description = "New version tag"))),
        (status = 409, description = "The supplier is not `pending` (the detail names its state).", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` is stale.", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["agency", "admin"]), ("oauth2" = ["verify"]))
)]
#[post("/suppliers/{id}/reject")]
pub async fn reject_supplier(
    principal: Principal,
    state: web::Data<AppState>,
    request_id: RequestId,
    id: web::Path<Uuid>,
    if_match: OptionalIfMatch,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    transition(
        Transition::Reject,
        principal,
        state,
        request_id,
        id,
        if_match,
        body,
    )
    .await
}

/// Suspend.
///
/// Agencies (in their countries) and admins, scope `verify`: `verified` → `suspended`, with a `reason`.
#[utoipa::path(
    operation_id = "suppliers_suspend",
    tag = "suppliers",
    params(
        ("id" = Uuid, Path, description = "The supplier's id"),
        ("If-Match" = Option<String>, Header, description = "Checked when sent: the current ETag")
    ),
    request_body = ReasonRequest,
    responses(
        (status = 200, description = "Done; the supplier as it is now.", body = SupplierDocument, headers(("ETag" = String, description = "New version tag"))),
        (status = 409, description = "The supplier is not `verified` (the detail names its state).", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` is stale.", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["agency", "admin"]), ("oauth2" = ["verify"]))
)]
#[post("/suppliers/{id}/suspend")]
pub async fn suspend_supplier(
    principal: Principal,
    state: web::Data<AppState>,
    request_id: RequestId,
    id: web::Path<Uuid>,
    if_match: OptionalIfMatch,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    transition(
        Transition::Suspend,
        principal,
        state,
        request_id,
        id,
        if_match,
        body,
    )
    .await
}

/// Reinstate.
///
/// Agencies (in their countries) and admins, scope `verify`: `suspended` → `verified`. No body.
#[utoipa::path(
    operation_id = "suppliers_reinstate",
    tag = "suppliers",
    params(
        ("id" = Uuid, Path, description = "The supplier's id"),
        ("If-Match" = Option<String>, Header, description = "Checked when sent: the current ETag")
    ),
    responses(
        (status = 200, description = "Done; the supplier as it is now.", body = SupplierDocument, headers(("ETag" = String, description = "New version tag"))),
        (status = 409, description = "The supplier is not `suspended` (the detail names its state).", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` is stale.", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["agency", "admin"]), ("oauth2" = ["verify"]))
)]
#[post("/suppliers/{id}/reinstate")]
pub async fn reinstate_supplier(
    principal: Principal,
    state: web::Data<AppState>,
    request_id: RequestId,
    id: web::Path<Uuid>,
    if_match: OptionalIfMatch,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    transition(
        Transition::Reinstate,
        principal,
        state,
        request_id,
        id,
        if_match,
        body,
    )
    .await
}

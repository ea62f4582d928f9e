//! The verification workflow: `submit` (owners) takes a draft or rejected profile to `pending`;
//! agencies (in their countries) and admins `verify` or `reject` (with a reason) it, and
//! `suspend` (with a reason) and `reinstate` a verified one. A transition from any other state is
//! 409 naming the current state. The supplier row is locked for the transition, so two concurrent
//! transitions cannot both win.

use actix_web::{HttpResponse, http::header, post, web};
use chrono::Utc;
use diesel_async::AsyncConnection;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    SupplierDocument, View, actor, check_agency_country, document, is_owner, not_found, view_of,
};
use crate::{
    auth::{Principal, Role, Scope},
    db::suppliers::{self as store, AuditEntry},
    error::{ApiError, FieldError},
    http::{
        JsonBody, RequestId,
        etag::{OptionalIfMatch, etag},
    },
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

#[derive(Debug, Clone, Copy)]
enum Transition {
    Submit,
    Verify,
    Reject,
    Suspend,
    Reinstate,
}

impl Transition {
    fn name(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Verify => "verify",
            Self::Reject => "reject",
            Self::Suspend => "suspend",
            Self::Reinstate => "reinstate",
        }
    }

    /// The states it leaves from, and the state it goes to.
    fn edge(self) -> (&'static [&'static str], &'static str) {
        match self {
            Self::Submit => (&["draft", "rejected"], "pending"),
            Self::Verify => (&["pending"], "verified"),
            Self::Reject => (&["pending"], "rejected"),
            Self::Suspend => (&["verified"], "suspended"),
            Self::Reinstate => (&["suspended"], "verified"),
        }
    }

    fn needs_reason(self) -> bool {
        matches!(self, Self::Reject | Self::Suspend)
    }
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

async fn transition(
    transition: Transition,
    principal: Principal,
    state: web::Data<AppState>,
    request_id: RequestId,
    id: Uuid,
    if_match: OptionalIfMatch,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let roles: &[Role] = match transition {
        Transition::Submit => &[Role::Supplier, Role::Admin],
        _ => &[Role::Agency, Role::Admin],
    };
    principal.require_role(roles)?;
    principal.require_scope(if matches!(transition, Transition::Submit) {
        Scope::Write
    } else {
        Scope::Verify
    })?;
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
            let (from, to) = transition.edge();
            if !from.contains(&record.status.as_str()) {
                return Err(ApiError::conflict(format!(
                    "Cannot {} a supplier that is `{}`; it must be {}.",
                    transition.name(),
                    record.status,
                    from.iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                )));
            }
            let verified_at = if to == "verified" {
                Some(Utc::now())
            } else {
                record.verified_at
            };
            let version = record.version + 1;
            store::set_status(conn, id, to, reason.as_deref(), verified_at, version).await?;
            let mut changes = json!({ "status": [record.status, to] });
            if record.status_reason.as_deref() != reason.as_deref() {
                changes["status_reason"] = json!([record.status_reason, reason]);
            }
            if verified_at != record.verified_at {
                changes["verified_at"] = json!([record.verified_at, verified_at]);
            }
            store::insert_audit(
                conn,
                &AuditEntry {
                    supplier: id,
                    actor: &actor(&principal),
                    action: transition.name(),
                    request_id: Some(request_id.as_str()),
                    changes,
                },
            )
            .await?;
            let data: Value =
                json!({ "version": version, "from": record.status, "to": to, "reason": reason });
            store::insert_event(conn, "supplier.status_changed", id, &data).await?;
            let record = store::find_record(conn, id, false)
                .await?
                .ok_or_else(not_found)?;
            document(record, View::Full)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(doc.version)))
        .json(doc))
}

macro_rules! transition_handler {
    ($fn_name:ident, $path:literal, $variant:ident, $op:literal, $summary:literal, $doc:literal, $roles:tt, $from:literal $(, $body:ident)?) => {
        #[doc = $summary]
        #[doc = ""]
        #[doc = $doc]
        #[utoipa::path(
            operation_id = $op,
            tag = "suppliers",
            params(
                ("id" = Uuid, Path, description = "The supplier's id"),
                ("If-Match" = Option<String>, Header, description = "Checked when sent: the current ETag")
            ),
            $(request_body = $body,)?
            responses(
                (status = 200, description = "Done; the supplier as it is now.", body = SupplierDocument, headers(("ETag" = String, description = "New version tag"))),
                (status = 409, description = $from, body = crate::error::Problem, content_type = "application/problem+json"),
                (status = 412, description = "`If-Match` is stale.", body = crate::error::Problem, content_type = "application/problem+json")
            ),
            security(("bearer" = $roles))
        )]
        #[post($path)]
        pub async fn $fn_name(
            principal: Principal,
            state: web::Data<AppState>,
            request_id: RequestId,
            id: web::Path<Uuid>,
            if_match: OptionalIfMatch,
            body: JsonBody,
        ) -> Result<HttpResponse, ApiError> {
            transition(Transition::$variant, principal, state, request_id, *id, if_match, body).await
        }
    };
}

transition_handler!(
    submit_supplier,
    "/suppliers/{id}/submit",
    Submit,
    "suppliers_submit",
    "Submit for verification.",
    "Owners (and admins): `draft` or `rejected` → `pending`. No body.",
    ["supplier", "admin"],
    "The supplier is not `draft` or `rejected` (the detail names its state)."
);
transition_handler!(
    verify_supplier,
    "/suppliers/{id}/verify",
    Verify,
    "suppliers_verify",
    "Verify.",
    "Agencies (in their countries) and admins, scope `verify`: `pending` → `verified`; sets `verified_at`. No body.",
    ["agency", "admin"],
    "The supplier is not `pending` (the detail names its state)."
);
transition_handler!(
    reject_supplier,
    "/suppliers/{id}/reject",
    Reject,
    "suppliers_reject",
    "Reject.",
    "Agencies (in their countries) and admins, scope `verify`: `pending` → `rejected`, with a `reason` (becomes `status_reason`).",
    ["agency", "admin"],
    "The supplier is not `pending` (the detail names its state).",
    ReasonRequest
);
transition_handler!(
    suspend_supplier,
    "/suppliers/{id}/suspend",
    Suspend,
    "suppliers_suspend",
    "Suspend.",
    "Agencies (in their countries) and admins, scope `verify`: `verified` → `suspended`, with a `reason`.",
    ["agency", "admin"],
    "The supplier is not `verified` (the detail names its state).",
    ReasonRequest
);
transition_handler!(
    reinstate_supplier,
    "/suppliers/{id}/reinstate",
    Reinstate,
    "suppliers_reinstate",
    "Reinstate.",
    "Agencies (in their countries) and admins, scope `verify`: `suspended` → `verified`. No body.",
    ["agency", "admin"],
    "The supplier is not `suspended` (the detail names its state)."
);

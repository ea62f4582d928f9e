//! A supplier's audit history, oldest first: who changed what, when, under which request.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::view::{is_owner, not_found, view_of};
use crate::{
    auth::{Principal, Role},
    db::suppliers::{self as store, AuditRow},
    error::ApiError,
    http::pagination::{ApiQuery, Page, PageParams, page},
    state::AppState,
};

/// Who made a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActorView {
    /// `user`, `client` or `system`.
    #[schema(example = "user")]
    pub kind: String,
    pub id: Option<Uuid>,
    /// A user's e-mail, a client's name, or the job's name.
    pub name: String,
}

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub actor: ActorView,
    /// `create`, `update`, `submit`, `verify`, `reject`, `suspend`, `reinstate`, `archive`,
    /// `add_owner`, `remove_owner`, `certificates_expiry`.
    #[schema(example = "update")]
    pub action: String,
    pub request_id: Option<String>,
    /// Each changed field → `[old, new]`.
    #[schema(value_type = Object, example = json!({ "employees": [42, 60] }))]
    pub changes: Value,
}

impl From<AuditRow> for HistoryEntry {
    fn from(row: AuditRow) -> Self {
        Self {
            at: row.at,
            actor: ActorView {
                kind: row.actor_kind,
                id: row.actor_id,
                name: row.actor_name,
            },
            action: row.action,
            request_id: row.request_id,
            changes: row.changes,
        }
    }
}

/// A supplier's history.
///
/// Every audit entry of the supplier, oldest first, `limit` at a time. Owners, agencies and
/// admins.
#[utoipa::path(
    operation_id = "suppliers_history",
    tag = "suppliers",
    params(("id" = Uuid, Path, description = "The supplier's id"), PageParams),
    responses((status = 200, description = "A page of entries.", body = Page<HistoryEntry>)),
    security(("bearer" = ["supplier", "agency", "admin"]), ("oauth2" = ["read"]))
)]
#[get("/suppliers/{id}/history")]
pub async fn supplier_history(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: ApiQuery<PageParams>,
) -> Result<web::Json<Page<HistoryEntry>>, ApiError> {
    principal.require_role(&[Role::Supplier, Role::Agency, Role::Admin])?;
    let limit = query.0.limit()?;
    let scope = format!("history:{id}");
    let after: Option<i64> = query.0.after(&state.digest_key, &scope)?;
    let mut conn = state.pool.get().await?;
    let record = store::find_record(&mut conn, *id, false)
        .await?
        .ok_or_else(not_found)?;
    view_of(Some(&principal), &record).ok_or_else(not_found)?;
    // Agencies read every supplier's history (they read all); suppliers only their own.
    if principal.role == Role::Supplier && !is_owner(&principal, &record) {
        return Err(ApiError::forbidden(
            "Only owners, agencies and admins read a supplier's history.",
        ));
    }
    let rows = store::history_page(&mut conn, *id, after, limit + 1).await?;
    Ok(web::Json(page(
        rows,
        limit,
        &state.digest_key,
        &scope,
        |r| r.id,
        HistoryEntry::from,
    )))
}

//! Changing a supplier: `PATCH /v1/suppliers/{id}` (a JSON Merge Patch, through the same edit
//! step as an import row) and `DELETE /v1/suppliers/{id}` (archive). Both take `If-Match`.

use actix_web::{HttpResponse, delete, patch, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    rules::{Reference, TxError, check_refs_free, check_tax_id_free, refused, write_failed},
    view::{
        SupplierDocument, View, actor, check_agency_country, check_can_edit, document, is_owner,
        not_found, ok_with_etag, reread,
    },
};
use crate::{
    auth::{Principal, Role, Scope},
    db::suppliers::{self as store, Author, RowWrite, StatusColumns, SupplierChange},
    domain::{
        FieldError,
        size::SizeRule,
        status::{EventType, SupplierStatus},
        supplier::{self, check_fields},
    },
    error::ApiError,
    http::{
        JsonBody, RequestId,
        etag::{IfMatch, OptionalIfMatch},
    },
    state::AppState,
};

/// Change a supplier.
///
/// A JSON Merge Patch (RFC 7396; `application/merge-patch+json`, `application/json` accepted)
/// of the client-owned fields, with `If-Match` set to the current `ETag`: fields left out stay,
/// `null` clears an optional field, arrays are replaced whole. The result must meet every rule of
/// a new supplier; `size_class` is computed again. Each change adds 1 to `version`; a patch that
/// changes nothing changes nothing. When an owner changes a verified profile's legal name, tax
/// id, country, capabilities or certifications, it goes back to `pending`. Owners, agencies
/// (within their countries) and admins; archived suppliers cannot change (409).
#[utoipa::path(
    operation_id = "suppliers_update",
    tag = "suppliers",
    params(
        ("id" = Uuid, Path, description = "The supplier's id"),
        ("If-Match" = String, Header, description = "The current ETag")
    ),
    request_body(
        content((crate::domain::supplier::SupplierPatch = "application/merge-patch+json")),
        description = "Any subset of the client-owned fields; `null` clears an optional field. Sent as `application/json`, the same patch is accepted too."
    ),
    responses(
        (status = 200, description = "Changed.", body = SupplierDocument, headers(("ETag" = String, description = "New version tag"))),
        (status = 403, description = "Not an owner, or outside the agency's countries.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The supplier is archived, or the new `(country, tax_id)` is registered (`existing_id`).", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` is stale.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing.", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["supplier", "agency", "admin"]), ("oauth2" = ["write"]))
)]
#[patch("/suppliers/{id}")]
pub async fn update_supplier(
    principal: Principal,
    state: web::Data<AppState>,
    request_id: RequestId,
    id: web::Path<Uuid>,
    if_match: OptionalIfMatch,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    principal.require_role(&[Role::Supplier, Role::Agency, Role::Admin])?;
    principal.require_scope(Scope::Write)?;
    let if_match = if_match.required()?;
    let patch: Value = body.parse()?;
    let Value::Object(fields) = &patch else {
        let error = FieldError::new("body", "object", "must be a JSON object");
        return Err(ApiError::unprocessable(vec![error]));
    };
    let errors = check_fields(fields);
    if !errors.is_empty() {
        return Err(ApiError::unprocessable(errors));
    }
    let mut conn = state.pool.get().await?;
    let rules = state.size_rules(&mut conn).await?;
    let patching = Patching {
        principal: &principal,
        request_id: request_id.as_str(),
        id: *id,
        if_match: &if_match,
        patch: &patch,
        rules,
    };
    let outcome = conn
        .transaction(async |conn| apply(conn, &patching).await)
        .await;
    match outcome {
        Ok(doc) => Ok(ok_with_etag(&doc)),
        Err(e) => Err(e.answer(&mut conn).await),
    }
}

/// A merge patch and who sends it.
struct Patching<'a> {
    principal: &'a Principal,
    request_id: &'a str,
    id: Uuid,
    if_match: &'a IfMatch,
    patch: &'a Value,
    rules: &'a [SizeRule],
}

/// Inside the transaction: the supplier locked, the patch applied through the shared edit step,
/// the change recorded; the supplier as it is afterwards.
async fn apply(
    conn: &mut AsyncPgConnection,
    p: &Patching<'_>,
) -> Result<SupplierDocument, TxError> {
    let record = store::find_record(conn, p.id, true)
        .await?
        .ok_or_else(not_found)?;
    check_can_edit(p.principal, &record)?;
    // The precondition before the content (RFC 9110 §13.2.1): a stale tag is 412 whatever the
    // body says.
    p.if_match.check(record.version)?;
    if record.status == SupplierStatus::Archived {
        return Err(ApiError::conflict("The supplier is archived and cannot change.").into());
    }
    let current = record
        .current()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("stored supplier not readable")))?;
    let parsed = supplier::parse(&supplier::merged(&current.input, p.patch));
    let reference = Reference::of(conn, &parsed.input).await?;
    let by_owner = is_owner(p.principal, &record);
    let edit =
        supplier::edit(&current, parsed, &reference.known(), p.rules, by_owner).map_err(refused)?;
    let Some(edit) = edit else {
        return Ok(document(record, View::Full)?);
    };
    check_agency_country(p.principal, &edit.valid.input.country)?;
    check_tax_id_free(conn, &edit.valid, Some(p.id)).await?;
    check_refs_free(conn, &edit.valid, Some(p.id)).await?;
    let author = Author {
        actor: &actor(p.principal),
        request_id: Some(p.request_id),
    };
    let change = SupplierChange::edit(p.id, record.version + 1, &edit, record.verified_at);
    store::record(conn, author, change)
        .await
        .map_err(|e| TxError::write_of(e, &edit.valid, p.id))?;
    Ok(reread(conn, p.id).await?)
}

/// Archive a supplier.
///
/// Sets status `archived`. The supplier is kept, and stays readable (200) by its owners,
/// agencies and admins. Owners and admins, with `If-Match`; an archived supplier is 409.
#[utoipa::path(
    operation_id = "suppliers_archive",
    tag = "suppliers",
    params(
        ("id" = Uuid, Path, description = "The supplier's id"),
        ("If-Match" = String, Header, description = "The current ETag")
    ),
    responses(
        (status = 204, description = "Archived."),
        (status = 403, description = "Not an owner or admin.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already archived.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` is stale.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing.", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["supplier", "admin"]), ("oauth2" = ["write"]))
)]
#[delete("/suppliers/{id}")]
pub async fn archive_supplier(
    principal: Principal,
    state: web::Data<AppState>,
    request_id: RequestId,
    id: web::Path<Uuid>,
    if_match: OptionalIfMatch,
) -> Result<HttpResponse, ApiError> {
    principal.require_role(&[Role::Supplier, Role::Admin])?;
    principal.require_scope(Scope::Write)?;
    let if_match = if_match.required()?;
    let id = *id;
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| -> Result<(), ApiError> {
        let record = store::find_record(conn, id, true)
            .await?
            .ok_or_else(not_found)?;
        check_can_edit(&principal, &record)?;
        if_match.check(record.version)?;
        if record.status == SupplierStatus::Archived {
            return Err(ApiError::conflict("The supplier is already archived."));
        }
        let author = Author {
            actor: &actor(&principal),
            request_id: Some(request_id.as_str()),
        };
        store::record(conn, author, archived(&record))
            .await
            .map_err(write_failed)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The archive of `record`.
fn archived(record: &store::SupplierRecord) -> SupplierChange<'static> {
    let version = record.version + 1;
    let status = StatusColumns {
        status: SupplierStatus::Archived,
        reason: None,
        verified_at: record.verified_at,
    };
    SupplierChange {
        supplier: record.id,
        version,
        write: RowWrite::Status(status),
        action: "archive",
        audit: json!({ "status": [record.status, SupplierStatus::Archived] }),
        event: EventType::SupplierArchived,
        data: json!({ "version": version, "from": record.status }),
    }
}

//! Registering a supplier: `POST /v1/suppliers`, with `Idempotency-Key` for safe retries.

use actix_web::{HttpResponse, post, web};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::Value;
use uuid::Uuid;

use super::{
    rules::{Reference, TxError, check_refs_free, check_tax_id_free, refused},
    view::{SupplierDocument, actor, check_agency_country, reread},
};
use crate::{
    auth::{Principal, PrincipalKind, Role, Scope},
    db::suppliers::{self as store, Author, SupplierChange, ThenError},
    domain::supplier::{self, Size, SupplierInput, ValidSupplier},
    error::ApiError,
    http::{
        JsonBody, RequestId,
        etag::etag,
        idempotency::{self, IdempotencyKey, StoredResponse},
    },
    state::AppState,
};

/// Register a supplier.
///
/// Creates a supplier in status `draft` (supplier users, agencies within their countries, and
/// admins; scope `write`). A supplier user becomes its owner. `size_class` and `size_rule` are
/// computed; `tax_id` is validated and normalised per country. Every broken rule is reported at
/// once in `errors`, each with its field path. With `Idempotency-Key`, the same key and body
/// answer the first response again (`Idempotent-Replayed: true`); the same key with another body
/// is 422; a request racing another with the same key is 409.
#[utoipa::path(
    operation_id = "suppliers_create",
    tag = "suppliers",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: 1 to 255 visible ASCII characters, per caller")),
    request_body = SupplierInput,
    responses(
        (status = 201, description = "Registered.", body = SupplierDocument,
            headers(("Location" = String, description = "/v1/suppliers/{id}"), ("ETag" = String, description = "Version tag"),
                    ("Idempotent-Replayed" = String, description = "`true` when this is a stored first response"))),
        (status = 403, description = "Role, scope or agency country not allowed.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The `(country, tax_id)` is registered (`existing_id`), or a request with this `Idempotency-Key` is in progress.", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["supplier", "agency", "admin"]), ("oauth2" = ["write"]))
)]
#[post("/suppliers")]
pub async fn create_supplier(
    principal: Principal,
    state: web::Data<AppState>,
    request_id: RequestId,
    idempotency_key: IdempotencyKey,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    principal.require_role(&[Role::Supplier, Role::Agency, Role::Admin])?;
    principal.require_scope(Scope::Write)?;
    if principal.role == Role::Supplier && principal.kind == PrincipalKind::Client {
        // A profile is owned by supplier users; a client could create one but never edit it.
        return Err(ApiError::forbidden(
            "Supplier profiles are registered by supplier users, agencies or admins.",
        ));
    }
    let body: Value = body.parse()?;
    let parsed = supplier::parse(&body);
    if parsed.errors.is_empty() {
        check_agency_country(&principal, &parsed.input.country)?;
    }
    let mut conn = state.pool.get().await?;
    let reference = Reference::of(&mut conn, &parsed.input).await?;
    let rules = state.size_rules(&mut conn).await?;
    let (valid, size) =
        supplier::new_supplier(parsed, &reference.known(), rules).map_err(refused)?;
    let request = Creation {
        principal: &principal,
        request_id: request_id.as_str(),
        caller: format!("{}:{}", principal.kind.as_str(), principal.id),
        hash: idempotency::request_hash(&body),
        key: idempotency_key.0,
    };
    let outcome = conn
        .transaction(async |conn| store_new(conn, &request, &valid, &size).await)
        .await;
    match outcome {
        Ok((response, replayed)) => Ok(response.to_http(replayed)),
        Err(e) => Err(e.answer(&mut conn).await),
    }
}

/// Who registers, and the request's idempotency key.
struct Creation<'a> {
    principal: &'a Principal,
    request_id: &'a str,
    caller: String,
    hash: Vec<u8>,
    key: Option<String>,
}

/// Inside the transaction: the stored first answer of a retry, or the new supplier.
async fn store_new(
    conn: &mut AsyncPgConnection,
    request: &Creation<'_>,
    valid: &ValidSupplier,
    size: &Size,
) -> Result<(StoredResponse, bool), TxError> {
    let key = request.key.as_deref();
    if let Some(key) = key
        && let Some(stored) = idempotency::begin(conn, &request.caller, key, &request.hash).await?
    {
        return Ok((stored, true));
    }
    check_tax_id_free(conn, valid, None).await?;
    check_refs_free(conn, valid, None).await?;
    let id = Uuid::now_v7();
    let principal = request.principal;
    let owner = (principal.role == Role::Supplier && principal.kind == PrincipalKind::User)
        .then_some(principal.id);
    let author = Author {
        actor: &actor(principal),
        request_id: Some(request.request_id),
    };
    // The answer is read back and kept before the event takes the feed's lock.
    let then = async |conn: &mut AsyncPgConnection| -> Result<StoredResponse, TxError> {
        let response = stored_document(&reread(conn, id).await?, 201)?;
        if let Some(key) = key {
            idempotency::store(conn, &request.caller, key, &request.hash, &response).await?;
        }
        Ok(response)
    };
    let change = SupplierChange::create(id, valid, size, owner);
    let response = store::record_then(conn, author, change, then)
        .await
        .map_err(|e| match e {
            ThenError::Write(e) => TxError::write(e, valid),
            ThenError::Then(e) => e,
        })?;
    Ok((response, false))
}

fn stored_document(doc: &SupplierDocument, status: u16) -> Result<StoredResponse, ApiError> {
    Ok(StoredResponse {
        status,
        location: (status == 201).then(|| format!("/v1/suppliers/{}", doc.id)),
        etag: Some(etag(doc.version)),
        body: serde_json::to_value(doc).map_err(|e| ApiError::Internal(e.into()))?,
    })
}

//! Reading one supplier: `GET /v1/suppliers/{id}`, in one database round trip.

use actix_web::{HttpResponse, get, web};
use uuid::Uuid;

use super::view::{SupplierDocument, document, not_found, ok_with_etag, view_of};
use crate::{auth::MaybePrincipal, db::suppliers as store, error::ApiError, state::AppState};

/// Get a supplier.
///
/// Anonymous callers see verified suppliers, without `contacts`. Owners, agencies and admins see
/// every supplier (archived ones included); viewers all but archived ones. A supplier the caller
/// may not see is 404, as if it did not exist. Read in one database round trip.
#[utoipa::path(
    operation_id = "suppliers_get",
    tag = "suppliers",
    params(("id" = Uuid, Path, description = "The supplier's id")),
    responses(
        (status = 200, description = "The supplier.", body = SupplierDocument, headers(("ETag" = String, description = "Version tag")))
    ),
    security((), ("bearer" = []), ("oauth2" = []))
)]
#[get("/suppliers/{id}")]
pub async fn get_supplier(
    principal: MaybePrincipal,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let record = store::find_record(&mut conn, *id, false)
        .await?
        .ok_or_else(not_found)?;
    let view = view_of(principal.0.as_ref(), &record).ok_or_else(not_found)?;
    Ok(ok_with_etag(&document(record, view)?))
}

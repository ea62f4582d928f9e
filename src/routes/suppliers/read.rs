//! Reading one supplier: `GET /v1/suppliers/{id}`, in one database round trip (the caller's
//! account, when there is a token, is pipelined with it on the same connection).

use actix_web::{HttpResponse, get, web};
use uuid::Uuid;

use super::view::{SupplierDocument, document, not_found, ok_with_etag, view_of};
use futures_util::future::try_join;

use crate::{auth::MaybeCaller, db::suppliers as store, error::ApiError, state::AppState};

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
    caller: MaybeCaller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let conn = state.pool.get().await?;
    let read = async { Ok::<_, ApiError>(store::read_record(&conn, *id).await?) };
    // With a token, the caller's account and the document go out together on one connection.
    let (principal, record) = match caller.0 {
        None => (None, read.await?),
        Some(caller) => {
            let (principal, record) = try_join(caller.resolve(&conn), read).await?;
            (Some(principal), record)
        }
    };
    let record = record.ok_or_else(not_found)?;
    let view = view_of(principal.as_ref(), &record).ok_or_else(not_found)?;
    Ok(ok_with_etag(&document(record, view)?))
}

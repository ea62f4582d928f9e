//! Owners: the supplier users who may edit a profile. The creator owns it; agencies (in their
//! countries) and admins add and remove owners.

use actix_web::{HttpResponse, delete, put, web};
use diesel_async::AsyncConnection;
use serde_json::json;
use uuid::Uuid;

use super::{
    rules::write_failed,
    view::{actor, check_agency_country, not_found},
};
use crate::{
    auth::{Principal, Role, Scope},
    db::{
        accounts,
        suppliers::{self as store, Author, RowWrite, SupplierChange},
    },
    domain::status::EventType,
    error::{ApiError, FieldError},
    http::RequestId,
    state::AppState,
};

/// Adds (`add`) or removes an owner, with its audit entry and change event.
async fn change_owner(
    principal: Principal,
    state: web::Data<AppState>,
    request_id: RequestId,
    supplier: Uuid,
    user: Uuid,
    add: bool,
) -> Result<HttpResponse, ApiError> {
    principal.require_role(&[Role::Agency, Role::Admin])?;
    principal.require_scope(Scope::Write)?;
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| -> Result<(), ApiError> {
        let record = store::find_record(conn, supplier, true)
            .await?
            .ok_or_else(not_found)?;
        if principal.role == Role::Agency {
            check_agency_country(&principal, &record.country)?;
        }
        let owners = record.owners.clone();
        let is_owner = owners.contains(&user);
        if add {
            check_can_own(conn, user).await?;
            if is_owner {
                return Ok(());
            }
        } else if !is_owner {
            return Err(ApiError::NotFound(
                "That user is not an owner of this supplier.".into(),
            ));
        }
        let mut after: Vec<Uuid> = owners.iter().copied().filter(|o| *o != user).collect();
        if add {
            after.push(user);
            after.sort();
        }
        // Owners are not part of the document, so its version stays; the feed still says so.
        let change = SupplierChange {
            supplier,
            version: record.version,
            write: if add {
                RowWrite::AddOwner(user)
            } else {
                RowWrite::RemoveOwner(user)
            },
            action: if add { "add_owner" } else { "remove_owner" },
            audit: json!({ "owners": [owners, after] }),
            event: EventType::SupplierUpdated,
            data: json!({ "version": record.version, "changed": ["owners"] }),
        };
        let author = Author {
            actor: &actor(&principal),
            request_id: Some(request_id.as_str()),
        };
        store::record(conn, author, change)
            .await
            .map_err(write_failed)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Only `supplier` users own suppliers.
async fn check_can_own(
    conn: &mut diesel_async::AsyncPgConnection,
    user: Uuid,
) -> Result<(), ApiError> {
    match accounts::find_user(conn, user).await? {
        Some(u) if u.role == "supplier" => Ok(()),
        Some(_) => Err(ApiError::unprocessable(vec![FieldError::new(
            "user_id",
            "role",
            "must be a user with the `supplier` role",
        )])),
        None => Err(ApiError::NotFound("No such user.".into())),
    }
}

/// Add an owner.
///
/// Agencies (in their countries) and admins make a `supplier` user an owner of this supplier. The
/// answer is 204 whether or not it was an owner already.
#[utoipa::path(
    operation_id = "suppliers_owners_add",
    tag = "suppliers",
    params(
        ("id" = Uuid, Path, description = "The supplier's id"),
        ("user_id" = Uuid, Path, description = "The user's id")
    ),
    responses(
        (status = 204, description = "The user owns the supplier."),
        (status = 422, description = "The user is not a `supplier` user.", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["agency", "admin"]), ("oauth2" = ["write"]))
)]
#[put("/suppliers/{id}/owners/{user_id}")]
pub async fn add_owner(
    principal: Principal,
    state: web::Data<AppState>,
    request_id: RequestId,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (supplier, user) = path.into_inner();
    change_owner(principal, state, request_id, supplier, user, true).await
}

/// Remove an owner.
///
/// Agencies (in their countries) and admins. 404 when the user is not an owner.
#[utoipa::path(
    operation_id = "suppliers_owners_remove",
    tag = "suppliers",
    params(
        ("id" = Uuid, Path, description = "The supplier's id"),
        ("user_id" = Uuid, Path, description = "The user's id")
    ),
    responses((status = 204, description = "The user no longer owns the supplier.")),
    security(("bearer" = ["agency", "admin"]), ("oauth2" = ["write"]))
)]
#[delete("/suppliers/{id}/owners/{user_id}")]
pub async fn remove_owner(
    principal: Principal,
    state: web::Data<AppState>,
    request_id: RequestId,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (supplier, user) = path.into_inner();
    change_owner(principal, state, request_id, supplier, user, false).await
}

//! Owners: the supplier users who may edit a profile. The creator owns it; agencies (in their
//! countries) and admins add and remove owners.

use actix_web::{HttpResponse, delete, put, web};
use diesel_async::AsyncConnection;
use serde_json::json;
use uuid::Uuid;

use super::{actor, check_agency_country, not_found};
use crate::{
    auth::{Principal, Role, Scope},
    db::{
        accounts,
        suppliers::{self as store, AuditEntry},
    },
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
            let account = accounts::find_user(conn, user).await?;
            match account {
                Some(u) if u.role == "supplier" => {}
                Some(_) => {
                    return Err(ApiError::unprocessable(vec![FieldError::new(
                        "user_id",
                        "role",
                        "must be a user with the `supplier` role",
                    )]));
                }
                None => return Err(ApiError::NotFound("No such user.".into())),
            }
            if is_owner {
                return Ok(());
            }
            store::add_owner(conn, supplier, user).await?;
        } else {
            if !is_owner {
                return Err(ApiError::NotFound(
                    "That user is not an owner of this supplier.".into(),
                ));
            }
            store::remove_owner(conn, supplier, user).await?;
        }
        let mut after: Vec<Uuid> = owners.iter().copied().filter(|o| *o != user).collect();
        if add {
            after.push(user);
            after.sort();
        }
        store::insert_audit(
            conn,
            &AuditEntry {
                supplier,
                actor: &actor(&principal),
                action: if add { "add_owner" } else { "remove_owner" },
                request_id: Some(request_id.as_str()),
                changes: json!({ "owners": [owners, after] }),
            },
        )
        .await?;
        // Owners are not part of the document, so its version stays; the feed still says so.
        store::insert_event(
            conn,
            "supplier.updated",
            supplier,
            &json!({ "version": record.version, "changed": ["owners"] }),
        )
        .await?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
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
    security(("bearer" = ["agency", "admin"]))
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
    security(("bearer" = ["agency", "admin"]))
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

//! `POST /v1/suppliers/{id}/merge`: this supplier is a duplicate of `into`. In one transaction
//! on the shared write path, the duplicate becomes `archived` with `merged_into`, and the
//! survivor gains the duplicate's external references (its tax id too, as the country's tax-id
//! system, when it differs), contacts and owners that it lacks; each gets an audit entry, and the
//! feed `supplier.merged` and `supplier.updated`. Both rows are locked in id order, so two
//! merges of one pair (either way round) wait for each other, and the second finds the first
//! done (409).

use actix_web::{HttpResponse, post, web};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    rules::{Reference, refused, write_failed},
    view::{SupplierDocument, actor, check_agency_country, not_found, reread},
};
use crate::{
    auth::{Principal, Role, Scope},
    db::suppliers::{
        self as store, Author, RowWrite, StatusColumns, SupplierChange, SupplierColumns,
        SupplierRecord,
    },
    domain::{
        identifier,
        status::{EventType, SupplierStatus},
        supplier::{self, ExternalRef},
    },
    error::ApiError,
    http::{JsonBody, RequestId, etag::OptionalIfMatch, etag::etag},
    state::AppState,
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The survivor: the supplier this one duplicates.
    pub into: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MergeResponse {
    /// The duplicate, now `archived` with `merged_into`.
    pub merged: SupplierDocument,
    /// The survivor, with what it gained.
    pub into: SupplierDocument,
}

/// Merge a duplicate.
///
/// This supplier is the duplicate of `into` (agencies, both suppliers in their countries, and
/// admins; scope `write`; `If-Match`, when sent, is checked against this supplier). In one
/// transaction: this supplier becomes `archived` with `merged_into`; the survivor gains its
/// external references (its tax id too, as the tax-id system of its country, when it differs),
/// contacts and owners that it lacks; both get an audit entry; the feed gets `supplier.merged`
/// (`data.into`) for the duplicate and `supplier.updated` for the survivor. Merging into itself,
/// into an archived or merged supplier, or a supplier already archived or merged, is 409; of two
/// merges racing on one pair, one wins.
#[utoipa::path(
    operation_id = "suppliers_merge",
    tag = "suppliers",
    params(
        ("id" = Uuid, Path, description = "The duplicate's id"),
        ("If-Match" = Option<String>, Header, description = "Checked when sent: the duplicate's current ETag")
    ),
    request_body = MergeRequest,
    responses(
        (status = 200, description = "Merged: both suppliers as they are now.", body = MergeResponse,
            headers(("ETag" = String, description = "The duplicate's new version tag"))),
        (status = 403, description = "Role, scope or agency country not allowed.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Into itself, into an archived or merged supplier, or the duplicate is archived already.", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` is stale.", body = crate::error::Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = ["agency", "admin"]), ("oauth2" = ["write"]))
)]
#[post("/suppliers/{id}/merge")]
pub async fn merge_supplier(
    principal: Principal,
    state: web::Data<AppState>,
    request_id: RequestId,
    id: web::Path<Uuid>,
    if_match: OptionalIfMatch,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    principal.require_role(&[Role::Agency, Role::Admin])?;
    principal.require_scope(Scope::Write)?;
    let (id, MergeRequest { into }) = (id.into_inner(), body.parse::<MergeRequest>()?);
    let mut conn = state.pool.get().await?;
    let rules = state.size_rules(&mut conn).await?;
    let answer = conn
        .transaction(async |conn| -> Result<MergeResponse, ApiError> {
            let (duplicate, survivor) = lock_pair(conn, id, into).await?;
            for record in [&duplicate, &survivor] {
                check_agency_country(&principal, &record.country)?;
            }
            if let Some(tag) = &if_match.0 {
                tag.check(duplicate.version)?;
            }
            check_mergeable(&duplicate, &survivor)?;
            let current = survivor.current().ok_or_else(|| {
                ApiError::Internal(anyhow::anyhow!("the stored survivor could not be read"))
            })?;
            let patch = gains(&duplicate, &survivor)?;
            let parsed = supplier::parse(&supplier::merged(&current.input, &patch));
            let reference = Reference::of(conn, &parsed.input).await?;
            let edit = supplier::edit(&current, parsed, &reference.known(), rules, false)
                .map_err(refused)?;
            let owners: Vec<Uuid> = duplicate
                .owners
                .iter()
                .filter(|o| !survivor.owners.contains(o))
                .copied()
                .collect();
            let changes = changes_of(&duplicate, &survivor, edit.as_ref(), &owners);
            let author = Author {
                actor: &actor(&principal),
                request_id: Some(request_id.as_str()),
            };
            store::record_all(conn, author, &changes)
                .await
                .map_err(write_failed)?;
            Ok(MergeResponse {
                merged: reread(conn, id).await?,
                into: reread(conn, into).await?,
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::ETAG, etag(answer.merged.version)))
        .json(answer))
}

/// Both suppliers, locked in id order; 404 for one that does not exist.
async fn lock_pair(
    conn: &mut diesel_async::AsyncPgConnection,
    id: Uuid,
    into: Uuid,
) -> Result<(SupplierRecord, SupplierRecord), ApiError> {
    if id == into {
        return Err(ApiError::conflict(
            "A supplier cannot be merged into itself.",
        ));
    }
    let mut records = store::find_records_for_update(conn, &[id, into]).await?;
    let mut take = |wanted: Uuid| {
        records
            .iter()
            .position(|r| r.id == wanted)
            .map(|i| records.swap_remove(i))
            .ok_or_else(not_found)
    };
    let duplicate = take(id)?;
    let survivor = take(into)?;
    Ok((duplicate, survivor))
}

fn check_mergeable(duplicate: &SupplierRecord, survivor: &SupplierRecord) -> Result<(), ApiError> {
    if survivor.status == SupplierStatus::Archived {
        let what = if survivor.merged_into.is_some() {
            "merged"
        } else {
            "archived"
        };
        return Err(ApiError::conflict(format!(
            "Cannot merge into a supplier that is {what}; merge into the one it names in \
             `merged_into`, or into one that is not archived."
        )));
    }
    if duplicate.status == SupplierStatus::Archived {
        return Err(ApiError::conflict(
            "This supplier is archived (or merged) already.",
        ));
    }
    Ok(())
}

/// The merge patch of the survivor: its external references and contacts with those of the
/// duplicate it lacks (the duplicate's tax id as its country's tax-id system when it differs).
fn gains(duplicate: &SupplierRecord, survivor: &SupplierRecord) -> Result<Value, ApiError> {
    let mut refs: Vec<ExternalRef> = survivor.external_refs.0.clone();
    let mut wanted: Vec<ExternalRef> = duplicate.external_refs.0.clone();
    if (duplicate.country.as_str(), duplicate.tax_id.as_str())
        != (survivor.country.as_str(), survivor.tax_id.as_str())
    {
        let system = identifier::tax_id_system(&duplicate.country).map_or_else(
            || format!("{}_tax_id", duplicate.country.to_lowercase()),
            str::to_owned,
        );
        wanted.push(ExternalRef {
            system,
            value: duplicate.tax_id.clone(),
        });
    }
    for r in wanted {
        if !refs.contains(&r) {
            refs.push(r);
        }
    }
    let mut contacts = survivor.contacts.0.clone();
    for c in &duplicate.contacts.0 {
        let same =
            |k: &supplier::Contact| k.name == c.name && k.email == c.email && k.phone == c.phone;
        if !contacts.iter().any(same) {
            contacts.push(c.clone());
        }
    }
    Ok(json!({ "external_refs": refs, "contacts": contacts }))
}

/// The two changes, the duplicate's first: its references stop counting for uniqueness before
/// the survivor takes them.
fn changes_of<'a>(
    duplicate: &'a SupplierRecord,
    survivor: &'a SupplierRecord,
    edit: Option<&'a supplier::Edit>,
    owners: &'a [Uuid],
) -> Vec<SupplierChange<'a>> {
    let merged_version = duplicate.version + 1;
    let mut survivor_audit = edit.map_or_else(serde_json::Map::new, |e| e.diff.clone());
    survivor_audit.insert("merged_from".into(), json!([null, duplicate.id]));
    if !owners.is_empty() {
        let after: Vec<Uuid> = [&survivor.owners[..], owners].concat();
        survivor_audit.insert("owners".into(), json!([survivor.owners, after]));
    }
    let survivor_version = survivor.version + 1;
    let changed: Vec<&String> = survivor_audit
        .keys()
        .filter(|k| *k != "merged_from")
        .collect();
    let survivor_data =
        json!({ "version": survivor_version, "changed": changed, "merged_from": duplicate.id });
    vec![
        SupplierChange {
            supplier: duplicate.id,
            version: merged_version,
            write: RowWrite::Merged {
                into: survivor.id,
                status: StatusColumns {
                    status: SupplierStatus::Archived,
                    reason: duplicate.status_reason.as_deref(),
                    // Kept only when it was verified: a merged supplier stays visible to those
                    // who could see it just before (`view::view_of`).
                    verified_at: duplicate
                        .verified_at
                        .filter(|_| duplicate.status == SupplierStatus::Verified),
                },
            },
            action: "merge",
            audit: json!({ "status": [duplicate.status, "archived"], "merged_into": [null, survivor.id] }),
            event: EventType::SupplierMerged,
            data: json!({ "version": merged_version, "into": survivor.id, "from": duplicate.status }),
        },
        SupplierChange {
            supplier: survivor.id,
            version: survivor_version,
            write: RowWrite::Absorb {
                edit: edit.map(|e| (SupplierColumns::of(&e.valid, &e.size), &e.valid.input)),
                owners,
            },
            action: "merge",
            audit: Value::Object(survivor_audit),
            event: EventType::SupplierUpdated,
            data: survivor_data,
        },
    ]
}

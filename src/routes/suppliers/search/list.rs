//! `GET /v1/suppliers`: a keyset page of the suppliers that match, each as the caller may see it.

use std::collections::HashMap;

use actix_web::{HttpRequest, get, web};

use super::{
    super::{SupplierDocument, document, view_of},
    params::{ListParams, Query, SearchParams},
    visibility::visibility,
};
use crate::{
    auth::{MaybePrincipal, Principal},
    db::{
        replica::Source,
        search::{self, After, Hit, Sort},
    },
    error::ApiError,
    http::pagination::{Page, decode_cursor, encode_cursor},
    state::AppState,
};

/// The scope a cursor of `sort` is signed for, so that a cursor is refused by another sort.
fn cursor_scope(sort: Sort) -> String {
    match sort {
        // Distance cursors hold the chord in metres (they held km before): a new scope, so that
        // an old cursor is refused rather than read in the wrong unit.
        Sort::Distance => "suppliers:Distance:chord".to_owned(),
        _ => format!("suppliers:{sort:?}"),
    }
}

/// Search suppliers.
///
/// Every filter combines with every other. Pages are keyset pages on the sort key and the id, so
/// rows inserted while a client pages are never repeated or skipped; pass `next_cursor` as
/// `cursor` (a cursor is tamper-proof and tied to its sort; a bad one is 400). Anonymous callers
/// see verified suppliers without contacts.
#[utoipa::path(
    operation_id = "suppliers_list",
    tag = "suppliers",
    params(SearchParams, ListParams),
    responses((status = 200, description = "A page of suppliers.", body = Page<SupplierDocument>)),
    security((), ("bearer" = []), ("oauth2" = []))
)]
#[get("/suppliers")]
pub async fn list_suppliers(
    req: HttpRequest,
    principal: MaybePrincipal,
    state: web::Data<AppState>,
) -> Result<web::Json<Page<SupplierDocument>>, ApiError> {
    let visibility = visibility(principal.0.as_ref());
    let query = Query::<ListParams>::parse(req.query_string())?;
    let filters = query.filters.into_filters(&visibility)?;
    let (sort, limit) = (query.extra.sort(&filters)?, query.extra.limit()?);
    let scope = cursor_scope(sort);
    let after: Option<After> = query
        .extra
        .cursor
        .as_deref()
        .map(|c| decode_cursor(&state.digest_key, &scope, c))
        .transpose()?;
    let mut source = state.read_source(&req).await;
    let page = |source| {
        search::page(
            state.search_pools_of(source),
            &filters,
            &visibility,
            sort,
            after.as_ref(),
            limit + 1,
        )
    };
    let found = match page(source).await {
        // No connection to the replica: nothing ran there; the primary answers.
        Err(search::SearchError::Pool(e)) if source == Source::Replica => {
            tracing::warn!(error = %e, "no connection to the read replica");
            state.replica_failed();
            source = Source::Primary;
            page(source).await
        }
        other => other,
    };
    let mut hits = found.map_err(|e| state.read_failed(source, e.into()))?;
    let more = hits.len() as i64 > limit;
    hits.truncate(limit as usize);
    let next_cursor = more
        .then(|| hits.last())
        .flatten()
        .map(|h| encode_cursor(&state.digest_key, &scope, &h.after()));
    let data = documents(&state, source, principal.0.as_ref(), &hits)
        .await
        .map_err(|e| state.read_failed(source, e))?;
    Ok(web::Json(Page { data, next_cursor }))
}

/// The documents of a page's hits, in the page's order, each in the view the caller may see
/// (a hit the caller may not see, or that went away since, is left out).
async fn documents(
    state: &AppState,
    source: Source,
    principal: Option<&Principal>,
    hits: &[Hit],
) -> Result<Vec<SupplierDocument>, ApiError> {
    let ids: Vec<_> = hits.iter().map(|h| h.id).collect();
    let mut records: HashMap<_, _> = search::records(state.search_pools_of(source), &ids)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let mut data = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(record) = records.remove(&id) else {
            continue;
        };
        let Some(view) = view_of(principal, &record) else {
            continue;
        };
        data.push(document(record, view)?);
    }
    Ok(data)
}

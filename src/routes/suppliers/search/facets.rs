//! `GET /v1/suppliers/facets`: counts over every match, kept in memory while no change is
//! committed (see `db::search::AnswerCache`).

use actix_web::{HttpRequest, HttpResponse, get, web};
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    params::{NoParams, Query, SearchParams},
    visibility::visibility,
};
use crate::{
    auth::MaybePrincipal,
    db::search::{self, Answer, Filters, Visibility},
    error::ApiError,
    state::{AppState, ReadKind},
};

/// A value and how many matching suppliers have it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FacetCount {
    pub value: String,
    pub count: i64,
}

/// Counts over every supplier that matches the filters.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Facets {
    /// At every level of the taxonomy: a supplier counts for its codes and all their ancestors.
    pub capability: Vec<FacetCount>,
    pub country: Vec<FacetCount>,
    pub subdivision: Vec<FacetCount>,
    pub size_class: Vec<FacetCount>,
    /// Schemes with a certificate valid today.
    pub certification: Vec<FacetCount>,
    pub status: Vec<FacetCount>,
}

/// Facet counts.
///
/// Takes the same filters as the search and counts the matches by capability (every level),
/// country, subdivision, size class, certification (valid today) and status; most frequent
/// first.
#[utoipa::path(
    operation_id = "suppliers_facets",
    tag = "suppliers",
    params(SearchParams),
    responses((status = 200, description = "The counts.", body = Facets)),
    security((), ("bearer" = []), ("oauth2" = []))
)]
#[get("/suppliers/facets")]
pub async fn supplier_facets(
    req: HttpRequest,
    principal: MaybePrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let visibility = visibility(principal.0.as_ref());
    let query = Query::<NoParams>::parse(req.query_string())?;
    let filters = query.filters.into_filters(&visibility)?;
    let source = state.read_source(&req).await;
    let (source, mut conn) = state.read_conn(source, ReadKind::Plain).await?;
    let cache = &state.facets_cache;
    // The replica's answers are those of the primary at an earlier generation: one cache serves
    // both.
    let body = if cache.enabled() {
        // Read before the counts, so that an entry is never older than its generation.
        let generation = search::generation(&mut conn)
            .await
            .map_err(|e| state.read_failed(source, e.into()))?;
        let key = format!("{visibility:?} {filters:?}");
        let counts = facet_counts(&mut conn, &filters, &visibility);
        cache
            .get_or_compute(key, generation, counts)
            .await
            .map_err(ApiError::from_shared)
    } else {
        facet_counts(&mut conn, &filters, &visibility).await
    }
    .map_err(|e| state.read_failed(source, e))?;
    Ok(HttpResponse::Ok()
        .content_type(mime::APPLICATION_JSON)
        .body(web::Bytes::from_owner(body)))
}

/// The facets of a search, as the JSON body of the answer.
async fn facet_counts(
    conn: &mut AsyncPgConnection,
    filters: &Filters,
    visibility: &Visibility,
) -> Result<Answer, ApiError> {
    let mut rows = search::facets(conn, filters, visibility).await?;
    rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    let mut facets = Facets::default();
    for row in rows {
        let list = match row.facet.as_str() {
            "capability" => &mut facets.capability,
            "country" => &mut facets.country,
            "subdivision" => &mut facets.subdivision,
            "size_class" => &mut facets.size_class,
            "certification" => &mut facets.certification,
            _ => &mut facets.status,
        };
        list.push(FacetCount {
            value: row.value,
            count: row.count,
        });
    }
    let body = serde_json::to_vec(&facets).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Answer::from(body))
}

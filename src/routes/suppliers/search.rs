//! Search and discovery: `GET /v1/suppliers` (filters, sorts, keyset pages), `/facets` (counts
//! over the same filters) and `/export` (every match, streamed as CSV or NDJSON).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, get, http::header, web};
use chrono::{DateTime, Utc};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::{SupplierDocument, document, view_of};
use crate::{
    auth::{MaybePrincipal, Principal, PrincipalKind, Role},
    db::search::{self, After, ExportRow, Filters, Sort, Visibility},
    domain::codes::{is_country, is_subdivision},
    error::ApiError,
    http::pagination::{DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, encode_cursor},
    state::AppState,
};

const STATUSES: [&str; 6] = [
    "draft",
    "pending",
    "verified",
    "rejected",
    "suspended",
    "archived",
];

/// The filters of `GET /v1/suppliers`, `/facets` and `/export` (documentation of the query string;
/// it is parsed by [`parse`], which names any bad parameter in a 400).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct SearchParams {
    /// Fuzzy, accent- and case-insensitive match on legal and trade name (`najera` finds
    /// `Nájera`, a one-letter typo still matches); only matching suppliers are returned.
    q: Option<String>,
    /// A capability code; matches itself and every code below it. Repeat for any of several.
    #[param(explode = true)]
    capability: Option<Vec<String>>,
    /// ISO 3166-1 alpha-2.
    #[param(example = "MX")]
    country: Option<String>,
    /// ISO 3166-2.
    #[param(example = "MX-JAL")]
    subdivision: Option<String>,
    /// Comma list of `micro`, `small`, `medium`, `large`.
    #[param(example = "micro,small")]
    size_class: Option<String>,
    /// A certification scheme of which the supplier holds a certificate valid today.
    #[param(example = "iso_9001")]
    certification: Option<String>,
    /// Comma list of statuses. Default: every status the caller may see except `archived`
    /// (anonymous callers: `verified` only).
    status: Option<String>,
    /// `lat,lon`; with `radius_km`.
    #[param(example = "20.67,-103.35")]
    near: Option<String>,
    /// Radius around `near` in km: above 0, at most 1000.
    radius_km: Option<f64>,
    /// Only suppliers changed at or after this RFC 3339 time.
    updated_since: Option<DateTime<Utc>>,
}

/// Sorting and paging of `GET /v1/suppliers`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    /// `name` (default without `q`), `-updated_at`, `distance` (with `near`), `relevance`
    /// (with `q`; default with it).
    sort: Option<String>,
    /// 1 to 100, default 20.
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The format of an export.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ExportParams {
    /// `csv` (default) or `ndjson`.
    format: Option<String>,
}

/// A parsed search.
struct Search {
    filters: Filters,
    sort: Sort,
    limit: i64,
    cursor: Option<String>,
    format: Option<String>,
}

fn bad(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request(field, "invalid", message)
}

fn is_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 60
        && code.split('.').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Parses the query string; `extra` names parameters allowed besides the filters.
fn parse(query: &str, extra: &[&str], visibility: &Visibility) -> Result<Search, ApiError> {
    let mut single: HashMap<String, String> = HashMap::new();
    let mut capabilities = Vec::new();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let key = key.into_owned();
        match key.as_str() {
            "capability" => {
                if !is_code(&value) {
                    return Err(bad(
                        "capability",
                        "is not a capability code (like atp.asm.wb)",
                    ));
                }
                capabilities.push(value.into_owned());
            }
            "q" | "country" | "subdivision" | "size_class" | "certification" | "status"
            | "near" | "radius_km" | "updated_since" | "sort" | "limit" | "cursor" => {
                if single.insert(key.clone(), value.into_owned()).is_some() {
                    return Err(bad(&key, "is given more than once"));
                }
            }
            k if extra.contains(&k) => {
                if single.insert(key.clone(), value.into_owned()).is_some() {
                    return Err(bad(&key, "is given more than once"));
                }
            }
            _ => return Err(bad(&key, "is not a parameter of this operation")),
        }
    }
    let list = |key: &str, allowed: &[&str]| -> Result<Vec<String>, ApiError> {
        let Some(raw) = single.get(key) else {
            return Ok(Vec::new());
        };
        raw.split(',')
            .map(|v| {
                let v = v.trim();
                if allowed.contains(&v) {
                    Ok(v.to_owned())
                } else {
                    Err(bad(
                        key,
                        format!("`{v}` is not one of {}", allowed.join(", ")),
                    ))
                }
            })
            .collect()
    };
    let q = match single.get("q").map(|q| q.trim()) {
        Some(q) if q.is_empty() || q.chars().count() > 200 => {
            return Err(bad("q", "must be 1 to 200 characters"));
        }
        other => other.map(str::to_owned),
    };
    let country = single.get("country").cloned();
    if let Some(c) = &country
        && !is_country(c)
    {
        return Err(bad(
            "country",
            "is not an ISO 3166-1 alpha-2 code (like MX)",
        ));
    }
    let subdivision = single.get("subdivision").cloned();
    if let Some(s) = &subdivision
        && !is_subdivision(s)
    {
        return Err(bad(
            "subdivision",
            "is not an ISO 3166-2 code (like MX-JAL)",
        ));
    }
    let certification = single.get("certification").cloned();
    if let Some(c) = &certification
        && !(c.len() <= 60
            && !c.is_empty()
            && c.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'))
    {
        return Err(bad(
            "certification",
            "is not a certification scheme code (like iso_9001)",
        ));
    }
    let size_classes = list("size_class", &["micro", "small", "medium", "large"])?;
    let mut statuses = list("status", &STATUSES)?;
    if statuses.is_empty() {
        statuses = match visibility {
            Visibility::Public => vec!["verified".into()],
            _ => STATUSES
                .iter()
                .filter(|s| **s != "archived")
                .map(|s| s.to_string())
                .collect(),
        };
    }
    let near = match (single.get("near"), single.get("radius_km")) {
        (None, None) => None,
        (Some(_), None) => return Err(bad("radius_km", "is required with near")),
        (None, Some(_)) => return Err(bad("near", "is required with radius_km")),
        (Some(near), Some(radius)) => {
            let point = near
                .split_once(',')
                .and_then(|(a, b)| {
                    Some((a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?))
                })
                .filter(|(lat, lon)| {
                    (-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon)
                });
            let (lat, lon) = point.ok_or_else(|| bad("near", "must be `lat,lon` in degrees"))?;
            let radius: f64 = radius
                .parse()
                .ok()
                .filter(|r: &f64| *r > 0.0 && *r <= 1000.0)
                .ok_or_else(|| bad("radius_km", "must be a number above 0 and at most 1000"))?;
            Some((lat, lon, radius))
        }
    };
    let updated_since = single
        .get("updated_since")
        .map(|t| DateTime::parse_from_rfc3339(t).map(|t| t.with_timezone(&Utc)))
        .transpose()
        .map_err(|_| {
            bad(
                "updated_since",
                "is not an RFC 3339 time (like 2026-11-27T21:15:08Z)",
            )
        })?;
    let sort = match single.get("sort").map(String::as_str) {
        None if q.is_some() => Sort::Relevance,
        None | Some("name") => Sort::Name,
        Some("-updated_at") => Sort::UpdatedDesc,
        Some("distance") if near.is_some() => Sort::Distance,
        Some("distance") => return Err(bad("sort", "`distance` needs near and radius_km")),
        Some("relevance") if q.is_some() => Sort::Relevance,
        Some("relevance") => return Err(bad("sort", "`relevance` needs q")),
        Some(other) => {
            return Err(bad(
                "sort",
                format!("`{other}` is not one of name, -updated_at, distance, relevance"),
            ));
        }
    };
    let limit = match single.get("limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| bad("limit", "must be a whole number from 1 to 100"))?,
    };
    Ok(Search {
        filters: Filters {
            q,
            capabilities,
            country,
            subdivision,
            size_classes,
            certification,
            statuses,
            near,
            updated_since,
        },
        sort,
        limit,
        cursor: single.get("cursor").cloned(),
        format: single.get("format").cloned(),
    })
}

fn visibility(principal: Option<&Principal>) -> Visibility {
    match principal {
        None => Visibility::Public,
        Some(p) => match (p.role, p.kind) {
            (Role::Admin | Role::Agency, _) => Visibility::All,
            (Role::Viewer, _) => Visibility::AllButArchived,
            (Role::Supplier, PrincipalKind::User) => Visibility::Owner(p.id),
            (Role::Supplier, PrincipalKind::Client) => Visibility::Public,
        },
    }
}

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
    security((), ("bearer" = []))
)]
#[get("/suppliers")]
pub async fn list_suppliers(
    req: HttpRequest,
    principal: MaybePrincipal,
    state: web::Data<AppState>,
) -> Result<web::Json<Page<SupplierDocument>>, ApiError> {
    let visibility = visibility(principal.0.as_ref());
    let search = parse(
        req.query_string(),
        &["sort", "limit", "cursor"],
        &visibility,
    )?;
    let scope = cursor_scope(search.sort);
    let after: Option<After> = search
        .cursor
        .as_deref()
        .map(|c| decode_cursor(&state.digest_key, &scope, c))
        .transpose()?;
    let mut hits = search::page(
        &state.search_pools,
        &search.filters,
        &visibility,
        search.sort,
        after.as_ref(),
        search.limit + 1,
    )
    .await?;
    let more = hits.len() as i64 > search.limit;
    hits.truncate(search.limit as usize);
    let next_cursor = more
        .then(|| {
            hits.last()
                .map(|h| encode_cursor(&state.digest_key, &scope, &h.after()))
        })
        .flatten();
    let ids: Vec<_> = hits.iter().map(|h| h.id).collect();
    let mut records: HashMap<_, _> = search::records(&state.search_pools, &ids)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let mut data = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(record) = records.remove(&id) else {
            continue;
        };
        let Some(view) = view_of(principal.0.as_ref(), &record) else {
            continue;
        };
        data.push(document(record, view)?);
    }
    Ok(web::Json(Page { data, next_cursor }))
}

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
    security((), ("bearer" = []))
)]
#[get("/suppliers/facets")]
pub async fn supplier_facets(
    req: HttpRequest,
    principal: MaybePrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let visibility = visibility(principal.0.as_ref());
    let search = parse(req.query_string(), &[], &visibility)?;
    let mut conn = state.pool.get().await?;
    let cache = &state.facets_cache;
    let body = if cache.enabled() {
        // Read before the counts, so that an entry is never older than its generation.
        let generation = search::generation(&mut conn).await?;
        let key = format!("{visibility:?} {:?}", search.filters);
        cache
            .get_or_compute(&key, generation, async || {
                facet_counts(&mut conn, &search.filters, &visibility).await
            })
            .await?
    } else {
        facet_counts(&mut conn, &search.filters, &visibility).await?
    };
    Ok(HttpResponse::Ok()
        .content_type(mime::APPLICATION_JSON)
        .body(body))
}

/// The facets of a search, as the JSON body of the answer.
async fn facet_counts(
    conn: &mut diesel_async::AsyncPgConnection,
    filters: &Filters,
    visibility: &Visibility,
) -> Result<web::Bytes, ApiError> {
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
    Ok(web::Bytes::from(body))
}

const CSV_COLUMNS: [&str; 18] = [
    "id",
    "legal_name",
    "trade_name",
    "tax_id",
    "country",
    "subdivision",
    "city",
    "sector",
    "employees",
    "size_class",
    "size_rule",
    "status",
    "capabilities",
    "certifications",
    "website",
    "lat",
    "lon",
    "updated_at",
];

/// Writes one CSV record, field by field, without copying the row.
fn write_csv(
    csv: &mut csv::Writer<Vec<u8>>,
    row: &ExportRow,
    today: chrono::NaiveDate,
    joined: &mut String,
) -> csv::Result<()> {
    fn opt(v: &Option<String>) -> &str {
        v.as_deref().unwrap_or_default()
    }
    let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    csv.write_field(
        row.id
            .hyphenated()
            .encode_lower(&mut uuid::Uuid::encode_buffer()),
    )?;
    csv.write_field(&row.legal_name)?;
    csv.write_field(opt(&row.trade_name))?;
    csv.write_field(&row.tax_id)?;
    csv.write_field(&row.country)?;
    csv.write_field(opt(&row.subdivision))?;
    csv.write_field(opt(&row.city))?;
    csv.write_field(&row.sector)?;
    csv.write_field(row.employees.to_string())?;
    csv.write_field(&row.size_class)?;
    csv.write_field(&row.size_rule)?;
    csv.write_field(&row.status)?;
    joined.clear();
    for (i, code) in row.capabilities.iter().enumerate() {
        if i > 0 {
            joined.push(';');
        }
        joined.push_str(code);
    }
    csv.write_field(joined.as_str())?;
    joined.clear();
    for (i, scheme) in row.certifications(today).enumerate() {
        if i > 0 {
            joined.push(';');
        }
        joined.push_str(scheme);
    }
    csv.write_field(joined.as_str())?;
    csv.write_field(opt(&row.website))?;
    csv.write_field(num(row.lat))?;
    csv.write_field(num(row.lon))?;
    csv.write_field(
        row.updated_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    )?;
    csv.write_record(None::<&[u8]>)
}

/// One exported supplier as an NDJSON line.
#[derive(Serialize)]
struct ExportDocument<'a> {
    id: uuid::Uuid,
    legal_name: &'a str,
    trade_name: Option<&'a str>,
    tax_id: &'a str,
    country: &'a str,
    subdivision: Option<&'a str>,
    city: Option<&'a str>,
    sector: &'a str,
    employees: i64,
    size_class: &'a str,
    size_rule: &'a str,
    status: &'a str,
    capabilities: &'a [String],
    certifications: Vec<&'a str>,
    website: Option<&'a str>,
    lat: Option<f64>,
    lon: Option<f64>,
    updated_at: DateTime<Utc>,
}

impl<'a> ExportDocument<'a> {
    fn of(row: &'a ExportRow, today: chrono::NaiveDate) -> Self {
        ExportDocument {
            id: row.id,
            legal_name: &row.legal_name,
            trade_name: row.trade_name.as_deref(),
            tax_id: &row.tax_id,
            country: &row.country,
            subdivision: row.subdivision.as_deref(),
            city: row.city.as_deref(),
            sector: &row.sector,
            employees: row.employees,
            size_class: &row.size_class,
            size_rule: &row.size_rule,
            status: &row.status,
            capabilities: &row.capabilities,
            certifications: row.certifications(today).collect(),
            website: row.website.as_deref(),
            lat: row.lat,
            lon: row.lon,
            updated_at: row.updated_at,
        }
    }
}

/// Export suppliers.
///
/// Every supplier that matches the filters (no limit), in name order, streamed as it is read:
/// `format=csv` (a header row, then one row per supplier; capabilities and valid certifications
/// as `;`-separated codes) or `format=ndjson` (one JSON object per line, the same fields).
/// Contacts are never exported.
#[utoipa::path(
    operation_id = "suppliers_export",
    tag = "suppliers",
    params(SearchParams, ExportParams),
    responses((status = 200, description = "The matches.",
        content((String = "text/csv"), (String = "application/x-ndjson")))),
    security((), ("bearer" = []))
)]
#[get("/suppliers/export")]
pub async fn export_suppliers(
    req: HttpRequest,
    principal: MaybePrincipal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let visibility = visibility(principal.0.as_ref());
    let search = parse(req.query_string(), &["format"], &visibility)?;
    if search.cursor.is_some() || req.query_string().contains("limit=") {
        return Err(bad(
            if search.cursor.is_some() {
                "cursor"
            } else {
                "limit"
            },
            "does not apply to an export",
        ));
    }
    let ndjson = match search.format.as_deref() {
        None | Some("csv") => false,
        Some("ndjson") => true,
        Some(_) => return Err(bad("format", "must be csv or ndjson")),
    };
    let conn = state.pool.get().await?;
    let query = search::export_query(&search.filters, &visibility);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<web::Bytes, std::io::Error>>(8);
    // The rows are written in chunks as they arrive; the channel's bound keeps memory flat when
    // the client reads slower than the database sends.
    let statement_timeout = state.config.database_statement_timeout.as_millis();
    actix_web::rt::spawn(async move {
        let mut conn = conn;
        // An export may outlast the statement timeout that protects interactive requests.
        if conn
            .batch_execute("SET statement_timeout = 0")
            .await
            .is_err()
        {
            let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
            return;
        }
        let finished = stream_export(&mut conn, query, ndjson, &tx).await;
        let restored = finished
            && conn
                .batch_execute(&format!("SET statement_timeout = {statement_timeout}"))
                .await
                .is_ok();
        if !restored {
            // Never hand the pool a connection without its timeout: close it instead.
            drop(deadpool::managed::Object::take(conn));
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let (content_type, file) = if ndjson {
        ("application/x-ndjson", "suppliers.ndjson")
    } else {
        ("text/csv; charset=utf-8", "suppliers.csv")
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .streaming(body))
}

/// Writes every exported row to `tx` in chunks; false when the export stopped early (a database
/// error, or the client went away).
async fn stream_export(
    conn: &mut diesel_async::AsyncPgConnection,
    query: diesel::query_builder::BoxedSqlQuery<
        'static,
        diesel::pg::Pg,
        diesel::query_builder::SqlQuery,
    >,
    ndjson: bool,
    tx: &tokio::sync::mpsc::Sender<Result<web::Bytes, std::io::Error>>,
) -> bool {
    let today = match search::current_date(conn).await {
        Ok(today) => today,
        Err(e) => {
            tracing::error!(error = %e, "export query failed");
            let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
            return false;
        }
    };
    let rows = match query.load_stream::<ExportRow>(conn).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::error!(error = %e, "export query failed");
            let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
            return false;
        }
    };
    futures_util::pin_mut!(rows);
    // NDJSON lines go to `buf`; CSV rows to the writer's own buffer. Either is sent once it
    // holds 32 KiB.
    let mut buf = Vec::with_capacity(64 * 1024);
    let new_csv = || {
        csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::with_capacity(64 * 1024))
    };
    let mut csv = new_csv();
    let mut joined = String::new();
    if !ndjson {
        let _ = csv.write_record(CSV_COLUMNS);
    }
    while let Some(row) = rows.next().await {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                tracing::error!(error = %e, "export stream failed");
                let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                return false;
            }
        };
        let chunk = if ndjson {
            if serde_json::to_writer(&mut buf, &ExportDocument::of(&row, today)).is_ok() {
                buf.push(b'\n');
            }
            (buf.len() >= 32 * 1024).then(|| std::mem::take(&mut buf))
        } else {
            let _ = write_csv(&mut csv, &row, today, &mut joined);
            (csv.get_ref().len() >= 32 * 1024).then(|| {
                std::mem::replace(&mut csv, new_csv())
                    .into_inner()
                    .unwrap_or_default()
            })
        };
        if let Some(chunk) = chunk
            && tx.send(Ok(web::Bytes::from(chunk))).await.is_err()
        {
            return false; // the client went away
        }
    }
    buf.extend(csv.into_inner().unwrap_or_default());
    if !buf.is_empty() {
        let _ = tx.send(Ok(web::Bytes::from(buf))).await;
    }
    true
}

//! The Reconciliation Service API (W3C Entity Reconciliation Community Group, version 0.2) at
//! `/v1/reconcile`, so that OpenRefine and similar tools can reconcile a spreadsheet of company
//! names against the registry: the manifest, and batches of queries answered by the same
//! matcher as `POST /v1/suppliers/match`. Anonymous callers reconcile against verified
//! suppliers; with a token, against what the caller may see.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, get, http::header, post, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::{
    auth::MaybePrincipal,
    domain::{
        codes::is_country,
        matching::{Company, Strength},
        tax_id, text,
    },
    error::ApiError,
    http::json,
    routes::suppliers::matching::ranked,
    state::AppState,
};

/// The most queries one batch may hold.
const MAX_QUERIES: usize = 50;

/// The type every result has.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EntityType {
    #[schema(example = "supplier")]
    pub id: String,
    #[schema(example = "Supplier")]
    pub name: String,
}

fn supplier_type() -> EntityType {
    EntityType {
        id: "supplier".into(),
        name: "Supplier".into(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct View {
    /// The document of a supplier; `{{id}}` is its id.
    #[schema(example = "https://registry.example/v1/suppliers/{{id}}")]
    pub url: String,
}

/// The service manifest.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    #[schema(example = json!(["0.2"]))]
    pub versions: Vec<String>,
    #[schema(example = "Supplier registry")]
    pub name: String,
    /// Result ids are supplier ids: this prefix and the id make the supplier's URL.
    pub identifier_space: String,
    pub schema_space: String,
    pub default_types: Vec<EntityType>,
    pub view: View,
}

/// Reconciliation service manifest.
///
/// The Reconciliation Service API 0.2 manifest: add this URL as a reconciliation service in
/// OpenRefine.
#[utoipa::path(
    operation_id = "reconcile_manifest",
    tag = "integration",
    responses((status = 200, description = "The manifest.", body = Manifest)),
    security((), ("bearer" = []), ("oauth2" = []))
)]
#[get("/reconcile")]
pub async fn manifest(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let base = base_url(&req, &state);
    HttpResponse::Ok().json(Manifest {
        versions: vec!["0.2".into()],
        name: "Supplier registry".into(),
        identifier_space: format!("{base}/v1/suppliers/"),
        schema_space: format!("{base}/v1/"),
        default_types: vec![supplier_type()],
        view: View {
            url: format!("{base}/v1/suppliers/{{{{id}}}}"),
        },
    })
}

/// Where the service is reached: `PUBLIC_URL` when set; else this request's `Host` over the
/// scheme the connection came in on (forwarded headers are not trusted for it: a client could
/// otherwise make the manifest name any site).
fn base_url(req: &HttpRequest, state: &AppState) -> String {
    if let Some(url) = &state.config.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = if req.app_config().secure() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// A property a query may carry.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PropertyId {
    Country,
    TaxId,
    City,
    Subdivision,
    Website,
}

/// A property of a query.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryProperty {
    pub pid: PropertyId,
    /// The value: a string or number, a list (its first), or an entity `{ "id" }`.
    #[schema(value_type = Value, example = "MX")]
    pub v: Value,
}

/// One query of a batch.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({ "query": "Ensambles del Bajio", "type": "supplier", "limit": 3,
    "properties": [{ "pid": "country", "v": "MX" }] }))]
#[serde(deny_unknown_fields)]
pub struct ReconQuery {
    #[schema(min_length = 1, max_length = 300)]
    pub query: String,
    /// `supplier` (the only type), or a list of type ids holding it.
    #[serde(default, rename = "type")]
    #[schema(value_type = Option<Value>, example = "supplier")]
    pub kind: Option<Value>,
    /// 1 to 20, default 5 (a whole number; `18.0` is 18, as JSON Schema reads it).
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 20)]
    pub limit: Option<Value>,
    #[serde(default)]
    pub properties: Vec<QueryProperty>,
    /// Accepted and ignored (there is one type).
    #[serde(default)]
    pub type_strict: Option<String>,
}

/// A candidate.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReconCandidate {
    /// The supplier's id.
    pub id: String,
    pub name: String,
    /// 0 to 1, from the matcher.
    pub score: f64,
    /// True only for an `exact` candidate (same tax id or external reference).
    #[serde(rename = "match")]
    pub is_match: bool,
    #[serde(rename = "type")]
    pub kind: Vec<EntityType>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReconResult {
    pub result: Vec<ReconCandidate>,
}

/// The query batch, as a JSON body: query keys (`q0`, …) to queries.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({ "q0": { "query": "Ensambles del Bajio", "limit": 3 } }))]
pub struct ReconBatch(pub BTreeMap<String, ReconQuery>);

/// The answer: each query key to its results.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReconResults(pub BTreeMap<String, ReconResult>);

/// Reconcile names.
///
/// A batch of queries (`queries` form field, as OpenRefine sends it, or the batch as a JSON body)
/// answered from the matcher of `POST /v1/suppliers/match`: each query's candidates best first,
/// `match: true` only for an exact one. Properties `country`, `tax_id`, `city`, `subdivision`,
/// `website` sharpen a query. At most 50 queries. Anonymous callers reconcile against verified
/// suppliers.
#[utoipa::path(
    operation_id = "reconcile_queries",
    tag = "integration",
    request_body(content((ReconBatch = "application/json")),
        description = "The batch. OpenRefine sends it as the form field `queries` \
            (`application/x-www-form-urlencoded`, the same JSON as its value), which is accepted too."),
    responses((status = 200, description = "Results by query key.", body = ReconResults)),
    security((), ("bearer" = []), ("oauth2" = []))
)]
#[post("/reconcile")]
pub async fn reconcile(
    req: HttpRequest,
    principal: MaybePrincipal,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let batch = batch_of(&req, &body)?;
    let mut conn = state.pool.get().await?;
    let mut out = BTreeMap::new();
    for (key, query) in batch {
        let limit = limit_of(&query.limit).unwrap_or(5).clamp(1, 20) as usize;
        let described = described(&key, query)?;
        let found = ranked(&mut conn, principal.0.as_ref(), &described, None, limit).await?;
        let result = found
            .into_iter()
            .map(|c| ReconCandidate {
                id: c.supplier_id.to_string(),
                name: c.supplier.legal_name,
                score: c.score,
                is_match: c.strength == Strength::Exact,
                kind: vec![supplier_type()],
            })
            .collect();
        out.insert(key, ReconResult { result });
    }
    Ok(HttpResponse::Ok().json(out))
}

/// The batch of a form or JSON body; 400 naming what is wrong.
fn batch_of(req: &HttpRequest, body: &[u8]) -> Result<BTreeMap<String, ReconQuery>, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let bad = |field: &str, m: &str| ApiError::bad_request(field, "invalid", m.to_owned());
    let text: Vec<u8> = if content_type.starts_with("application/x-www-form-urlencoded") {
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
            .map_err(|_| bad("queries", "the form could not be read"))?;
        form.into_iter()
            .find(|(k, _)| k == "queries")
            .map(|(_, v)| v.into_bytes())
            .ok_or_else(|| bad("queries", "is required"))?
    } else if content_type.starts_with("application/json") {
        body.to_vec()
    } else {
        return Err(ApiError::UnsupportedMediaType(
            "Send the batch as a `queries` form field or as application/json.".into(),
        ));
    };
    let batch: BTreeMap<String, ReconQuery> = json::parse(&text).map_err(|e| match e {
        ApiError::Unprocessable { errors, .. } => {
            let field = match errors.first() {
                Some(f) if f.field != "body" => format!("queries.{}", f.field),
                _ => "queries".to_owned(),
            };
            ApiError::bad_request(
                &field,
                "invalid",
                errors
                    .first()
                    .map_or_else(String::new, |f| f.message.clone()),
            )
        }
        ApiError::BadRequest { .. } => bad("queries", "is not JSON"),
        other => other,
    })?;
    if batch.is_empty() || batch.len() > MAX_QUERIES {
        return Err(bad("queries", "must hold 1 to 50 queries"));
    }
    Ok(batch)
}

/// A query's `limit`: a whole number (`18.0` too), 5 when left out or null.
fn limit_of(limit: &Option<Value>) -> Option<i64> {
    match limit {
        None | Some(Value::Null) => Some(5),
        Some(Value::Number(n)) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 1e6)
                .map(|f| f as i64)
        }),
        Some(_) => None,
    }
}

/// A query as the matcher takes it; 400 naming the part that is wrong.
fn described(key: &str, q: ReconQuery) -> Result<Company, ApiError> {
    let bad = |part: &str, m: String| {
        ApiError::bad_request(&format!("queries.{key}.{part}"), "invalid", m)
    };
    let n = q.query.chars().count();
    if n == 0 || n > 300 || q.query.trim().is_empty() || text::has_control(&q.query) {
        return Err(bad(
            "query",
            "must be 1 to 300 characters, not blank".into(),
        ));
    }
    let supplier = |v: &Value| v.as_str() == Some("supplier");
    let kind_ok = match &q.kind {
        None | Some(Value::Null) => true,
        Some(Value::Array(list)) => {
            !list.is_empty() && list.iter().all(Value::is_string) && list.iter().any(supplier)
        }
        Some(v) => supplier(v),
    };
    if !kind_ok {
        return Err(bad(
            "type",
            "must be `supplier` (or a list of type ids with it)".into(),
        ));
    }
    if !limit_of(&q.limit).is_some_and(|l| (1..=20).contains(&l)) {
        return Err(bad("limit", "must be 1 to 20".into()));
    }
    let mut d = Company {
        legal_name: q.query,
        ..Company::default()
    };
    let mut raw_tax_id = None;
    for (i, p) in q.properties.into_iter().enumerate() {
        let value = match &p.v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Array(list) if list.iter().all(Value::is_string) => {
                list.first().and_then(|v| v.as_str()).map(str::to_owned)
            }
            Value::Object(o)
                if o.keys().all(|k| k == "id" || k == "name")
                    && o.get("name").is_none_or(Value::is_string) =>
            {
                o.get("id").and_then(|v| v.as_str()).map(str::to_owned)
            }
            _ => None,
        };
        let Some(value) = value.filter(|v| !v.trim().is_empty() && v.chars().count() <= 300) else {
            return Err(bad(
                &format!("properties[{i}].v"),
                "must be a value of 1 to 300 characters".into(),
            ));
        };
        match p.pid {
            // A spreadsheet's column is what it is: a value that is no country code matches no
            // supplier's country (so no candidate is `strong`), and is no error.
            PropertyId::Country => d.country = Some(value.trim().to_ascii_uppercase()),
            PropertyId::TaxId => raw_tax_id = Some(value),
            PropertyId::City => d.city = Some(value),
            PropertyId::Subdivision => d.subdivision = Some(value),
            PropertyId::Website => d.website = Some(value),
        }
    }
    // A tax id that does not read by its country's rules matches nothing, but is no error: a
    // spreadsheet's column is what it is.
    d.tax_id = match (&d.country, raw_tax_id) {
        (Some(c), Some(raw)) if is_country(c) => {
            tax_id::parse(c, &raw).ok().map(|t| t.as_str().to_owned())
        }
        _ => None,
    };
    Ok(d)
}

//! Finding a company before it is registered twice: `POST /v1/suppliers/match` (a partial
//! supplier) and `GET /v1/suppliers/{id}/duplicates` (an existing one). The database finds the
//! candidates the caller may see (`db::search::candidates`), the matcher scores them
//! (`domain::matching`). Nothing is written.

use actix_web::{HttpResponse, get, post, web};
use diesel_async::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    search::visibility_of,
    view::{SupplierDocument, check_can_edit, document, not_found, view_of},
};
use crate::{
    auth::Principal,
    db::{
        search::{self, Probe},
        suppliers as store,
    },
    domain::{
        FieldError,
        codes::{is_country, is_subdivision},
        identifier,
        matching::{self, Company, Strength},
        supplier::{self, Contact, ExternalRef, Location},
        tax_id, text,
    },
    error::ApiError,
    http::{JsonBody, pagination::ApiQuery},
    state::AppState,
};

/// A company that may already be registered: what is known of it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "legal_name": "Ensambles del Bajio SA de CV", "country": "MX", "tax_id": "EBA-010203-5A1",
    "city": "León", "website": "https://www.enbajio.mx",
    "contacts": [{ "name": "Ana Pérez", "email": "ana@enbajio.mx", "phone": "+524771234567" }]
}))]
pub struct MatchRequest {
    #[schema(min_length = 1, max_length = 300)]
    pub legal_name: String,
    /// ISO 3166-1 alpha-2; needed with `tax_id`.
    #[serde(default)]
    pub country: Option<String>,
    /// Read as on write (normalised and checked by the country's rules).
    #[serde(default)]
    #[schema(max_length = 40)]
    pub tax_id: Option<String>,
    #[serde(default)]
    pub subdivision: Option<String>,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub city: Option<String>,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub address: Option<String>,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    #[schema(max_length = 2048)]
    pub website: Option<String>,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub external_refs: Vec<ExternalRef>,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub contacts: Vec<Contact>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MatchQuery {
    /// 1 to 20, default 5.
    #[param(minimum = 1, maximum = 20, default = 5)]
    pub limit: Option<i64>,
}

/// A supplier that may be the same company.
#[derive(Debug, Serialize, ToSchema)]
pub struct Candidate {
    pub supplier_id: Uuid,
    /// 0 to 1: `exact` is 1, `strong` from 0.8, `possible` from 0.5.
    #[schema(minimum = 0, maximum = 1, example = 0.86)]
    pub score: f64,
    #[serde(rename = "match")]
    pub strength: Strength,
    /// What agreed: `tax_id`, `external_ref:<system>`, `name`, `website`, `email_domain`,
    /// `phone`, `location`, `city`.
    #[schema(example = json!(["name", "website"]))]
    pub reasons: Vec<String>,
    /// The supplier as the caller may see it.
    pub supplier: SupplierDocument,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatchResponse {
    /// Best first.
    pub data: Vec<Candidate>,
}

/// Match a company against the registry.
///
/// Candidates for a company that may already be registered, best first, among the suppliers
/// the caller may see (anonymous callers cannot ask; archived suppliers are no candidates).
/// `exact`: the same normalised `(country, tax_id)`, or the same external reference. Otherwise a
/// weighted score of the name (accents, case, punctuation and legal-form suffixes such as
/// `S.A. de C.V.`, `S. de R.L.`, `Inc.`, `LLC` ignored; trigram similarity), website domain,
/// e-mail domain (free-mail domains ignored), phone, distance between locations (≤ 1 km strong,
/// ≤ 10 km weak) and city: `strong` from 0.8 needs the same country, the names agreeing and one
/// independent signal (and no tax id that says another company); `possible` from 0.5. Names
/// alone give at most `possible`. Nothing is written.
#[utoipa::path(
    operation_id = "suppliers_match",
    tag = "suppliers",
    params(MatchQuery),
    request_body = MatchRequest,
    responses((status = 200, description = "The candidates, best first.", body = MatchResponse)),
    security(("bearer" = []), ("oauth2" = ["read"]))
)]
#[post("/suppliers/match")]
pub async fn match_supplier(
    principal: Principal,
    state: web::Data<AppState>,
    query: ApiQuery<MatchQuery>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let limit = limit_of(query.0.limit)?;
    let mut request: MatchRequest = body.parse()?;
    check(&mut request).map_err(ApiError::unprocessable)?;
    let mut conn = state.pool.get().await?;
    let data = ranked(
        &mut conn,
        Some(&principal),
        &company_of(&request),
        None,
        limit,
    )
    .await?;
    Ok(HttpResponse::Ok().json(MatchResponse { data }))
}

/// Possible duplicates of a supplier.
///
/// The answer of `POST /v1/suppliers/match` for an existing supplier (itself left out): owners,
/// agencies and admins.
#[utoipa::path(
    operation_id = "suppliers_duplicates",
    tag = "suppliers",
    params(("id" = Uuid, Path, description = "The supplier's id"), MatchQuery),
    responses((status = 200, description = "The candidates, best first.", body = MatchResponse)),
    security(("bearer" = ["supplier", "agency", "admin"]), ("oauth2" = ["read"]))
)]
#[get("/suppliers/{id}/duplicates")]
pub async fn supplier_duplicates(
    principal: Principal,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: ApiQuery<MatchQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = limit_of(query.0.limit)?;
    let mut conn = state.pool.get().await?;
    let record = store::find_record(&mut conn, *id, false)
        .await?
        .ok_or_else(not_found)?;
    // Owners, agencies (in their countries) and admins: 404 when the caller cannot see it.
    check_can_edit(&principal, &record)?;
    let described = record.company();
    let data = ranked(
        &mut conn,
        Some(&principal),
        &described,
        Some(record.id),
        limit,
    )
    .await?;
    Ok(HttpResponse::Ok().json(MatchResponse { data }))
}

fn limit_of(limit: Option<i64>) -> Result<usize, ApiError> {
    match limit.unwrap_or(5) {
        n @ 1..=20 => Ok(n as usize),
        _ => Err(ApiError::bad_request("limit", "invalid", "must be 1 to 20")),
    }
}

/// The company a match request describes.
pub fn company_of(r: &MatchRequest) -> Company {
    Company {
        legal_name: r.legal_name.clone(),
        trade_name: None,
        country: r.country.clone(),
        tax_id: r.tax_id.clone(),
        subdivision: r.subdivision.clone(),
        city: r.city.clone(),
        website: r.website.clone(),
        emails: r.contacts.iter().filter_map(|c| c.email.clone()).collect(),
        phones: r.contacts.iter().filter_map(|c| c.phone.clone()).collect(),
        location: r.location.as_ref().map(|l| (l.lat, l.lon)),
        refs: r
            .external_refs
            .iter()
            .map(|x| (x.system.clone(), x.value.clone()))
            .collect(),
    }
}

/// The candidates for `described` that the caller may see, scored, best first, at most `limit`.
pub async fn ranked(
    conn: &mut AsyncPgConnection,
    principal: Option<&Principal>,
    described: &Company,
    exclude: Option<Uuid>,
    limit: usize,
) -> Result<Vec<Candidate>, ApiError> {
    let visibility = visibility_of(principal);
    let ids = search::candidates(conn, &Probe::of(described, exclude), &visibility).await?;
    let records = store::find_records(conn, &ids).await?;
    let query = described.party();
    let mut scored = Vec::new();
    for record in records {
        let Some(view) = view_of(principal, &record) else {
            continue;
        };
        let other = record.company();
        if let Some(s) = matching::score(&query, &other.party()) {
            scored.push((s, record, view));
        }
    }
    scored.sort_by(|a, b| b.0.score.total_cmp(&a.0.score).then(a.1.id.cmp(&b.1.id)));
    scored.truncate(limit);
    scored
        .into_iter()
        .map(|(s, record, view)| {
            Ok(Candidate {
                supplier_id: record.id,
                score: s.score,
                strength: s.strength,
                reasons: s.reasons.iter().map(|r| r.as_str().into_owned()).collect(),
                supplier: document(record, view)?,
            })
        })
        .collect()
}

/// The rules of a match request; values are normalised in place (tax id, references).
pub fn check(r: &mut MatchRequest) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut text_rule = |field: &str, value: &str, max: usize| {
        let n = value.chars().count();
        if n == 0 || n > max || value.trim().is_empty() || text::has_control(value) {
            errors.push(FieldError::new(
                field,
                "length",
                format!("must be 1 to {max} characters, not blank, without control characters"),
            ));
        }
    };
    text_rule("legal_name", &r.legal_name, 300);
    for (field, value, max) in [
        ("city", &r.city, 200),
        ("address", &r.address, 500),
        ("website", &r.website, 2048),
    ] {
        if let Some(v) = value {
            text_rule(field, v, max);
        }
    }
    if let Some(c) = &r.country
        && !is_country(c)
    {
        errors.push(FieldError::new(
            "country",
            "country",
            "is not an ISO 3166-1 alpha-2 code (like MX)",
        ));
    }
    if let Some(s) = &r.subdivision
        && !is_subdivision(s)
    {
        errors.push(FieldError::new(
            "subdivision",
            "subdivision",
            "is not an ISO 3166-2 code (like MX-JAL)",
        ));
    }
    match (&r.tax_id, &r.country) {
        (Some(_), None) => errors.push(FieldError::new(
            "country",
            "required",
            "is required with tax_id",
        )),
        (Some(raw), Some(country)) if is_country(country) => match tax_id::parse(country, raw) {
            Ok(t) => r.tax_id = Some(t.as_str().to_owned()),
            Err(e) => errors.push(FieldError::new("tax_id", "tax_id", e)),
        },
        _ => {}
    }
    if let Some(l) = &r.location
        && !((-90.0..=90.0).contains(&l.lat) && (-180.0..=180.0).contains(&l.lon))
    {
        errors.push(FieldError::new(
            "location",
            "range",
            "lat is -90 to 90 and lon -180 to 180",
        ));
    }
    if r.external_refs.len() > 50 {
        errors.push(FieldError::new("external_refs", "max_items", "at most 50"));
    }
    for (i, x) in r.external_refs.iter_mut().enumerate() {
        if !identifier::is_system_code(&x.system) {
            errors.push(FieldError::new(
                format!("external_refs[{i}].system"),
                "pattern",
                "must be 1 to 40 of a-z, 0-9 and _",
            ));
            continue;
        }
        let n = x.value.chars().count();
        if n == 0 || n > 200 || x.value.trim().is_empty() || text::has_control(&x.value) {
            errors.push(FieldError::new(
                format!("external_refs[{i}].value"),
                "length",
                "must be 1 to 200 characters, not blank, without control characters",
            ));
            continue;
        }
        match identifier::normalise(&x.system, &x.value) {
            Ok(v) => x.value = v,
            Err(e) => errors.push(FieldError::new(
                format!("external_refs[{i}].value"),
                "format",
                e,
            )),
        }
    }
    supplier::check_contacts(&r.contacts, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

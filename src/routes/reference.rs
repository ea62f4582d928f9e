//! Reference data anyone may read: certification schemes, and countries with their ISO 3166-2
//! subdivisions and the MSME size rule that applies to them.

use actix_web::{HttpResponse, get, http::header, web};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    db::reference::{self, SizeRuleRow},
    error::ApiError,
    state::AppState,
};

/// A certification scheme that `certifications[].scheme` may name.
#[derive(Debug, Serialize, ToSchema)]
pub struct SchemeResponse {
    #[schema(example = "iso_9001")]
    pub code: String,
    #[schema(example = "ISO 9001")]
    pub name: String,
    #[schema(example = "Quality management systems")]
    pub scope: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SchemeList {
    pub data: Vec<SchemeResponse>,
    /// Always null: the whole list is one page (every list answers `{ data, next_cursor }`).
    pub next_cursor: Option<String>,
}

/// Certification schemes.
///
/// The schemes a supplier's certificates may belong to.
#[utoipa::path(
    operation_id = "certification_schemes_list",
    tag = "reference",
    responses((status = 200, description = "Every scheme.", body = SchemeList)),
    security((), ("bearer" = []), ("oauth2" = []))
)]
#[get("/certification-schemes")]
pub async fn list_schemes(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let data = reference::all_schemes(&mut conn)
        .await?
        .into_iter()
        .map(|s| SchemeResponse {
            code: s.code,
            name: s.name,
            scope: s.scope,
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(SchemeList {
            data,
            next_cursor: None,
        }))
}

/// An MSME size rule.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SizeRuleResponse {
    #[schema(example = "MX-DOF-2009-06-30")]
    pub id: String,
    /// `mx_combined_score`, `sales_bands`, `employee_and_sales_bands` or `employee_bands`.
    pub method: String,
    /// The rule's figures.
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    /// The legal source.
    pub source: String,
    /// False while the figures are not checked against the primary legal text.
    pub verified: bool,
    pub valid_from: chrono::NaiveDate,
    pub valid_to: Option<chrono::NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubdivisionResponse {
    #[schema(example = "MX-JAL")]
    pub code: String,
    #[schema(example = "Jalisco")]
    pub name: String,
    #[schema(example = "State")]
    pub kind: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountryResponse {
    #[schema(example = "MX")]
    pub code: String,
    #[schema(example = "Mexico")]
    pub name: String,
    pub subdivisions: Vec<SubdivisionResponse>,
    /// The rule that sets suppliers' `size_class` here (the fallback where the country has none).
    pub size_rule: Option<SizeRuleResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountryList {
    pub data: Vec<CountryResponse>,
    /// Always null: the whole list is one page (every list answers `{ data, next_cursor }`).
    pub next_cursor: Option<String>,
}

/// Countries.
///
/// Every ISO 3166-1 country with its ISO 3166-2 subdivisions and the size rule in force there
/// (when a country has no rule of its own, or a supplier's sales are missing or in another
/// currency, the fallback rule decides; see `size_rule` on each supplier).
#[utoipa::path(
    operation_id = "countries_list",
    tag = "reference",
    responses((status = 200, description = "Every country.", body = CountryList)),
    security((), ("bearer" = []), ("oauth2" = []))
)]
#[get("/countries")]
pub async fn list_countries(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let today = chrono::Utc::now().date_naive();
    let rules = rules_in_force(reference::size_rule_rows(&mut conn).await?, today);
    let subdivisions = reference::all_subdivisions(&mut conn).await?;
    let countries = reference::all_countries(&mut conn).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(CountryList {
            data: country_list(countries, subdivisions, &rules),
            next_cursor: None,
        }))
}

/// (country, rule) for the rules in force on `today`; the fallback rule has no country.
fn rules_in_force(
    rows: Vec<SizeRuleRow>,
    today: NaiveDate,
) -> Vec<(Option<String>, SizeRuleResponse)> {
    rows.into_iter()
        .filter(|r| r.valid_from <= today && r.valid_to.is_none_or(|to| today < to))
        .map(|r| {
            let rule = SizeRuleResponse {
                id: r.id,
                method: r.method,
                params: r.params,
                source: r.source,
                verified: r.verified,
                valid_from: r.valid_from,
                valid_to: r.valid_to,
            };
            (r.country, rule)
        })
        .collect()
}

/// Each country (in code order) with its subdivisions (in country order) and its size rule:
/// its own, else the fallback.
fn country_list(
    countries: Vec<(String, String)>,
    subdivisions: Vec<(String, String, String, String)>,
    rules: &[(Option<String>, SizeRuleResponse)],
) -> Vec<CountryResponse> {
    let rule_for = |code: &str| {
        rules
            .iter()
            .find(|(country, _)| country.as_deref() == Some(code))
            .or_else(|| rules.iter().find(|(country, _)| country.is_none()))
            .map(|(_, rule)| rule.clone())
    };
    let mut subdivisions = subdivisions.into_iter().peekable();
    let mut data = Vec::new();
    for (code, name) in countries {
        let mut subs = Vec::new();
        while let Some((_, sub, sub_name, kind)) = subdivisions.next_if(|(c, ..)| *c == code) {
            subs.push(SubdivisionResponse {
                code: sub,
                name: sub_name,
                kind,
            });
        }
        data.push(CountryResponse {
            size_rule: rule_for(&code),
            code,
            name,
            subdivisions: subs,
        });
    }
    data
}

/// An identifier system that `external_refs[].system` may name with a checked format.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdentifierSystemResponse {
    #[schema(example = "lei")]
    pub code: String,
    /// In the language of `Accept-Language` (`es` or `en`).
    #[schema(example = "Legal Entity Identifier (LEI)")]
    pub label: String,
    pub labels: IdentifierLabels,
    /// The format, in words.
    #[schema(
        example = "ISO 17442: 20 letters and digits, the last two ISO 7064 mod 97-10 check digits"
    )]
    pub format: String,
    /// A regular expression for the normalised value (check digits are checked beyond it).
    #[schema(example = "^[0-9A-Z]{18}[0-9]{2}$")]
    pub pattern: Option<String>,
    /// For a tax-id system, the country whose `tax_id` it holds.
    #[schema(example = json!(null))]
    pub country: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IdentifierLabels {
    #[schema(example = "Legal Entity Identifier (LEI)")]
    pub en: String,
    #[schema(example = "Identificador de Entidad Jurídica (LEI)")]
    pub es: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IdentifierSystemList {
    pub data: Vec<IdentifierSystemResponse>,
    /// Always null: the whole list is one page.
    pub next_cursor: Option<String>,
}

/// Identifier systems.
///
/// The `external_refs[].system` values whose format the registry checks (values are stored
/// normalised: upper case, without spaces, `-` or `.`). Any other system is a code matching
/// `^[a-z0-9_]{1,40}$` with a free value. `(system, value)` is unique among suppliers that are
/// not archived.
#[utoipa::path(
    operation_id = "identifier_systems_list",
    tag = "reference",
    params(("Accept-Language" = Option<String>, Header, description = "`es` or `en` (default)")),
    responses((status = 200, description = "Every system with a checked format.", body = IdentifierSystemList)),
    security((), ("bearer" = []), ("oauth2" = []))
)]
#[get("/identifier-systems")]
pub async fn list_identifier_systems(req: actix_web::HttpRequest) -> HttpResponse {
    let spanish = crate::routes::capabilities::language(&req) == "es";
    let data = crate::domain::identifier::SYSTEMS
        .iter()
        .map(|s| IdentifierSystemResponse {
            code: s.code.into(),
            label: if spanish { s.label_es } else { s.label_en }.into(),
            labels: IdentifierLabels {
                en: s.label_en.into(),
                es: s.label_es.into(),
            },
            format: s.format.into(),
            pattern: s.pattern.map(Into::into),
            country: s.country.map(Into::into),
        })
        .collect();
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::VARY, "Accept-Language"))
        .json(IdentifierSystemList {
            data,
            next_cursor: None,
        })
}

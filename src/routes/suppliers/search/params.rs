//! The query strings of the search operations: typed parameter groups that both parse the query
//! (serde, repeated keys by `serde_html_form`) and document it (utoipa), and the rules that turn
//! them into the database's [`Filters`]. A bad parameter is a 400 naming it.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, de::DeserializeOwned};
use utoipa::{IntoParams, ToSchema, openapi::path::ParameterIn};

use crate::{
    db::search::{Filters, Sort, Visibility},
    domain::{
        capability,
        codes::{is_country, is_subdivision},
        identifier,
        size::SizeClass,
        status::SupplierStatus,
        tax_id,
    },
    error::ApiError,
    http::pagination::{DEFAULT_LIMIT, MAX_LIMIT},
};

/// A 400 naming the parameter `field`.
pub(super) fn bad(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_request(field, "invalid", message)
}

/// The filters of `GET /v1/suppliers`, `/facets` and `/export`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
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
    #[param(value_type = Option<Vec<SizeClass>>, inline, style = Form, explode = false, example = json!(["micro", "small"]))]
    size_class: Option<CommaList<SizeClass>>,
    /// A certification scheme of which the supplier holds a certificate valid today.
    #[param(example = "iso_9001")]
    certification: Option<String>,
    /// Comma list of statuses. Default: every status the caller may see except `archived`
    /// (anonymous callers: `verified` only).
    #[param(value_type = Option<Vec<SupplierStatus>>, inline, style = Form, explode = false)]
    status: Option<CommaList<SupplierStatus>>,
    /// `lat,lon` in decimal degrees; needs `radius_km` (and `radius_km` needs it).
    #[param(
        example = "20.67,-103.35",
        pattern = r"^-?(?:90(?:\.0+)?|[1-8]?[0-9](?:\.[0-9]+)?),-?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[1-9]?[0-9])(?:\.[0-9]+)?)$"
    )]
    near: Option<String>,
    /// Radius around `near` in km: above 0, at most 1000; needs `near`.
    #[param(exclusive_minimum = 0, maximum = 1000, example = 25)]
    radius_km: Option<f64>,
    /// Only suppliers changed at or after this RFC 3339 time.
    updated_since: Option<DateTime<Utc>>,
    /// The supplier with this tax id (read as on write: upper case, spaces and separators
    /// dropped, checked by the country's rules); needs `country`.
    #[param(example = "EBA0102035A1")]
    tax_id: Option<String>,
    /// `<system>:<value>`: suppliers holding this external reference (the value read as on
    /// write, see `GET /v1/identifier-systems`). Repeat for any of several.
    #[param(explode = true, example = json!(["lei:5493001KJTIIGC8Y1R12"]))]
    external_ref: Option<Vec<String>>,
}

/// The order of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
pub enum SortParam {
    /// By legal name (the default without `q`).
    #[serde(rename = "name")]
    Name,
    /// Most recently changed first.
    #[serde(rename = "-updated_at")]
    UpdatedDesc,
    /// Nearest first (with `near`).
    #[serde(rename = "distance")]
    Distance,
    /// Best match of `q` first (with `q`; the default with it).
    #[serde(rename = "relevance")]
    Relevance,
}

/// Sorting and paging of `GET /v1/suppliers`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `name` (default without `q`), `-updated_at`, `distance` (with `near`), `relevance`
    /// (with `q`; default with it).
    #[param(inline)]
    sort: Option<SortParam>,
    /// 1 to 100, default 20.
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The format of an export.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    #[default]
    Csv,
    Ndjson,
}

/// The format of `GET /v1/suppliers/export`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (default) or `ndjson`.
    #[param(inline)]
    pub format: Option<ExportFormat>,
}

/// The facets take the filters alone.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoParams {}

/// A comma list of values of a closed set (`micro,small`).
#[derive(Debug)]
pub struct CommaList<T>(Vec<T>);

impl<'de, T: DeserializeOwned> Deserialize<'de> for CommaList<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{Error, IntoDeserializer, value::StrDeserializer};
        let raw = String::deserialize(deserializer)?;
        raw.split(',')
            .map(|v| {
                let v: StrDeserializer<'_, serde::de::value::Error> = v.trim().into_deserializer();
                T::deserialize(v).map_err(D::Error::custom)
            })
            .collect::<Result<_, _>>()
            .map(CommaList)
    }
}

/// A parameter of an operation: its name, and whether it may be given more than once.
pub struct Key {
    name: String,
    repeatable: bool,
}

/// The parameters a group documents: exactly those it parses.
fn keys_of<T: IntoParams>() -> Vec<Key> {
    T::into_params(|| Some(ParameterIn::Query))
        .into_iter()
        .map(|p| Key {
            repeatable: p.explode == Some(true),
            name: p.name,
        })
        .collect()
}

/// The parameter groups an operation takes besides the filters.
pub trait Extra: DeserializeOwned {
    /// The group's parameters, read once from its documentation.
    fn keys() -> &'static [Key];
}

static SEARCH_KEYS: LazyLock<Vec<Key>> = LazyLock::new(keys_of::<SearchParams>);
static LIST_KEYS: LazyLock<Vec<Key>> = LazyLock::new(keys_of::<ListParams>);
static EXPORT_KEYS: LazyLock<Vec<Key>> = LazyLock::new(keys_of::<ExportParams>);

impl Extra for ListParams {
    fn keys() -> &'static [Key] {
        &LIST_KEYS
    }
}

impl Extra for ExportParams {
    fn keys() -> &'static [Key] {
        &EXPORT_KEYS
    }
}

impl Extra for NoParams {
    fn keys() -> &'static [Key] {
        &[]
    }
}

/// The query of one operation: the filters and the operation's own group, each read from the
/// whole query string. The groups are not joined with serde's `flatten` (it takes neither
/// `deny_unknown_fields` nor typed values from a form), so unknown and repeated keys are judged
/// against the groups' own documentation instead: what is documented is what is parsed.
#[derive(Debug)]
pub struct Query<E> {
    pub filters: SearchParams,
    pub extra: E,
}

impl<E: Extra> Query<E> {
    /// Parses a query string: every key must be a documented parameter, given once unless it is
    /// repeatable, with a value.
    pub fn parse(query: &str) -> Result<Self, ApiError> {
        let mut seen: Vec<&Key> = Vec::new();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let Some(key) = SEARCH_KEYS.iter().chain(E::keys()).find(|k| k.name == name) else {
                return Err(bad(&name, "is not a parameter of this operation"));
            };
            if !key.repeatable && seen.iter().any(|k| k.name == name) {
                return Err(bad(&name, "is given more than once"));
            }
            if value.is_empty() {
                return Err(bad(&name, "must not be empty"));
            }
            seen.push(key);
        }
        Ok(Self {
            filters: read(query)?,
            extra: read(query)?,
        })
    }
}

const LIMIT_RULE: &str = "must be a whole number from 1 to 100";
const RADIUS_RULE: &str = "must be a number above 0 and at most 1000";

/// One group, from the whole query string (keys of other groups are skipped).
fn read<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_html_form::Deserializer::from_bytes(query.as_bytes());
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let message = match field.as_str() {
            "limit" => LIMIT_RULE.to_owned(),
            "radius_km" => RADIUS_RULE.to_owned(),
            "updated_since" => "is not an RFC 3339 time (like 2026-11-27T21:15:08Z)".to_owned(),
            _ => e.into_inner().to_string(),
        };
        bad(&field, message)
    })
}

impl SearchParams {
    /// The filters, each checked; `status` defaults to what `visibility` may see but archived.
    pub fn into_filters(self, visibility: &Visibility) -> Result<Filters, ApiError> {
        let q = match self.q.as_deref().map(str::trim) {
            Some(q) if q.is_empty() || q.chars().count() > 200 => {
                return Err(bad("q", "must be 1 to 200 characters"));
            }
            q => q.map(str::to_owned),
        };
        let capabilities = self.capability.unwrap_or_default();
        if !capabilities.iter().all(|c| capability::is_code(c)) {
            return Err(bad(
                "capability",
                "is not a capability code (like atp.asm.wb)",
            ));
        }
        if self.country.as_deref().is_some_and(|c| !is_country(c)) {
            return Err(bad(
                "country",
                "is not an ISO 3166-1 alpha-2 code (like MX)",
            ));
        }
        if self
            .subdivision
            .as_deref()
            .is_some_and(|s| !is_subdivision(s))
        {
            return Err(bad(
                "subdivision",
                "is not an ISO 3166-2 code (like MX-JAL)",
            ));
        }
        if self.certification.as_deref().is_some_and(|c| !is_scheme(c)) {
            return Err(bad(
                "certification",
                "is not a certification scheme code (like iso_9001)",
            ));
        }
        let statuses = match self.status {
            Some(CommaList(statuses)) => statuses,
            None => default_statuses(visibility),
        };
        let tax_id = match (&self.tax_id, &self.country) {
            (None, _) => None,
            (Some(_), None) => return Err(bad("country", "is required with tax_id")),
            (Some(raw), Some(country)) => Some(
                tax_id::parse(country, raw)
                    .map_err(|e| bad("tax_id", e))?
                    .as_str()
                    .to_owned(),
            ),
        };
        let external_refs = self
            .external_ref
            .unwrap_or_default()
            .iter()
            .map(|raw| {
                let (system, value) = raw
                    .split_once(':')
                    .ok_or_else(|| bad("external_ref", "is not written <system>:<value>"))?;
                let value =
                    identifier::normalise(system, value).map_err(|e| bad("external_ref", e))?;
                Ok((system.to_owned(), value))
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(Filters {
            q,
            capabilities,
            country: self.country,
            subdivision: self.subdivision,
            size_classes: self.size_class.map_or_else(Vec::new, |CommaList(sizes)| {
                sizes.iter().map(|s| s.as_str().to_owned()).collect()
            }),
            certification: self.certification,
            statuses,
            near: near(self.near.as_deref(), self.radius_km)?,
            updated_since: self.updated_since,
            tax_id,
            external_refs,
        })
    }
}

/// Whether `code` can be a certification scheme code (like `iso_9001`).
fn is_scheme(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 60
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Every status the caller may see but archived (anonymous callers: verified only).
fn default_statuses(visibility: &Visibility) -> Vec<SupplierStatus> {
    match visibility {
        Visibility::Public => vec![SupplierStatus::Verified],
        _ => SupplierStatus::ALL
            .into_iter()
            .filter(|s| *s != SupplierStatus::Archived)
            .collect(),
    }
}

/// The grammar of `near`, as the document's `pattern` states it (a test keeps the two equal).
const NEAR_PATTERN: &str = r"^-?(?:90(?:\.0+)?|[1-8]?[0-9](?:\.[0-9]+)?),-?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[1-9]?[0-9])(?:\.[0-9]+)?)$";

/// `near=lat,lon` with `radius_km`, as (lat, lon, radius); each needs the other.
fn near(near: Option<&str>, radius_km: Option<f64>) -> Result<Option<(f64, f64, f64)>, ApiError> {
    let (near, radius) = match (near, radius_km) {
        (None, None) => return Ok(None),
        (Some(_), None) => return Err(bad("radius_km", "is required with near")),
        (None, Some(_)) => return Err(bad("near", "is required with radius_km")),
        (Some(near), Some(radius)) => (near, radius),
    };
    // The document's pattern, exactly: plain decimals, latitude within ±90, longitude ±180.
    static NEAR: LazyLock<Option<regex::Regex>> =
        LazyLock::new(|| regex::Regex::new(NEAR_PATTERN).ok());
    let (lat, lon) = NEAR
        .as_ref()
        .filter(|re| re.is_match(near))
        .and_then(|_| near.split_once(','))
        .and_then(|(a, b)| Some((a.parse::<f64>().ok()?, b.parse::<f64>().ok()?)))
        .ok_or_else(|| bad("near", "must be `lat,lon` in decimal degrees"))?;
    if !(radius > 0.0 && radius <= 1000.0) {
        return Err(bad("radius_km", RADIUS_RULE));
    }
    Ok(Some((lat, lon, radius)))
}

impl ListParams {
    /// The sort: the one asked for if the filters allow it, else relevance with `q` and name
    /// without.
    pub fn sort(&self, filters: &Filters) -> Result<Sort, ApiError> {
        Ok(match self.sort {
            None if filters.q.is_some() => Sort::Relevance,
            None | Some(SortParam::Name) => Sort::Name,
            Some(SortParam::UpdatedDesc) => Sort::UpdatedDesc,
            Some(SortParam::Distance) if filters.near.is_some() => Sort::Distance,
            Some(SortParam::Distance) => {
                return Err(bad("sort", "`distance` needs near and radius_km"));
            }
            Some(SortParam::Relevance) if filters.q.is_some() => Sort::Relevance,
            Some(SortParam::Relevance) => return Err(bad("sort", "`relevance` needs q")),
        })
    }

    /// The page size: 1 to 100, default 20.
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(bad("limit", LIMIT_RULE)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_states_the_near_grammar_the_service_reads() {
        let doc = crate::openapi::document();
        let params = doc["paths"]["/v1/suppliers"]["get"]["parameters"]
            .as_array()
            .unwrap();
        let near = params.iter().find(|p| p["name"] == "near").unwrap();
        assert_eq!(near["schema"]["pattern"], NEAR_PATTERN);
        let re = regex::Regex::new(NEAR_PATTERN).unwrap();
        for ok in [
            "20.67,-103.35",
            "-90,180",
            "0,0",
            "89.999,-179.5",
            "90.0,180.00",
        ] {
            assert!(re.is_match(ok), "{ok}");
        }
        for bad in [
            "90.1,0", "0,180.5", "1e1,0", "+1,1", " 1,1", "1, 1", "01,1", "1",
        ] {
            assert!(!re.is_match(bad), "{bad}");
        }
    }

    fn field(err: ApiError) -> String {
        match err {
            ApiError::BadRequest { errors, .. } => errors[0].field.clone(),
            other => format!("not a 400: {other:?}"),
        }
    }

    fn filters(query: &str) -> Result<Filters, ApiError> {
        Query::<NoParams>::parse(query)?
            .filters
            .into_filters(&Visibility::All)
    }

    #[test]
    fn a_search_parses_into_filters() {
        let f = filters(
            "q=najera&capability=atp&capability=fab.n7&country=MX&subdivision=MX-JAL\
             &size_class=micro,%20small&status=verified,pending&near=20.67,-103.35&radius_km=25\
             &updated_since=2026-11-27T21:15:08Z&certification=iso_9001",
        )
        .unwrap();
        assert_eq!(f.q.as_deref(), Some("najera"));
        assert_eq!(f.capabilities, ["atp", "fab.n7"]);
        assert_eq!(f.size_classes, ["micro", "small"]);
        assert_eq!(
            f.statuses,
            [SupplierStatus::Verified, SupplierStatus::Pending]
        );
        assert_eq!(f.near, Some((20.67, -103.35, 25.0)));
        assert!(f.updated_since.is_some());
    }

    #[test]
    fn statuses_default_to_what_the_caller_may_see_but_archived() {
        let public = Query::<NoParams>::parse("").unwrap().filters;
        assert_eq!(
            public.into_filters(&Visibility::Public).unwrap().statuses,
            [SupplierStatus::Verified]
        );
        assert_eq!(filters("").unwrap().statuses.len(), 5);
    }

    #[test]
    fn each_bad_parameter_is_named() {
        for (query, name) in [
            ("colour=red", "colour"),
            ("country=MX&country=CR", "country"),
            ("limit=", "limit"),
            ("size_class=huge", "size_class"),
            ("status=deleted", "status"),
            ("radius_km=abc&near=1,1", "radius_km"),
            ("updated_since=yesterday", "updated_since"),
            ("capability=ATP", "capability"),
            ("capability=atp&capability=7nm", "capability"),
            ("q=%20", "q"),
            ("near=20.6", "radius_km"),
            ("certification=ISO", "certification"),
        ] {
            assert_eq!(field(filters(query).unwrap_err()), name, "{query}");
        }
    }

    #[test]
    fn each_operation_takes_its_own_parameters() {
        assert_eq!(
            field(Query::<NoParams>::parse("sort=name").unwrap_err()),
            "sort"
        );
        assert_eq!(
            field(Query::<ExportParams>::parse("limit=5").unwrap_err()),
            "limit"
        );
        assert_eq!(
            field(Query::<ExportParams>::parse("format=xml").unwrap_err()),
            "format"
        );
        let export = Query::<ExportParams>::parse("format=ndjson").unwrap();
        assert_eq!(export.extra.format, Some(ExportFormat::Ndjson));
        let list = Query::<ListParams>::parse("sort=-updated_at&limit=5").unwrap();
        let f = list.filters.into_filters(&Visibility::All).unwrap();
        assert_eq!(list.extra.sort(&f).unwrap(), Sort::UpdatedDesc);
        assert_eq!(list.extra.limit().unwrap(), 5);
    }

    #[test]
    fn sorts_need_their_filters() {
        let list = |q: &str| Query::<ListParams>::parse(q).unwrap();
        let f = Filters::default();
        assert_eq!(
            field(list("sort=distance").extra.sort(&f).unwrap_err()),
            "sort"
        );
        assert_eq!(
            field(list("sort=relevance").extra.sort(&f).unwrap_err()),
            "sort"
        );
        assert_eq!(
            field(Query::<ListParams>::parse("sort=price").unwrap_err()),
            "sort"
        );
        assert_eq!(field(list("limit=101").extra.limit().unwrap_err()), "limit");
        let q = Filters {
            q: Some("x".into()),
            ..Filters::default()
        };
        assert_eq!(list("").extra.sort(&q).unwrap(), Sort::Relevance);
        assert_eq!(list("").extra.sort(&f).unwrap(), Sort::Name);
    }
}

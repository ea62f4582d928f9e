//! Public statistics: what the ecosystem can do, where, and where it has gaps — counted from
//! verified suppliers, as an anonymous search sees them — and how suppliers move up the
//! development ladder.
//!
//! Each answer is computed once and then kept for `STATS_CACHE_SECONDS` (see [`kept`]): writes
//! do not drop it, so the statistics answer from memory however busy the registry is, and are at
//! most that old (`Cache-Control: max-age` says so).

mod kept;
mod ladder;
mod resilience;

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, get, web};
use diesel_async::AsyncPgConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use self::kept::{check_country, kept};
pub use self::{
    ladder::{__path_get_ladder, Cohort, LadderQuery, LadderResponse, get_ladder},
    resilience::{
        __path_get_resilience, CapabilityResilience, ResilienceQuery, ResilienceResponse,
        get_resilience,
    },
};
use crate::{
    db::{
        reference::{self, CapabilityRow},
        stats::{self, CoverageRow},
    },
    error::ApiError,
    http::pagination::ApiQuery,
    state::AppState,
};

/// A value and how many suppliers have it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Count {
    #[schema(example = "MX-JAL")]
    pub value: String,
    pub count: i64,
}

/// Verified suppliers able to do one capability (or a capability below it).
#[derive(Debug, Serialize, ToSchema)]
pub struct CapabilityCoverage {
    #[schema(example = "atp.asm.wb")]
    pub code: String,
    pub level: i16,
    /// In the language of `Accept-Language` (`es` or `en`).
    pub label: String,
    pub verified_suppliers: i64,
    /// Counts by `micro`, `small`, `medium`, `large` (classes without suppliers left out).
    pub by_size_class: Vec<Count>,
    pub by_subdivision: Vec<Count>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageResponse {
    /// The country asked for, or null for all.
    pub country: Option<String>,
    /// Every capability of the taxonomy, in code order.
    pub capabilities: Vec<CapabilityCoverage>,
    /// The capabilities without any verified supplier: the gaps to fill.
    pub gaps: Vec<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CoverageQuery {
    /// ISO 3166-1 alpha-2; all countries when left out.
    #[param(example = "MX")]
    pub country: Option<String>,
}

/// Capability coverage.
///
/// For each capability of the taxonomy, the verified suppliers that offer it (or a capability
/// below it), by size class and by subdivision; and the capabilities with no verified supplier.
#[utoipa::path(
    operation_id = "stats_coverage",
    tag = "stats",
    params(CoverageQuery, ("Accept-Language" = Option<String>, Header, description = "`es` or `en` (default)")),
    responses((status = 200, description = "Coverage.", body = CoverageResponse)),
    security((), ("bearer" = []), ("oauth2" = []))
)]
#[get("/stats/coverage")]
pub async fn coverage(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ApiQuery<CoverageQuery>,
) -> Result<HttpResponse, ApiError> {
    let country = query.0.country;
    check_country(country.as_deref())?;
    let spanish = crate::routes::capabilities::language(&req) == "es";
    let key = format!("coverage {country:?} {spanish}");
    kept(&req, &state, key, async |conn| {
        let (capabilities, _) = reference::all_capabilities(conn).await?;
        let rows = stats::coverage(conn, country.as_deref()).await?;
        let (capabilities, gaps) = coverage_of(capabilities, rows, spanish);
        Ok(CoverageResponse {
            country,
            capabilities,
            gaps,
        })
    })
    .await
}

/// Each capability (in the order given) with its counts, and the capabilities without any.
fn coverage_of(
    capabilities: Vec<CapabilityRow>,
    rows: Vec<CoverageRow>,
    spanish: bool,
) -> (Vec<CapabilityCoverage>, Vec<String>) {
    let mut counted: BTreeMap<String, (i64, Vec<Count>, Vec<Count>)> = BTreeMap::new();
    for row in rows {
        let entry = counted.entry(row.code).or_default();
        let count = Count {
            value: row.value.unwrap_or_default(),
            count: row.count,
        };
        match row.dimension.as_str() {
            "total" => entry.0 = row.count,
            "size_class" => entry.1.push(count),
            _ => entry.2.push(count),
        }
    }
    let mut gaps = Vec::new();
    let capabilities = capabilities
        .into_iter()
        .map(|c| {
            let (total, by_size_class, by_subdivision) =
                counted.remove(&c.code).unwrap_or_default();
            if total == 0 {
                gaps.push(c.code.clone());
            }
            CapabilityCoverage {
                label: if spanish { c.label_es } else { c.label_en },
                code: c.code,
                level: c.level,
                verified_suppliers: total,
                by_size_class,
                by_subdivision,
            }
        })
        .collect();
    (capabilities, gaps)
}

/// A month's count.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthCount {
    /// `YYYY-MM`.
    #[schema(example = "2026-11")]
    pub month: String,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryResponse {
    /// Verified suppliers by country.
    pub by_country: Vec<Count>,
    /// Suppliers by status (every status, archived included).
    pub by_status: Vec<Count>,
    /// Verified suppliers by size class.
    pub by_size_class: Vec<Count>,
    /// Verifications per month (UTC), oldest first.
    pub verifications_per_month: Vec<MonthCount>,
}

/// Ecosystem summary.
///
/// Verified suppliers by country and by size class, suppliers by status, and verifications per
/// month: how the registered base develops over time.
#[utoipa::path(
    operation_id = "stats_summary",
    tag = "stats",
    responses((status = 200, description = "The summary.", body = SummaryResponse)),
    security((), ("bearer" = []), ("oauth2" = []))
)]
#[get("/stats/summary")]
pub async fn summary(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    kept(&req, &state, "summary".into(), summary_of).await
}

async fn summary_of(conn: &mut AsyncPgConnection) -> Result<SummaryResponse, ApiError> {
    let mut response = SummaryResponse {
        by_country: Vec::new(),
        by_status: Vec::new(),
        by_size_class: Vec::new(),
        verifications_per_month: Vec::new(),
    };
    for row in stats::summary_counts(conn).await? {
        let count = Count {
            value: row.value,
            count: row.count,
        };
        match row.dimension.as_str() {
            "country" => response.by_country.push(count),
            "size_class" => response.by_size_class.push(count),
            _ => response.by_status.push(count),
        }
    }
    response.verifications_per_month = stats::verifications_per_month(conn)
        .await?
        .into_iter()
        .map(|m| MonthCount {
            month: m.month.format("%Y-%m").to_string(),
            count: m.count,
        })
        .collect();
    Ok(response)
}

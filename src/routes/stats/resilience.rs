//! `GET /v1/stats/resilience`: where the supply chain is one failure away from a gap.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::kept::{check_country, kept};
use crate::{
    db::{
        reference,
        stats::{self, PlacesRow},
    },
    error::ApiError,
    http::pagination::ApiQuery,
    state::AppState,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ResilienceQuery {
    /// ISO 3166-1 alpha-2: places are its subdivisions. Left out: every country, and places are
    /// countries.
    #[param(example = "MX")]
    pub country: Option<String>,
}

/// How concentrated the verified suppliers of one capability (or a code below it) are.
#[derive(Debug, Serialize, ToSchema)]
pub struct CapabilityResilience {
    #[schema(example = "atp.asm")]
    pub capability: String,
    /// In the language of `Accept-Language` (`es` or `en`).
    #[schema(example = "Assembly and packaging")]
    pub label: String,
    #[schema(example = 40)]
    pub verified: i64,
    /// With `country`: the distinct subdivisions the verified suppliers are in.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 6)]
    pub subdivisions: Option<i64>,
    /// Without `country`: the distinct countries the verified suppliers are in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub countries: Option<i64>,
    /// The share (0–1) of the place with most of them, among the suppliers whose place is known;
    /// `null` when none is.
    #[schema(example = 0.35)]
    pub largest_share: Option<f64>,
    /// The Herfindahl–Hirschman index over those places: the sum of the squared shares in per
    /// cent (0–10,000; 10,000 is a single place); `null` when no place is known.
    #[schema(example = 2450.0)]
    pub hhi: Option<f64>,
    /// Exactly one verified supplier.
    pub single_source: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResilienceResponse {
    /// Every capability of the taxonomy, in code order.
    pub data: Vec<CapabilityResilience>,
}

/// Supply-chain resilience.
///
/// For each capability of the taxonomy (a supplier counts for a code and every code above it):
/// the verified suppliers, the distinct places they are in (subdivisions of `country`, or
/// countries without it), the share of the largest place, the Herfindahl–Hirschman index over
/// the places, and whether the capability is single-source. Suppliers without a subdivision
/// count in `verified` but not in the shares. The answer is at most `STATS_CACHE_SECONDS` old.
#[utoipa::path(
    operation_id = "stats_resilience",
    tag = "stats",
    params(ResilienceQuery, ("Accept-Language" = Option<String>, Header, description = "`es` or `en` (default)")),
    responses((status = 200, description = "Resilience by capability.", body = ResilienceResponse)),
    security((), ("bearer" = []), ("oauth2" = []))
)]
#[get("/stats/resilience")]
pub async fn get_resilience(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ApiQuery<ResilienceQuery>,
) -> Result<HttpResponse, ApiError> {
    let country = query.0.country;
    check_country(country.as_deref())?;
    let spanish = crate::routes::capabilities::language(&req) == "es";
    let key = format!("resilience {country:?} {spanish}");
    kept(&req, &state, key, async |conn| {
        let (capabilities, _) = reference::all_capabilities(conn).await?;
        let mut rows: HashMap<String, PlacesRow> = stats::places(conn, country.as_deref())
            .await?
            .into_iter()
            .map(|r| (r.code.clone(), r))
            .collect();
        let data = capabilities
            .into_iter()
            .map(|c| {
                let row = rows.remove(&c.code);
                let mut out = figures(c.code, row.as_ref(), country.is_some());
                out.label = if spanish { c.label_es } else { c.label_en };
                out
            })
            .collect();
        Ok(ResilienceResponse { data })
    })
    .await
}

/// The figures of one capability from its counts (none: no verified supplier).
fn figures(code: String, row: Option<&PlacesRow>, by_subdivision: bool) -> CapabilityResilience {
    let (verified, places, placed, largest, squares) = row.map_or((0, 0, 0, 0, 0), |r| {
        (r.verified, r.places, r.placed, r.largest, r.squares)
    });
    let known = placed > 0;
    let placed = placed as f64;
    CapabilityResilience {
        capability: code,
        label: String::new(),
        verified,
        subdivisions: by_subdivision.then_some(places),
        countries: (!by_subdivision).then_some(places),
        largest_share: known.then(|| round(largest as f64 / placed, 4)),
        hhi: known.then(|| round(10_000.0 * squares as f64 / (placed * placed), 1)),
        single_source: verified == 1,
    }
}

fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(counts: &[i64], unplaced: i64) -> PlacesRow {
        PlacesRow {
            code: "atp".into(),
            verified: counts.iter().sum::<i64>() + unplaced,
            places: counts.len() as i64,
            placed: counts.iter().sum(),
            largest: counts.iter().copied().max().unwrap_or(0),
            squares: counts.iter().map(|n| n * n).sum(),
        }
    }

    #[test]
    fn hhi_and_largest_share_by_hand() {
        // Shares 50 %, 30 %, 20 %: HHI = 2,500 + 900 + 400 = 3,800.
        let f = figures("atp".into(), Some(&row(&[5, 3, 2], 0)), true);
        assert_eq!(
            (f.verified, f.subdivisions, f.countries),
            (10, Some(3), None)
        );
        assert_eq!(f.largest_share, Some(0.5));
        assert_eq!(f.hhi, Some(3800.0));
        assert!(!f.single_source);
    }

    #[test]
    fn one_place_is_ten_thousand_and_one_supplier_is_single_source() {
        let f = figures("atp".into(), Some(&row(&[1], 0)), false);
        assert_eq!((f.countries, f.subdivisions), (Some(1), None));
        assert_eq!(
            (f.largest_share, f.hhi, f.single_source),
            (Some(1.0), Some(10_000.0), true)
        );
    }

    #[test]
    fn suppliers_without_a_place_count_but_have_no_share() {
        let f = figures("atp".into(), Some(&row(&[], 2)), true);
        assert_eq!((f.verified, f.subdivisions), (2, Some(0)));
        assert_eq!((f.largest_share, f.hhi), (None, None));
        let none = figures("fab".into(), None, true);
        assert_eq!(
            (none.verified, none.largest_share, none.single_source),
            (0, None, false)
        );
    }
}

//! `GET /v1/stats/ladder`: the supplier-development ladder by monthly cohort of registration.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{Datelike, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::kept::{check_country, kept};
use crate::{
    db::stats::{self, CohortRow, Scope},
    domain::capability,
    error::ApiError,
    http::pagination::ApiQuery,
    state::AppState,
};

/// The smallest count the ladder shows: 1 and 2 are suppressed (`null`), so that no cell singles
/// out one or two suppliers (a cohort's only rejection, say); 0 and 3 or more are given.
pub const SMALLEST_SHOWN: i64 = 3;

/// The longest range of cohorts one answer covers.
const MAX_MONTHS: u32 = 600;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LadderQuery {
    /// ISO 3166-1 alpha-2; all countries when left out.
    #[param(example = "MX")]
    pub country: Option<String>,
    /// Only suppliers that offer this capability or one below it.
    #[param(example = "atp")]
    pub capability: Option<String>,
    /// The first cohort (`YYYY-MM`, UTC); the oldest registration's month when left out.
    #[param(example = "2026-01", pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub from: Option<String>,
    /// The last cohort, included (`YYYY-MM`, UTC); the current month when left out.
    #[param(example = "2026-12", pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub to: Option<String>,
}

/// One monthly cohort: the suppliers registered in that month and how many of them have reached
/// each step since (a step once reached stays reached: a supplier verified and later suspended
/// counts as verified). Counts of 1 and 2 are `null` (suppressed).
#[derive(Debug, Serialize, ToSchema)]
pub struct Cohort {
    /// `YYYY-MM` (UTC).
    #[schema(example = "2026-03")]
    pub cohort: String,
    #[schema(example = 120)]
    pub registered: Option<i64>,
    /// Submitted for verification at least once.
    #[schema(example = 80)]
    pub submitted: Option<i64>,
    /// Verified at least once.
    #[schema(example = 50)]
    pub verified: Option<i64>,
    /// Held a valid quality certificate (`iso_9001`, `iatf_16949`, `as9100`, `iso_13485`) at or
    /// after registration.
    #[schema(example = 10)]
    pub certified: Option<i64>,
    /// The median of the days from registration to the first verification; `null` when fewer
    /// than 3 suppliers of the cohort were verified.
    #[schema(example = 21.5)]
    pub median_days_to_verified: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LadderResponse {
    /// Every month of the range, oldest first (months without registrations have zeros).
    pub data: Vec<Cohort>,
}

/// Supplier-development ladder.
///
/// By monthly cohort of registration: the suppliers registered, submitted, verified and
/// certified, and the median days to verification, computed from the audit history (each step
/// is recorded when its audit entry is written, and never undone). Public and aggregated only:
/// a count of 1 or 2 is `null`, so that no cell singles out one or two suppliers. The answer is
/// at most `STATS_CACHE_SECONDS` old (`Cache-Control`).
#[utoipa::path(
    operation_id = "stats_ladder",
    tag = "stats",
    params(LadderQuery),
    responses((status = 200, description = "The ladder.", body = LadderResponse)),
    security((), ("bearer" = []), ("oauth2" = []))
)]
#[get("/stats/ladder")]
pub async fn get_ladder(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ApiQuery<LadderQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    check_country(query.country.as_deref())?;
    if let Some(code) = &query.capability
        && !capability::is_code(code)
    {
        return Err(ApiError::bad_request(
            "capability",
            "capability",
            "is not a capability code (like atp.asm.wb)",
        ));
    }
    let from = query
        .from
        .as_deref()
        .map(|m| month("from", m))
        .transpose()?;
    let to = query.to.as_deref().map(|m| month("to", m)).transpose()?;
    let this_month = first_of_month(Utc::now().date_naive());
    if let (Some(from), Some(to)) = (from, to.or(Some(this_month)))
        && from > to
    {
        return Err(ApiError::bad_request(
            "from",
            "from",
            "is after `to` (or after the current month when `to` is left out)",
        ));
    }
    let end = to.unwrap_or(this_month);
    if let Some(from) = from
        && months_between(from, end) >= MAX_MONTHS
    {
        return Err(ApiError::bad_request(
            "from",
            "from",
            format!("asks for more than {MAX_MONTHS} months; narrow `from` and `to`"),
        ));
    }
    let key = format!(
        "ladder {:?} {:?} {from:?} {to:?}",
        query.country, query.capability
    );
    kept(&req, &state, key, async |conn| {
        let scope = Scope {
            country: query.country.as_deref(),
            capability: query.capability.as_deref(),
        };
        let until = to.and_then(|t| t.checked_add_months(Months::new(1)));
        let rows = stats::ladder(conn, scope, from, until).await?;
        Ok(LadderResponse {
            data: cohorts(rows, from, end),
        })
    })
    .await
}

/// A `YYYY-MM` parameter as the first day of its month.
fn month(field: &'static str, raw: &str) -> Result<NaiveDate, ApiError> {
    let bad = || {
        ApiError::bad_request(
            field,
            field,
            "is not a month written YYYY-MM (like 2026-03)",
        )
    };
    let (year, month) = raw.split_once('-').ok_or_else(bad)?;
    if year.len() != 4
        || month.len() != 2
        || !(year.bytes().chain(month.bytes())).all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let (year, month) = (
        year.parse().map_err(|_| bad())?,
        month.parse().map_err(|_| bad())?,
    );
    NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)
}

/// Whole months from `from` to `to` (both first days of their months).
fn months_between(from: NaiveDate, to: NaiveDate) -> u32 {
    let months = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
    u32::try_from(months(to) - months(from)).unwrap_or(0)
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// Every month from `from` (or the first cohort with registrations, at most [`MAX_MONTHS`] before
/// `to`) to `to`, with the counts of `rows` (zeros where there are none), suppressed as
/// [`SMALLEST_SHOWN`] says.
fn cohorts(rows: Vec<CohortRow>, from: Option<NaiveDate>, to: NaiveDate) -> Vec<Cohort> {
    let Some(start) = from.or_else(|| rows.first().map(|r| r.month)) else {
        return Vec::new();
    };
    let earliest = to
        .checked_sub_months(Months::new(MAX_MONTHS - 1))
        .unwrap_or(start);
    let start = start.max(earliest);
    let mut rows = rows.into_iter().peekable();
    let mut out = Vec::new();
    let mut month = start;
    while month <= to {
        while rows.peek().is_some_and(|r| r.month < month) {
            rows.next();
        }
        let row = rows.next_if(|r| r.month == month);
        out.push(cohort(month, row.as_ref()));
        month = match month.checked_add_months(Months::new(1)) {
            Some(next) => next,
            None => break,
        };
    }
    out
}

fn cohort(month: NaiveDate, row: Option<&CohortRow>) -> Cohort {
    let count = |n: i64| (n == 0 || n >= SMALLEST_SHOWN).then_some(n);
    let (registered, submitted, verified, certified, median) =
        row.map_or((0, 0, 0, 0, None), |r| {
            (
                r.registered,
                r.submitted,
                r.verified,
                r.certified,
                r.median_days_to_verified,
            )
        });
    Cohort {
        cohort: month.format("%Y-%m").to_string(),
        registered: count(registered),
        submitted: count(submitted),
        verified: count(verified),
        certified: count(certified),
        median_days_to_verified: median
            .filter(|_| verified >= SMALLEST_SHOWN)
            .map(|d| (d * 10.0).round() / 10.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(month: &str, registered: i64, verified: i64) -> CohortRow {
        CohortRow {
            month: NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").expect("date"),
            registered,
            submitted: registered,
            verified,
            certified: 2,
            median_days_to_verified: Some(12.34),
        }
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn months_are_yyyy_mm() {
        assert_eq!(month("from", "2026-03").ok(), Some(day("2026-03-01")));
        for bad in [
            "2026-3",
            "2026-13",
            "2026-00",
            "26-03",
            "2026/03",
            "2026-03-01",
            "２０２６-03",
            "",
        ] {
            assert!(month("from", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_month_of_the_range_is_answered_and_small_counts_are_suppressed() {
        let rows = vec![row("2026-01", 10, 2), row("2026-03", 1, 0)];
        let out = cohorts(rows, None, day("2026-04-01"));
        let months: Vec<_> = out.iter().map(|c| c.cohort.as_str()).collect();
        assert_eq!(months, ["2026-01", "2026-02", "2026-03", "2026-04"]);
        assert_eq!(out[0].registered, Some(10));
        assert_eq!(out[0].verified, None, "2 is suppressed");
        assert_eq!(out[0].certified, None, "2 is suppressed");
        assert_eq!(
            out[0].median_days_to_verified, None,
            "the median of 2 is hidden too"
        );
        assert_eq!(out[1].registered, Some(0), "0 is given");
        assert_eq!(out[2].registered, None, "1 is suppressed");
        assert_eq!(out[2].verified, Some(0));
    }

    #[test]
    fn the_median_is_given_from_three_verified_suppliers() {
        let out = cohorts(vec![row("2026-01", 10, 3)], None, day("2026-01-01"));
        assert_eq!(out[0].verified, Some(3));
        assert_eq!(out[0].median_days_to_verified, Some(12.3));
    }

    #[test]
    fn rows_outside_the_range_are_left_out_and_the_range_is_bounded() {
        let out = cohorts(
            vec![row("2025-12", 10, 3), row("2026-02", 5, 3)],
            Some(day("2026-01-01")),
            day("2026-02-01"),
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].registered, Some(5));
        assert!(cohorts(Vec::new(), None, day("2026-01-01")).is_empty());
        // Without `from`, at most MAX_MONTHS back from `to`.
        let far = cohorts(vec![row("1990-01", 1, 0)], None, day("4174-10-01"));
        assert_eq!(far.len() as u32, MAX_MONTHS);
        assert_eq!(months_between(day("2026-01-01"), day("2027-03-01")), 14);
    }
}

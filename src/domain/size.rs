//! MSME size classes from the official rules. A rule is data (table `size_rules`: a method, its
//! figures and its legal source); this module only evaluates it, in exact decimal arithmetic so
//! that a boundary (Mexico, industry: score 95 is small, 95.01 medium) falls where the law says.

use std::str::FromStr;

use bigdecimal::BigDecimal;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SizeClass {
    Micro,
    Small,
    Medium,
    Large,
}

impl SizeClass {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Micro => "micro",
            Self::Small => "small",
            Self::Medium => "medium",
            Self::Large => "large",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Micro, Self::Small, Self::Medium, Self::Large]
            .into_iter()
            .find(|c| c.as_str() == raw)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sector {
    Manufacturing,
    Commerce,
    Services,
}

impl Sector {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manufacturing => "manufacturing",
            Self::Commerce => "commerce",
            Self::Services => "services",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Manufacturing, Self::Commerce, Self::Services]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// Upper limits per class, smallest first; above the last limit a firm is large.
type Bands = Vec<(SizeClass, BigDecimal)>;

#[derive(Debug, Clone)]
pub enum Method {
    /// Mexico, DOF 2009: score = employees × w_e + sales (in `sales_unit`s) × w_s; the smallest
    /// class whose top combined score is ≥ the score. Needs sales in `currency`.
    MxCombinedScore {
        currency: String,
        employee_weight: BigDecimal,
        sales_weight: BigDecimal,
        sales_unit: BigDecimal,
        sectors: Vec<(Sector, Bands)>,
    },
    /// Panama, Ley 33/2000: gross annual income only. Needs sales in one of `currencies`.
    SalesBands {
        currencies: Vec<String>,
        bands: Bands,
    },
    /// Employees and (when in `currency`) sales bands; the larger class of the two applies.
    EmployeeAndSalesBands {
        currency: String,
        employees: Bands,
        sales: Bands,
    },
    /// Headcount only.
    EmployeeBands { bands: Bands },
}

#[derive(Debug, Clone)]
pub struct SizeRule {
    pub id: String,
    /// `None` for the fallback rule.
    pub country: Option<String>,
    pub method: Method,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

/// What a size class is computed from.
pub struct SizeInput<'a> {
    pub country: &'a str,
    pub sector: Sector,
    pub employees: i64,
    /// Annual sales and their ISO 4217 currency.
    pub sales: Option<(&'a BigDecimal, &'a str)>,
}

fn decimal(value: &Value) -> Result<BigDecimal, String> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => return Err(format!("{other} is not a number")),
    };
    BigDecimal::from_str(&text).map_err(|e| format!("{text}: {e}"))
}

fn bands(value: &Value) -> Result<Bands, String> {
    value
        .as_array()
        .ok_or("bands must be a list")?
        .iter()
        .map(|pair| {
            let class = pair
                .get(0)
                .and_then(Value::as_str)
                .and_then(SizeClass::parse)
                .ok_or("a band needs a class")?;
            Ok((class, decimal(pair.get(1).ok_or("a band needs a limit")?)?))
        })
        .collect()
}

fn text(value: &Value, key: &str) -> Result<String, String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("`{key}` is missing"))
}

impl Method {
    /// Reads a `size_rules` row's method and params.
    pub fn from_params(method: &str, params: &Value) -> Result<Self, String> {
        Ok(match method {
            "mx_combined_score" => Self::mx_combined_score(params)?,
            "sales_bands" => Self::SalesBands {
                currencies: params["currencies"]
                    .as_array()
                    .ok_or("`currencies` is missing")?
                    .iter()
                    .filter_map(|c| c.as_str().map(str::to_owned))
                    .collect(),
                bands: bands(&params["bands"])?,
            },
            "employee_and_sales_bands" => Self::employee_and_sales_bands(params)?,
            "employee_bands" => Self::EmployeeBands {
                bands: bands(&params["bands"])?,
            },
            other => return Err(format!("unknown size rule method {other}")),
        })
    }

    fn mx_combined_score(params: &Value) -> Result<Self, String> {
        let sectors = params
            .get("sectors")
            .and_then(Value::as_object)
            .ok_or("`sectors` is missing")?
            .iter()
            .map(|(name, b)| {
                let sector = Sector::parse(name).ok_or_else(|| format!("unknown sector {name}"))?;
                Ok((sector, bands(b)?))
            })
            .collect::<Result<_, String>>()?;
        Ok(Self::MxCombinedScore {
            currency: text(params, "currency")?,
            employee_weight: decimal(&params["employee_weight"])?,
            sales_weight: decimal(&params["sales_weight"])?,
            sales_unit: decimal(&params["sales_unit"])?,
            sectors,
        })
    }

    fn employee_and_sales_bands(params: &Value) -> Result<Self, String> {
        let rows = params["bands"].as_array().ok_or("`bands` is missing")?;
        let column = |i: usize| -> Result<Bands, String> {
            rows.iter()
                .map(|row| {
                    let class = row[0]
                        .as_str()
                        .and_then(SizeClass::parse)
                        .ok_or("a band needs a class")?;
                    Ok((class, decimal(&row[i])?))
                })
                .collect()
        };
        Ok(Self::EmployeeAndSalesBands {
            currency: text(params, "currency")?,
            employees: column(1)?,
            sales: column(2)?,
        })
    }
}

/// The smallest class whose upper limit is ≥ `value`; large above every limit.
fn band_of(bands: &Bands, value: &BigDecimal) -> SizeClass {
    bands
        .iter()
        .find(|(_, limit)| value <= limit)
        .map_or(SizeClass::Large, |(class, _)| *class)
}

impl SizeRule {
    fn in_force(&self, day: NaiveDate) -> bool {
        self.valid_from <= day && self.valid_to.is_none_or(|to| day < to)
    }

    /// The class under this rule, or `None` when the rule cannot decide from these inputs
    /// (missing sales, or sales in another currency).
    pub fn classify(&self, input: &SizeInput<'_>) -> Option<SizeClass> {
        let employees = BigDecimal::from(input.employees);
        match &self.method {
            Method::MxCombinedScore {
                currency,
                employee_weight,
                sales_weight,
                sales_unit,
                sectors,
            } => {
                let (amount, cur) = input.sales?;
                if cur != currency {
                    return None;
                }
                let score = &employees * employee_weight + (amount / sales_unit) * sales_weight;
                let bands = &sectors.iter().find(|(s, _)| *s == input.sector)?.1;
                Some(band_of(bands, &score))
            }
            Method::SalesBands { currencies, bands } => {
                let (amount, cur) = input.sales?;
                currencies
                    .iter()
                    .any(|c| c == cur)
                    .then(|| band_of(bands, amount))
            }
            Method::EmployeeAndSalesBands {
                currency,
                employees: by_employees,
                sales,
            } => {
                let class = band_of(by_employees, &employees);
                Some(match input.sales {
                    Some((amount, cur)) if cur == currency => class.max(band_of(sales, amount)),
                    _ => class,
                })
            }
            Method::EmployeeBands { bands } => Some(band_of(bands, &employees)),
        }
    }
}

/// The size class and the id of the rule that decided it: the country's rule in force `today`
/// when it can decide, the fallback rule (no country) otherwise.
pub fn classify(
    rules: &[SizeRule],
    today: NaiveDate,
    input: &SizeInput<'_>,
) -> Option<(SizeClass, String)> {
    let country_rule = rules
        .iter()
        .find(|r| r.country.as_deref() == Some(input.country) && r.in_force(today));
    let fallback = rules
        .iter()
        .find(|r| r.country.is_none() && r.in_force(today));
    country_rule
        .and_then(|r| r.classify(input).map(|c| (c, r.id.clone())))
        .or_else(|| fallback.and_then(|r| r.classify(input).map(|c| (c, r.id.clone()))))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The figures of the seeded rules (see the migration), checked against the reference.
    fn rules() -> Vec<SizeRule> {
        let rule = |id: &str, country: Option<&str>, method: &str, params: Value| SizeRule {
            id: id.into(),
            country: country.map(str::to_owned),
            method: Method::from_params(method, &params).unwrap(),
            valid_from: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
            valid_to: None,
        };
        vec![
            rule(
                "MX-DOF-2009-06-30",
                Some("MX"),
                "mx_combined_score",
                json!({
                "currency": "MXN", "employee_weight": 0.1, "sales_weight": 0.9, "sales_unit": 1000000,
                "sectors": {
                    "commerce": [["micro", 4.6], ["small", 93], ["medium", 235]],
                    "services": [["micro", 4.6], ["small", 95], ["medium", 235]],
                    "manufacturing": [["micro", 4.6], ["small", 95], ["medium", 250]]}}),
            ),
            rule(
                "PA-LEY-33-2000",
                Some("PA"),
                "sales_bands",
                json!({
                "currencies": ["PAB", "USD"], "bands": [["micro", 150000], ["small", 1000000], ["medium", 2500000]]}),
            ),
            rule(
                "CR-MEIC-BANDS-PROVISIONAL",
                Some("CR"),
                "employee_and_sales_bands",
                json!({
                "currency": "CRC", "bands": [["micro", 5, 150000000], ["small", 30, 500000000], ["medium", 100, 2177000000u64]]}),
            ),
            rule(
                "FALLBACK-EMPLOYEES-10-50-250",
                None,
                "employee_bands",
                json!({
                "bands": [["micro", 10], ["small", 50], ["medium", 250]]}),
            ),
        ]
    }

    fn class(
        country: &str,
        sector: Sector,
        employees: i64,
        sales: Option<(&str, &str)>,
    ) -> (SizeClass, String) {
        let amount = sales.map(|(a, _)| BigDecimal::from_str(a).unwrap());
        let input = SizeInput {
            country,
            sector,
            employees,
            sales: amount.as_ref().zip(sales.map(|(_, c)| c)),
        };
        classify(
            &rules(),
            NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
            &input,
        )
        .unwrap()
    }

    #[test]
    fn mexico_industry_boundaries() {
        use Sector::Manufacturing as M;
        // score = employees × 0.1 + sales in millions × 0.9
        assert_eq!(
            class("MX", M, 10, Some(("4000000", "MXN"))).0,
            SizeClass::Micro
        ); // 4.6
        assert_eq!(
            class("MX", M, 10, Some(("4000000.01", "MXN"))).0,
            SizeClass::Small
        ); // 4.600000009
        assert_eq!(
            class("MX", M, 50, Some(("100000000", "MXN"))).0,
            SizeClass::Small
        ); // 95
        assert_eq!(
            class("MX", M, 50, Some(("100011111.12", "MXN"))).0,
            SizeClass::Medium
        ); // 95.01
        assert_eq!(
            class("MX", M, 250, Some(("250000000", "MXN"))).0,
            SizeClass::Medium
        ); // 250
        assert_eq!(
            class("MX", M, 250, Some(("250000000.01", "MXN"))).0,
            SizeClass::Large
        );
        // The reference's worked example: 40 workers, MXN 60 M → 58 → small.
        let (c, rule) = class("MX", M, 40, Some(("60000000", "MXN")));
        assert_eq!((c, rule.as_str()), (SizeClass::Small, "MX-DOF-2009-06-30"));
    }

    #[test]
    fn mexico_commerce_and_services_boundaries() {
        assert_eq!(
            class("MX", Sector::Commerce, 30, Some(("100000000", "MXN"))).0,
            SizeClass::Small
        ); // 93
        assert_eq!(
            class("MX", Sector::Commerce, 31, Some(("100000000", "MXN"))).0,
            SizeClass::Medium
        ); // 93.1
        assert_eq!(
            class("MX", Sector::Commerce, 100, Some(("250000000", "MXN"))).0,
            SizeClass::Medium
        ); // 235
        assert_eq!(
            class("MX", Sector::Commerce, 101, Some(("250000000", "MXN"))).0,
            SizeClass::Large
        ); // 235.1
        assert_eq!(
            class("MX", Sector::Services, 100, Some(("250000000", "MXN"))).0,
            SizeClass::Medium
        ); // 235
        assert_eq!(
            class("MX", Sector::Services, 50, Some(("100000000", "MXN"))).0,
            SizeClass::Small
        ); // 95
    }

    #[test]
    fn mexico_without_mxn_sales_falls_back_to_headcount() {
        let (c, rule) = class("MX", Sector::Manufacturing, 40, None);
        assert_eq!(
            (c, rule.as_str()),
            (SizeClass::Small, "FALLBACK-EMPLOYEES-10-50-250")
        );
        let (_, rule) = class("MX", Sector::Manufacturing, 40, Some(("3000000", "USD")));
        assert_eq!(rule, "FALLBACK-EMPLOYEES-10-50-250");
    }

    #[test]
    fn panama_sales_bands() {
        let s = Sector::Services;
        assert_eq!(
            class("PA", s, 500, Some(("150000.00", "PAB"))).0,
            SizeClass::Micro
        );
        assert_eq!(
            class("PA", s, 1, Some(("150000.01", "USD"))).0,
            SizeClass::Small
        );
        assert_eq!(
            class("PA", s, 1, Some(("1000000.00", "USD"))).0,
            SizeClass::Small
        );
        assert_eq!(
            class("PA", s, 1, Some(("1000000.01", "USD"))).0,
            SizeClass::Medium
        );
        assert_eq!(
            class("PA", s, 1, Some(("2500000.00", "PAB"))).0,
            SizeClass::Medium
        );
        let (c, rule) = class("PA", s, 1, Some(("2500000.01", "PAB")));
        assert_eq!((c, rule.as_str()), (SizeClass::Large, "PA-LEY-33-2000"));
        assert_eq!(class("PA", s, 3, None).1, "FALLBACK-EMPLOYEES-10-50-250");
    }

    #[test]
    fn costa_rica_takes_the_larger_of_employees_and_sales() {
        let s = Sector::Manufacturing;
        assert_eq!(
            class("CR", s, 5, None),
            (SizeClass::Micro, "CR-MEIC-BANDS-PROVISIONAL".into())
        );
        assert_eq!(class("CR", s, 6, None).0, SizeClass::Small);
        assert_eq!(
            class("CR", s, 30, Some(("150000000", "CRC"))).0,
            SizeClass::Small
        );
        assert_eq!(
            class("CR", s, 3, Some(("500000001", "CRC"))).0,
            SizeClass::Medium
        );
        assert_eq!(class("CR", s, 101, None).0, SizeClass::Large);
        assert_eq!(
            class("CR", s, 4, Some(("999999999", "USD"))).0,
            SizeClass::Micro,
            "sales in another currency are not compared"
        );
    }

    #[test]
    fn other_countries_use_the_headcount_fallback() {
        for (employees, expected) in [
            (0, SizeClass::Micro),
            (10, SizeClass::Micro),
            (11, SizeClass::Small),
            (50, SizeClass::Small),
            (51, SizeClass::Medium),
            (250, SizeClass::Medium),
            (251, SizeClass::Large),
        ] {
            assert_eq!(
                class("US", Sector::Services, employees, None),
                (expected, "FALLBACK-EMPLOYEES-10-50-250".into())
            );
        }
    }
}

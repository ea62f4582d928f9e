//! Reference data: countries and subdivisions (copied from the `rust_iso3166` crate after every
//! migration), size rules, the capability taxonomy and certification schemes.

use std::collections::HashSet;

use anyhow::Context;
use diesel::{prelude::*, upsert::excluded};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::schema::{
    capabilities, capability_industry_codes, certification_schemes, countries, size_rules,
    subdivisions,
};
use crate::domain::size::{Method, SizeRule};

/// Copies ISO 3166-1 countries and ISO 3166-2 subdivisions into the database (insert or update;
/// nothing is deleted, since suppliers may refer to a withdrawn code).
pub async fn sync_iso3166(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    let all_countries: Vec<_> = rust_iso3166::ALL
        .iter()
        .map(|c| (countries::code.eq(c.alpha2), countries::name.eq(c.name)))
        .collect();
    diesel::insert_into(countries::table)
        .values(&all_countries)
        .on_conflict(countries::code)
        .do_update()
        .set(countries::name.eq(excluded(countries::name)))
        .execute(conn)
        .await?;
    let all_subdivisions: Vec<_> = rust_iso3166::ALL
        .iter()
        .flat_map(|c| c.subdivisions().unwrap_or_default())
        .filter(|s| {
            let (country, local) = s.code.split_once('-').unwrap_or_default();
            country.len() == 2
                && (1..=3).contains(&local.len())
                && local
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
        .map(|s| {
            (
                subdivisions::code.eq(s.code),
                subdivisions::country.eq(s.country_code),
                subdivisions::name.eq(s.name),
                subdivisions::kind.eq(s.subdivision_type),
            )
        })
        .collect();
    // Within the 65,535 bind parameters of one statement.
    for chunk in all_subdivisions.chunks(10_000) {
        diesel::insert_into(subdivisions::table)
            .values(chunk)
            .on_conflict(subdivisions::code)
            .do_update()
            .set((
                subdivisions::name.eq(excluded(subdivisions::name)),
                subdivisions::kind.eq(excluded(subdivisions::kind)),
            ))
            .execute(conn)
            .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = size_rules, check_for_backend(diesel::pg::Pg))]
pub struct SizeRuleRow {
    pub id: String,
    pub country: Option<String>,
    pub method: String,
    pub params: serde_json::Value,
    pub source: String,
    pub verified: bool,
    pub valid_from: chrono::NaiveDate,
    pub valid_to: Option<chrono::NaiveDate>,
}

pub async fn size_rule_rows(conn: &mut AsyncPgConnection) -> QueryResult<Vec<SizeRuleRow>> {
    size_rules::table
        .select(SizeRuleRow::as_select())
        .order(size_rules::id)
        .load(conn)
        .await
}

/// The size rules, ready to evaluate.
pub async fn load_size_rules(conn: &mut AsyncPgConnection) -> anyhow::Result<Vec<SizeRule>> {
    size_rule_rows(conn)
        .await?
        .into_iter()
        .map(|row| {
            Ok(SizeRule {
                method: Method::from_params(&row.method, &row.params)
                    .map_err(|e| anyhow::anyhow!(e))
                    .with_context(|| format!("size rule {} is malformed", row.id))?,
                id: row.id,
                country: row.country,
                valid_from: row.valid_from,
                valid_to: row.valid_to,
            })
        })
        .collect()
}

/// Which of `codes` are capability codes.
pub async fn existing_capabilities(
    conn: &mut AsyncPgConnection,
    codes: &[String],
) -> QueryResult<HashSet<String>> {
    if codes.is_empty() {
        return Ok(HashSet::new());
    }
    capabilities::table
        .filter(capabilities::code.eq_any(codes))
        .select(capabilities::code)
        .load::<String>(conn)
        .await
        .map(|v| v.into_iter().collect())
}

/// Which of `codes` are certification schemes.
pub async fn existing_schemes(
    conn: &mut AsyncPgConnection,
    codes: &[String],
) -> QueryResult<HashSet<String>> {
    if codes.is_empty() {
        return Ok(HashSet::new());
    }
    certification_schemes::table
        .filter(certification_schemes::code.eq_any(codes))
        .select(certification_schemes::code)
        .load::<String>(conn)
        .await
        .map(|v| v.into_iter().collect())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = capabilities, check_for_backend(diesel::pg::Pg))]
pub struct CapabilityRow {
    pub code: String,
    pub parent: Option<String>,
    pub level: i16,
    pub label_en: String,
    pub label_es: String,
    pub version: i32,
}

pub async fn find_capability_for_update(
    conn: &mut AsyncPgConnection,
    code: &str,
) -> QueryResult<Option<CapabilityRow>> {
    capabilities::table
        .find(code)
        .select(CapabilityRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

pub async fn insert_capability(
    conn: &mut AsyncPgConnection,
    row: &CapabilityRow,
) -> QueryResult<()> {
    diesel::insert_into(capabilities::table)
        .values((
            capabilities::code.eq(&row.code),
            capabilities::parent.eq(&row.parent),
            capabilities::level.eq(row.level),
            capabilities::label_en.eq(&row.label_en),
            capabilities::label_es.eq(&row.label_es),
        ))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn update_capability(
    conn: &mut AsyncPgConnection,
    row: &CapabilityRow,
) -> QueryResult<()> {
    diesel::update(capabilities::table.find(&row.code))
        .set((
            capabilities::label_en.eq(&row.label_en),
            capabilities::label_es.eq(&row.label_es),
            capabilities::version.eq(row.version),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Replaces a capability's codes of one system (`naics`, `unspsc`, `hs`).
pub async fn replace_industry_codes(
    conn: &mut AsyncPgConnection,
    capability: &str,
    system: &str,
    version: &str,
    codes: &[String],
) -> QueryResult<()> {
    diesel::delete(
        capability_industry_codes::table
            .filter(capability_industry_codes::capability.eq(capability))
            .filter(capability_industry_codes::system.eq(system)),
    )
    .execute(conn)
    .await?;
    let rows: Vec<_> = codes
        .iter()
        .map(|c| {
            (
                capability_industry_codes::capability.eq(capability),
                capability_industry_codes::system.eq(system),
                capability_industry_codes::version.eq(version),
                capability_industry_codes::code.eq(c),
            )
        })
        .collect();
    diesel::insert_into(capability_industry_codes::table)
        .values(rows)
        .execute(conn)
        .await
        .map(drop)
}

/// Every capability, in code order, with its industry codes as (system, code).
pub async fn all_capabilities(
    conn: &mut AsyncPgConnection,
) -> QueryResult<(Vec<CapabilityRow>, Vec<(String, String, String)>)> {
    let rows = capabilities::table
        .select(CapabilityRow::as_select())
        .order(capabilities::code)
        .load(conn)
        .await?;
    let codes = capability_industry_codes::table
        .select((
            capability_industry_codes::capability,
            capability_industry_codes::system,
            capability_industry_codes::code,
        ))
        .order((
            capability_industry_codes::capability,
            capability_industry_codes::system,
            capability_industry_codes::code,
        ))
        .load(conn)
        .await?;
    Ok((rows, codes))
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = certification_schemes, check_for_backend(diesel::pg::Pg))]
pub struct SchemeRow {
    pub code: String,
    pub name: String,
    pub scope: String,
}

pub async fn all_schemes(conn: &mut AsyncPgConnection) -> QueryResult<Vec<SchemeRow>> {
    certification_schemes::table
        .select(SchemeRow::as_select())
        .order(certification_schemes::code)
        .load(conn)
        .await
}

pub async fn all_countries(conn: &mut AsyncPgConnection) -> QueryResult<Vec<(String, String)>> {
    countries::table
        .select((countries::code, countries::name))
        .order(countries::code)
        .load(conn)
        .await
}

pub async fn all_subdivisions(
    conn: &mut AsyncPgConnection,
) -> QueryResult<Vec<(String, String, String, String)>> {
    subdivisions::table
        .select((
            subdivisions::country,
            subdivisions::code,
            subdivisions::name,
            subdivisions::kind,
        ))
        .order(subdivisions::code)
        .load(conn)
        .await
}

/// Every capability code and every certification scheme code (for checking many suppliers).
pub async fn all_codes(
    conn: &mut AsyncPgConnection,
) -> QueryResult<(HashSet<String>, HashSet<String>)> {
    let codes = capabilities::table
        .select(capabilities::code)
        .load::<String>(conn)
        .await?;
    let schemes = certification_schemes::table
        .select(certification_schemes::code)
        .load::<String>(conn)
        .await?;
    Ok((codes.into_iter().collect(), schemes.into_iter().collect()))
}

//! The suppliers that may be the company a caller describes (`POST /v1/suppliers/match`,
//! `GET /v1/suppliers/{id}/duplicates`, `/v1/reconcile`): each lookup an index answers — the
//! `(country, tax_id)`, the external references, the nearest names by trigram distance, the
//! website's host, a contact's phone or e-mail domain — among the suppliers the caller may see.
//! The matcher (`domain::matching`) then scores them.

use diesel::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::{
    filters::{Filters, Visibility},
    sql::{Bind, Sql, conditions},
};
use crate::domain::{matching::Company, status::SupplierStatus};

/// How many nearest names are looked at: by word-similarity distance (`<<->`), which the trigram
/// GiST index answers nearest first and stops early (as the search's relevance order does); the
/// whole-string distance (`<->`) read far more of the index at 1,000,000 suppliers (match p50
/// 276 ms).
pub const NEAREST_NAMES: i64 = 30;
/// How many suppliers one phone or e-mail domain may bring.
const PER_CONTACT: i64 = 10;

/// What is looked up.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    /// The legal name as given (lower-cased and unaccented by the database).
    pub name: String,
    pub country: Option<String>,
    /// Normalised, with `country`.
    pub tax_id: Option<String>,
    pub refs: Vec<(String, String)>,
    /// Lower case, without scheme, `www.`, port or path.
    pub website_host: Option<String>,
    /// E.164.
    pub phones: Vec<String>,
    /// Lower case; free-mail domains left out.
    pub email_domains: Vec<String>,
    /// A supplier left out (the one whose duplicates are asked for).
    pub exclude: Option<Uuid>,
}

impl Probe {
    /// The lookups of `company`, leaving out `exclude`.
    pub fn of(company: &Company, exclude: Option<Uuid>) -> Self {
        Self {
            name: company.legal_name.clone(),
            country: company.country.clone(),
            tax_id: company.tax_id.clone(),
            refs: company.refs.clone(),
            website_host: company.website_host(),
            phones: company.phones_e164(),
            email_domains: company.email_domains(),
            exclude,
        }
    }
}

/// The ids of the candidates, each once.
pub async fn candidates(
    conn: &mut AsyncPgConnection,
    probe: &Probe,
    visibility: &Visibility,
) -> QueryResult<Vec<Uuid>> {
    // The suppliers a default search would show the caller: archived (merged) ones are no
    // candidates.
    let filters = Filters {
        statuses: match visibility {
            Visibility::Public => vec![SupplierStatus::Verified],
            _ => SupplierStatus::ALL
                .into_iter()
                .filter(|s| *s != SupplierStatus::Archived)
                .collect(),
        },
        ..Filters::default()
    };
    let mut sql = Sql::default();
    let visible = conditions(&mut sql, &filters, visibility);
    let mut arms = Vec::new();
    let name = sql.bind(Bind::Text(probe.name.clone()));
    let limit = sql.bind(Bind::Int(NEAREST_NAMES));
    arms.push(format!(
        "(SELECT s.id FROM suppliers s WHERE {visible} \
         ORDER BY lower(sr_unaccent({name})) <<-> s.name_key LIMIT {limit})"
    ));
    if let (Some(country), Some(tax_id)) = (&probe.country, &probe.tax_id) {
        let (c, t) = (
            sql.bind(Bind::Text(country.clone())),
            sql.bind(Bind::Text(tax_id.clone())),
        );
        arms.push(format!(
            "(SELECT s.id FROM suppliers s WHERE s.country = {c}::bpchar AND s.tax_id = {t})"
        ));
    }
    if !probe.refs.is_empty() {
        let (systems, values): (Vec<String>, Vec<String>) = probe.refs.iter().cloned().unzip();
        let (systems, values) = (
            sql.bind(Bind::Texts(systems)),
            sql.bind(Bind::Texts(values)),
        );
        arms.push(format!(
            "(SELECT r.supplier_id FROM supplier_external_refs r \
             JOIN unnest({systems}, {values}) AS q (system, value) \
             ON r.system = q.system AND r.value = q.value)"
        ));
    }
    if let Some(host) = &probe.website_host {
        let host = sql.bind(Bind::Text(host.clone()));
        let per = sql.bind(Bind::Int(PER_CONTACT));
        arms.push(format!(
            "(SELECT s.id FROM suppliers s WHERE s.website_host = {host} LIMIT {per})"
        ));
    }
    if !probe.phones.is_empty() {
        let phones = sql.bind(Bind::Texts(probe.phones.clone()));
        let per = sql.bind(Bind::Int(PER_CONTACT));
        arms.push(format!(
            "(SELECT c.supplier_id FROM supplier_contacts c WHERE c.phone = ANY({phones}) LIMIT {per})"
        ));
    }
    if !probe.email_domains.is_empty() {
        let domains = sql.bind(Bind::Texts(probe.email_domains.clone()));
        let per = sql.bind(Bind::Int(PER_CONTACT));
        arms.push(format!(
            "(SELECT c.supplier_id FROM supplier_contacts c \
             WHERE lower(split_part(c.email, '@', 2)) = ANY({domains}) AND c.email IS NOT NULL \
             LIMIT {per})"
        ));
    }
    let exclude = match probe.exclude {
        Some(id) => format!(" AND s.id <> {}", sql.bind(Bind::Id(id))),
        None => String::new(),
    };
    sql.text = format!(
        "SELECT s.id FROM suppliers s WHERE s.id IN ({}) AND {visible}{exclude}",
        arms.join(" UNION ")
    );
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
    }
    let rows: Vec<Row> = sql.into_query().load(conn).await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

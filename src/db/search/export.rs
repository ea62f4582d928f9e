//! The export's rows: every match in name order, read as a stream, with the date that decides
//! which certificates are valid.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{
    QueryableByName,
    pg::Pg,
    query_builder::BoxedSqlQuery,
    sql_types::{Array, BigInt, Date, Double, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::{
    filters::{Filters, Visibility},
    sql::{Sql, conditions},
};

/// One exported supplier as read: flat columns, parts as the arrays kept on the row.
#[derive(Debug, QueryableByName)]
pub struct ExportRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub legal_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub trade_name: Option<String>,
    #[diesel(sql_type = Text)]
    pub tax_id: String,
    #[diesel(sql_type = Text)]
    pub country: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub subdivision: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub city: Option<String>,
    #[diesel(sql_type = Text)]
    pub sector: String,
    #[diesel(sql_type = BigInt)]
    pub employees: i64,
    #[diesel(sql_type = Text)]
    pub size_class: String,
    #[diesel(sql_type = Text)]
    pub size_rule: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    /// Own codes, in document order.
    #[diesel(sql_type = Array<Text>)]
    pub capabilities: Vec<String>,
    /// Every certificate's scheme and expiry, in document order (see [`ExportRow::certifications`]).
    #[diesel(sql_type = Array<Text>)]
    pub certification_schemes: Vec<String>,
    #[diesel(sql_type = Array<Nullable<Date>>)]
    pub certification_expiries: Vec<Option<NaiveDate>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub website: Option<String>,
    #[diesel(sql_type = Nullable<Double>)]
    pub lat: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub lon: Option<f64>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

impl ExportRow {
    /// The schemes of the certificates valid on `today` (no expiry, or expiring today or later),
    /// in document order.
    pub fn certifications(&self, today: NaiveDate) -> impl Iterator<Item = &str> {
        self.certification_schemes
            .iter()
            .zip(&self.certification_expiries)
            .filter(move |(_, expires)| expires.is_none_or(|e| e >= today))
            .map(|(scheme, _)| scheme.as_str())
    }
}

/// The database's date, which decides which certificates are valid.
pub async fn current_date(conn: &mut AsyncPgConnection) -> diesel::QueryResult<NaiveDate> {
    #[derive(QueryableByName)]
    struct Today {
        #[diesel(sql_type = Date)]
        today: NaiveDate,
    }
    let row: Today = diesel::sql_query("SELECT current_date AS today")
        .get_result(conn)
        .await?;
    Ok(row.today)
}

/// Every match, in name order, as a stream read as the database sends it. The parts come from the
/// arrays kept on the supplier row: no lookup per row.
pub fn export_query(
    filters: &Filters,
    visibility: &Visibility,
) -> BoxedSqlQuery<'static, Pg, diesel::query_builder::SqlQuery> {
    let mut sql = Sql::default();
    let wh = conditions(&mut sql, filters, visibility);
    sql.text = format!(
        "SELECT s.id, s.legal_name, s.trade_name, s.tax_id, s.country::text AS country, s.subdivision, s.city,
                s.sector, s.employees::bigint AS employees, s.size_class, s.size_rule, s.status,
                s.capability_list AS capabilities, s.certification_schemes, s.certification_expiries,
                s.website, s.lat, s.lon, s.updated_at
         FROM suppliers s WHERE {wh} ORDER BY s.legal_name, s.id"
    );
    sql.into_query()
}

//! The pages of a search: keyset pages in any sort, the pool each page's statement is planned
//! on, ties across the end of a nearest-first page, and the documents of a page.

use chrono::{DateTime, Utc};
use diesel::{
    QueryableByName,
    sql_types::{Double, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::{
    filters::{After, Filters, SearchError, Sort, Visibility},
    sql::{Bind, PreparedSql, Sql, chord_sql, conditions, relevance_sql},
};
use crate::db::{SearchPools, suppliers::SupplierRecord};

/// One row of a page: the id, and the sort key the next cursor starts after.
#[derive(Debug, Clone, QueryableByName)]
pub struct Hit {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Nullable<Text>)]
    pub key_text: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub key_time: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Double>)]
    pub key_number: Option<f64>,
}

impl Hit {
    pub fn after(&self) -> After {
        match (&self.key_text, self.key_time, self.key_number) {
            (Some(t), _, _) => After::Text(t.clone(), self.id),
            (_, Some(t), _) => After::Time(t, self.id),
            (_, _, n) => After::Number(n.unwrap_or_default(), self.id),
        }
    }
}

/// A page's query: up to `limit` hits after `after`, in `sort` order (before relevance ties are
/// settled).
fn page_sql(
    filters: &Filters,
    visibility: &Visibility,
    sort: Sort,
    after: Option<&After>,
    limit: i64,
) -> Sql {
    let mut sql = Sql::default();
    let mut wh = conditions(&mut sql, filters, visibility);
    let key = match sort {
        Sort::Name => "s.legal_name".to_owned(),
        Sort::UpdatedDesc => "s.updated_at".to_owned(),
        Sort::Distance => {
            let (lat, lon, _) = filters.near.unwrap_or_default();
            chord_sql(&mut sql, lat, lon)
        }
        Sort::Relevance => relevance_sql(&mut sql, filters.q.as_deref().unwrap_or_default()),
    };
    // The sort key goes back in the column of its type, for the next cursor.
    let (select, order) = match sort {
        Sort::Name => (
            format!("{key} AS key_text, NULL::timestamptz AS key_time, NULL::float8 AS key_number"),
            format!("{key}, s.id"),
        ),
        Sort::UpdatedDesc => (
            format!("NULL::text AS key_text, {key} AS key_time, NULL::float8 AS key_number"),
            format!("{key} DESC, s.id DESC"),
        ),
        Sort::Distance | Sort::Relevance => (
            format!(
                "NULL::text AS key_text, NULL::timestamptz AS key_time, {key}::float8 AS key_number"
            ),
            // Ordered by the distance alone, for the index's nearest-first scan (a tie-break
            // column would read and sort every candidate); ties are settled by id afterwards.
            key.clone(),
        ),
    };
    if let Some(after) = after {
        let id = match after {
            After::Text(_, id) | After::Time(_, id) | After::Number(_, id) => *id,
        };
        let value = match after {
            After::Text(v, _) => sql.bind(Bind::Text(v.clone())),
            After::Time(v, _) => sql.bind(Bind::Time(*v)),
            After::Number(v, _) => sql.bind(Bind::Float(*v)),
        };
        let id = sql.bind(Bind::Id(id));
        let op = if sort == Sort::UpdatedDesc { "<" } else { ">" };
        wh = if nearest_first(sort) {
            // Spelled out, so that the planner keeps the index order on the distance.
            format!("{wh} AND ({key} > {value} OR ({key} = {value} AND s.id > {id}))")
        } else {
            format!("{wh} AND ({key}, s.id) {op} ({value}, {id})")
        };
    }
    let limit_param = sql.bind(Bind::Int(limit));
    sql.text = format!(
        "SELECT s.id, {select} FROM suppliers s WHERE {wh} ORDER BY {order} LIMIT {limit_param}"
    );
    sql
}

/// Whether a page's statement may be planned once for any values (the generic-plan pool): only a
/// nearest-first page whose every condition the nearest-first index serves (status is checked on
/// the rows it returns). Its generic plan is then the GiST nearest-first scan, checked with
/// `EXPLAIN`. With any other filter, the best plan depends on the values — a generic plan for a
/// name search within `capability=atp&country=MX` read every `atp` supplier through the GIN
/// index (527 ms at 1,000,000 suppliers, where the plan for the values takes 4 ms) — so such
/// pages are planned per call, like the name- and update-ordered ones.
fn plans_once(filters: &Filters, visibility: &Visibility, sort: Sort) -> bool {
    let only_the_key = match sort {
        Sort::Distance => filters.q.is_none(),
        Sort::Relevance => filters.near.is_none(),
        Sort::Name | Sort::UpdatedDesc => false,
    };
    only_the_key
        && filters.capabilities.is_empty()
        && filters.country.is_none()
        && filters.subdivision.is_none()
        && filters.size_classes.is_empty()
        && filters.certification.is_none()
        && filters.updated_since.is_none()
        && !matches!(visibility, Visibility::Owner(_))
}

/// Sorts whose index returns the nearest rows first, ordered by the distance alone.
fn nearest_first(sort: Sort) -> bool {
    matches!(sort, Sort::Distance | Sort::Relevance)
}

/// Whether a full nearest-first page (`limit` rows: the shown ones and one more, which only tells
/// that there are more), sorted by (distance, id), may not hold the first rows in that order. The
/// index returns every row nearer than the farthest it returned, so only a distance shared by the
/// last shown row and the extra row can have rows with smaller ids that it did not return.
fn tie_at_the_end(hits: &[Hit], limit: i64) -> bool {
    let n = hits.len();
    n as i64 == limit && n >= 2 && hits[n - 2].key_number == hits[n - 1].key_number
}

/// Up to `limit` hits after `after`, in `sort` order.
pub async fn page(
    pools: &SearchPools,
    filters: &Filters,
    visibility: &Visibility,
    sort: Sort,
    after: Option<&After>,
    limit: i64,
) -> Result<Vec<Hit>, SearchError> {
    let sql = page_sql(filters, visibility, sort, after, limit);
    let pool = if plans_once(filters, visibility, sort) {
        &pools.generic
    } else {
        &pools.custom
    };
    let mut conn = pool.get().await?;
    let conn = &mut *conn;
    if !nearest_first(sort) {
        return Ok(PreparedSql(sql).load(conn).await?);
    }
    let mut hits: Vec<Hit> = PreparedSql(sql).load(conn).await?;
    hits.sort_by(|a, b| {
        a.key_number
            .partial_cmp(&b.key_number)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.id.cmp(&b.id))
    });
    if tie_at_the_end(&hits, limit) {
        settle_ties(conn, filters, visibility, sort, after, limit, &mut hits).await?;
    }
    Ok(hits)
}

/// How many of the nearest names a tie group is looked for in.
const TIE_WINDOW: i64 = 200;

/// Settles a distance shared across the end of a nearest-first page (see [`tie_at_the_end`]):
/// the whole group at that distance is read by id, so that the page ends where the next cursor
/// resumes.
async fn settle_ties(
    conn: &mut AsyncPgConnection,
    filters: &Filters,
    visibility: &Visibility,
    sort: Sort,
    after: Option<&After>,
    limit: i64,
    hits: &mut Vec<Hit>,
) -> diesel::QueryResult<()> {
    let Some(last) = hits.last() else {
        return Ok(());
    };
    let boundary = last.key_number.unwrap_or_default();
    let mut sql = Sql::default();
    let wh = conditions(&mut sql, filters, visibility);
    let key = if sort == Sort::Distance {
        let (lat, lon, _) = filters.near.unwrap_or_default();
        chord_sql(&mut sql, lat, lon)
    } else {
        relevance_sql(&mut sql, filters.q.as_deref().unwrap_or_default())
    };
    let d = sql.bind(Bind::Float(boundary));
    let mut resume = String::new();
    let mut wh = wh;
    if let Some(After::Number(v, id)) = after {
        // The window starts where the page did.
        let (v_param, id_param) = (sql.bind(Bind::Float(*v)), sql.bind(Bind::Id(*id)));
        wh = format!("{wh} AND ({key} > {v_param} OR ({key} = {v_param} AND s.id > {id_param}))");
        if *v == boundary {
            resume = format!(" AND id > {id_param}");
        }
    }
    let cap = sql.bind(Bind::Int(limit));
    // The group is read from a window of the nearest rows (index order, early stop), not from
    // every candidate: pages are exact while one distance is shared by at most TIE_WINDOW rows.
    let window = sql.bind(Bind::Int(TIE_WINDOW));
    sql.text = format!(
        "SELECT id, NULL::text AS key_text, NULL::timestamptz AS key_time, key_number FROM (\
             SELECT s.id, {key}::float8 AS key_number FROM suppliers s WHERE {wh} \
             ORDER BY {key} LIMIT {window}) nearest \
         WHERE key_number = {d}{resume} ORDER BY id LIMIT {cap}"
    );
    let ties: Vec<Hit> = PreparedSql(sql).load(conn).await?;
    hits.retain(|h| h.key_number.unwrap_or_default() < boundary);
    hits.extend(ties);
    hits.truncate(limit as usize);
    Ok(())
}

/// The documents of `ids`, in one query, in no particular order. The statement is the same for
/// every page, so each connection prepares and plans it once (see `db::suppliers::find_records`).
pub async fn records(
    pools: &SearchPools,
    ids: &[Uuid],
) -> Result<Vec<SupplierRecord>, SearchError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = pools.generic.get().await?;
    Ok(crate::db::suppliers::find_records(&mut conn, ids).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unfiltered_nearest_first_pages_are_planned_once() {
        let near = Filters {
            near: Some((20.67, -103.35, 25.0)),
            ..Filters::default()
        };
        let q = Filters {
            q: Some("najera".into()),
            ..Filters::default()
        };
        assert!(plans_once(&near, &Visibility::Public, Sort::Distance));
        assert!(plans_once(&q, &Visibility::All, Sort::Relevance));
        // Another filter, another key, another order, or an owner's own suppliers: per call.
        let with = |f: &Filters, edit: fn(&mut Filters)| {
            let mut f = f.clone();
            edit(&mut f);
            f
        };
        let narrowed: [fn(&mut Filters); 7] = [
            |f| f.capabilities = vec!["atp".into()],
            |f| f.country = Some("MX".into()),
            |f| f.subdivision = Some("MX-JAL".into()),
            |f| f.size_classes = vec!["small".into()],
            |f| f.certification = Some("iso_9001".into()),
            |f| f.updated_since = Some(Utc::now()),
            |f| f.q = Some("najera".into()),
        ];
        for edit in narrowed {
            assert!(!plans_once(
                &with(&near, edit),
                &Visibility::Public,
                Sort::Distance
            ));
        }
        assert!(!plans_once(
            &with(&q, |f| f.near = Some((20.67, -103.35, 25.0))),
            &Visibility::Public,
            Sort::Relevance
        ));
        assert!(!plans_once(
            &near,
            &Visibility::Owner(Uuid::nil()),
            Sort::Distance
        ));
        assert!(!plans_once(&q, &Visibility::Public, Sort::Name));
        assert!(!plans_once(
            &Filters::default(),
            &Visibility::Public,
            Sort::UpdatedDesc
        ));
    }
}

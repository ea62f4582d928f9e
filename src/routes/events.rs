//! The change feed: every committed change to a supplier, in commit order, each once.

use actix_web::{get, web};
use serde::Deserialize;
use utoipa::IntoParams;

pub use crate::domain::event::Event;
use crate::{
    auth::{Principal, Role, Scope},
    db::suppliers::{self as store, EventRow},
    domain::status::EventType,
    error::ApiError,
    http::pagination::{ApiQuery, DEFAULT_LIMIT, MAX_LIMIT, Page},
    state::AppState,
};

impl TryFrom<EventRow> for Event {
    type Error = ApiError;

    fn try_from(row: EventRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: row.id,
            kind: stored_event_type(&row.kind)?,
            occurred_at: row.occurred_at,
            supplier_id: row.supplier_id,
            data: row.data,
        })
    }
}

/// An event type read back from the database (a check constraint keeps it one of ours).
pub(crate) fn stored_event_type(raw: &str) -> Result<EventType, ApiError> {
    EventType::parse(raw)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("unknown stored event type {raw:?}")))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// The last event id seen; the feed starts at the beginning without it.
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// The previous page's `next_cursor` (the same as `after` set to the last id of that page);
    /// it takes precedence over `after`.
    #[param(pattern = "^[0-9]{1,18}$")]
    pub cursor: Option<String>,
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

impl EventsQuery {
    /// `after` (0 by default) and `limit` (20 by default), each in range.
    fn checked(&self) -> Result<(i64, i64), ApiError> {
        let cursor = match self.cursor.as_deref() {
            None => None,
            Some(c) => Some(
                c.parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0 && c.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| {
                        ApiError::bad_request("cursor", "invalid", "is not a cursor of this feed")
                    })?,
            ),
        };
        let after = cursor.or(self.after).unwrap_or(0);
        if after < 0 {
            return Err(ApiError::bad_request(
                "after",
                "out_of_range",
                "must be 0 or more",
            ));
        }
        let limit = match self.limit {
            None => DEFAULT_LIMIT,
            Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
            Some(_) => {
                return Err(ApiError::bad_request(
                    "limit",
                    "out_of_range",
                    "must be between 1 and 100",
                ));
            }
        };
        Ok((after, limit))
    }
}

/// The change feed.
///
/// Every committed change, in commit order, each exactly once: event ids strictly increase in
/// commit order, so polling with `after` set to the last id seen never misses an event. When a
/// page is full, `next_cursor` is the `cursor` (and the `after`) of the next page. Any authenticated caller (the
/// events carry ids, versions and what changed, never the document); a `supplier` caller reads
/// only the events of the suppliers it owns.
#[utoipa::path(
    operation_id = "events_list",
    tag = "integration",
    params(EventsQuery),
    responses((status = 200, description = "Events after `after`.", body = Page<Event>)),
    security(("bearer" = []), ("oauth2" = ["read"]))
)]
#[get("/events")]
pub async fn list_events(
    principal: Principal,
    state: web::Data<AppState>,
    query: ApiQuery<EventsQuery>,
) -> Result<web::Json<Page<Event>>, ApiError> {
    principal.require_scope(Scope::Read)?;
    let (after, limit) = query.0.checked()?;
    let mut conn = state.pool.get().await?;
    // A supplier caller reads only its own suppliers' events (another company's draft is a 404
    // on `GET`, so its id, transitions and rejection reason stay out of the feed too).
    let owner = (principal.role == Role::Supplier).then_some(principal.id);
    let rows = store::events_after(&mut conn, after, limit, owner).await?;
    let next_cursor = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.id.to_string()))
        .flatten();
    Ok(web::Json(Page {
        data: rows
            .into_iter()
            .map(Event::try_from)
            .collect::<Result<_, _>>()?,
        next_cursor,
    }))
}

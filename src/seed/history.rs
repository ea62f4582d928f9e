//! A seeded supplier's past: registered some time in the last 24 months (more of them lately, as
//! a growing registry has), then submitted, verified, rejected or suspended as its status says,
//! each step an audit entry at its time. The ladder and the history read it as they read a real
//! supplier's (seeded suppliers get no change events: the feed starts clean).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::sql_types::{Array, Jsonb, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rand::{Rng, rngs::StdRng};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::status::SupplierStatus;

/// How far back registrations go.
const MONTHS: f64 = 24.0;

/// When one supplier reached each step.
pub(super) struct Timeline {
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub submitted: Option<DateTime<Utc>>,
    pub verified: Option<DateTime<Utc>>,
    pub certified: Option<DateTime<Utc>>,
}

/// The audit entries of a batch, column by column (for `unnest`).
#[derive(Default)]
pub(super) struct History {
    supplier: Vec<Uuid>,
    action: Vec<&'static str>,
    at: Vec<DateTime<Utc>>,
    changes: Vec<Value>,
}

impl History {
    /// Draws the past of a supplier now in `status`; `quality_since` is the issue date of its
    /// oldest valid quality certificate, if it holds one.
    pub(super) fn push(
        &mut self,
        rng: &mut StdRng,
        id: Uuid,
        status: SupplierStatus,
        quality_since: Option<NaiveDate>,
        now: DateTime<Utc>,
    ) -> Timeline {
        // Days ago, skewed towards the recent: the square root of a uniform draw.
        let days_ago = MONTHS * 30.4 * (1.0 - rng.gen_range(0.0f64..1.0).sqrt());
        let created = now - Duration::seconds((days_ago * 86_400.0) as i64);
        let mut at = created;
        let mut later = |rng: &mut StdRng, days: std::ops::Range<f64>| {
            let step = Duration::seconds((rng.gen_range(days) * 86_400.0) as i64);
            at = (at + step).min(now);
            at
        };
        self.entry(id, "create", created, json!({ "status": [null, "draft"] }));
        use SupplierStatus::*;
        let reached = !matches!(status, Draft | Archived) || rng.gen_bool(0.3);
        let submitted = reached.then(|| later(rng, 0.5..20.0));
        if let Some(t) = submitted {
            self.entry(id, "submit", t, json!({ "status": ["draft", "pending"] }));
        }
        let verified = matches!(status, Verified | Suspended).then(|| later(rng, 2.0..60.0));
        if let Some(t) = verified {
            let change = json!({ "status": ["pending", "verified"], "verified_at": [null, t] });
            self.entry(id, "verify", t, change);
        }
        match status {
            Rejected => {
                let t = later(rng, 2.0..40.0);
                let change = json!({ "status": ["pending", "rejected"],
                                     "status_reason": [null, "Documents incomplete"] });
                self.entry(id, "reject", t, change);
            }
            Suspended => {
                let t = later(rng, 10.0..200.0);
                let change = json!({ "status": ["verified", "suspended"],
                                     "status_reason": [null, "Certificate under review"] });
                self.entry(id, "suspend", t, change);
            }
            Archived => {
                let t = later(rng, 1.0..100.0);
                let before = if submitted.is_some() {
                    "pending"
                } else {
                    "draft"
                };
                self.entry(id, "archive", t, json!({ "status": [before, "archived"] }));
            }
            _ => {}
        }
        // A certificate issued after registration was added then; one held before, at it.
        let certified = quality_since.map(|issued| {
            let issued = issued.and_hms_opt(12, 0, 0).map(|t| t.and_utc());
            issued.map_or(created, |t| t.clamp(created, now))
        });
        Timeline {
            created,
            updated: at,
            submitted,
            verified,
            certified,
        }
    }

    fn entry(&mut self, id: Uuid, action: &'static str, at: DateTime<Utc>, changes: Value) {
        self.supplier.push(id);
        self.action.push(action);
        self.at.push(at);
        self.changes.push(changes);
    }

    /// Writes the entries, as the system actor `seed`.
    pub(super) async fn insert(&self, conn: &mut AsyncPgConnection) -> diesel::QueryResult<()> {
        diesel::sql_query(
            "INSERT INTO audit_log (supplier_id, actor_kind, actor_name, action, at, changes)
             SELECT supplier_id, 'system', 'seed', action, at, changes
             FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::jsonb[])
                  AS t(supplier_id, action, at, changes)",
        )
        .bind::<Array<SqlUuid>, _>(&self.supplier)
        .bind::<Array<Text>, _>(&self.action)
        .bind::<Array<Timestamptz>, _>(&self.at)
        .bind::<Array<Jsonb>, _>(&self.changes)
        .execute(conn)
        .await
        .map(drop)
    }
}

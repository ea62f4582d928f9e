//! The certificate expiry job: moves certificates to `expiring` (within 60 days of `expires_on`)
//! and `expired`, and for each supplier affected writes an audit entry (actor `system`), adds one
//! to its version and emits a `supplier.updated` change event — all in one transaction.

use std::collections::BTreeMap;

use anyhow::Context;
use diesel_async::AsyncConnection;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::db::{
    Pool,
    suppliers::{self as store, Actor, AuditEntry},
};

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Outcome {
    pub suppliers: usize,
    pub certificates: usize,
}

pub async fn run_once(pool: &Pool, today: chrono::NaiveDate) -> anyhow::Result<Outcome> {
    let mut conn = pool.get().await.context("no database connection")?;
    let actor = Actor {
        kind: "system",
        id: None,
        name: "certificate expiry job".into(),
    };
    conn.transaction(async |conn| -> Result<Outcome, diesel::result::Error> {
        let changes = store::refresh_certificate_statuses(conn, today).await?;
        let mut by_supplier: BTreeMap<Uuid, Vec<store::CertificateChange>> = BTreeMap::new();
        for change in changes {
            by_supplier.entry(change.supplier_id).or_default().push(change);
        }
        let mut outcome = Outcome::default();
        for (supplier, mut certificates) in by_supplier {
            certificates.sort_by_key(|c| c.position);
            let mut audit = serde_json::Map::new();
            for c in &certificates {
                audit.insert(
                    format!("certifications[{}].status", c.position),
                    json!([c.old_status, c.new_status]),
                );
            }
            let version = store::bump_version(conn, supplier).await?;
            store::insert_audit(conn, &AuditEntry {
                supplier,
                actor: &actor,
                action: "certificates_expiry",
                request_id: None,
                changes: audit.into(),
            })
            .await?;
            let moved: Vec<_> = certificates
                .iter()
                .map(|c| json!({ "position": c.position, "from": c.old_status, "to": c.new_status }))
                .collect();
            store::insert_event(conn, "supplier.updated", supplier, &json!({ "version": version, "changed": ["certifications"], "certificates": moved })).await?;
            outcome.suppliers += 1;
            outcome.certificates += certificates.len();
        }
        Ok(outcome)
    })
    .await
    .context("the certificate expiry job failed")
}

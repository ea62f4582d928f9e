//! The certificate expiry job: moves certificates to `expiring` (within 60 days of `expires_on`)
//! and `expired`, and for each supplier affected writes an audit entry (actor `system`), adds one
//! to its version and emits a `supplier.updated` change event — all in one transaction.

use anyhow::Context;
use diesel_async::AsyncConnection;
use serde::Serialize;
use serde_json::json;

use crate::{
    db::{
        Pool,
        suppliers::{self as store, Actor, Author, RowWrite, SupplierChange, WriteError},
    },
    domain::status::EventType,
};

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Outcome {
    pub suppliers: usize,
    pub certificates: usize,
}

/// One run. Only one instance runs it at a time (a session advisory lock); each supplier is moved
/// in its own short transaction (supplier row, then its certificates, then audit, event last),
/// so the job never holds up other writes for long.
pub async fn run_once(pool: &Pool, today: chrono::NaiveDate) -> anyhow::Result<Outcome> {
    let mut conn = pool.get().await.context("no database connection")?;
    let locked = try_lock(&mut conn, true).await?;
    if !locked {
        return Ok(Outcome::default());
    }
    let result = move_all(&mut conn, today).await;
    try_lock(&mut conn, false).await?;
    result
}

async fn try_lock(conn: &mut diesel_async::AsyncPgConnection, lock: bool) -> anyhow::Result<bool> {
    use diesel::{QueryableByName, sql_types::Bool};
    use diesel_async::RunQueryDsl;
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = Bool)]
        locked: bool,
    }
    let sql = if lock {
        "SELECT pg_try_advisory_lock(hashtextextended('certificate-expiry', 0)) AS locked"
    } else {
        "SELECT pg_advisory_unlock(hashtextextended('certificate-expiry', 0)) AS locked"
    };
    let row: Locked = diesel::sql_query(sql).get_result(conn).await?;
    Ok(row.locked)
}

async fn move_all(
    conn: &mut diesel_async::AsyncPgConnection,
    today: chrono::NaiveDate,
) -> anyhow::Result<Outcome> {
    let actor = Actor {
        kind: "system",
        id: None,
        name: "certificate expiry job".into(),
    };
    let mut outcome = Outcome::default();
    for supplier in store::suppliers_with_due_certificates(conn, today).await? {
        let moved = conn
            .transaction(async |conn| -> Result<usize, WriteError> {
                let (version, mut certificates) =
                    store::refresh_certificates_of(conn, supplier, today).await?;
                if certificates.is_empty() {
                    return Ok(0);
                }
                certificates.sort_by_key(|c| c.position);
                let author = Author {
                    actor: &actor,
                    request_id: None,
                };
                store::record(
                    conn,
                    author,
                    expiry_change(supplier, version + 1, &certificates),
                )
                .await?;
                Ok(certificates.len())
            })
            .await
            .with_context(|| format!("moving the certificates of supplier {supplier}"))?;
        if moved > 0 {
            outcome.suppliers += 1;
            outcome.certificates += moved;
        }
    }
    Ok(outcome)
}

/// The change the job records for one supplier whose certificates moved.
fn expiry_change(
    supplier: uuid::Uuid,
    version: i32,
    certificates: &[store::CertificateChange],
) -> SupplierChange<'static> {
    let mut audit = serde_json::Map::new();
    for c in certificates {
        audit.insert(
            format!("certifications[{}].status", c.position),
            json!([c.old_status, c.new_status]),
        );
    }
    let moved: Vec<_> = certificates
        .iter()
        .map(|c| json!({ "position": c.position, "from": c.old_status, "to": c.new_status }))
        .collect();
    SupplierChange {
        supplier,
        version,
        write: RowWrite::Version,
        action: "certificates_expiry",
        audit: audit.into(),
        event: EventType::SupplierUpdated,
        data: json!({ "version": version, "changed": ["certifications"], "certificates": moved }),
    }
}

//! The supplier-development ladder's steps (see the migration `add_supplier_milestones`), which
//! the write path records with the audit entries that reach them.

use diesel::{
    QueryResult,
    sql_types::{Array, Text, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use uuid::Uuid;

use crate::domain::supplier::SupplierInput;

/// The quality certificates whose holding counts as the ladder's `certified` step.
pub const QUALITY_SCHEMES: [&str; 4] = ["iso_9001", "iatf_16949", "as9100", "iso_13485"];

/// Records the development-ladder steps that `changes` reach (see the migration
/// `add_supplier_milestones`): the first submission, the first verification, and the first
/// change after which the supplier holds a valid quality certificate. Each is set once, in the
/// transaction of its audit entry, and never cleared.
/// The step a change reaches: `submit` and `verify` theirs; a change that writes the parts
/// (`parts`) may reach `certified`, which [`mark`] checks against the stored certificates.
pub(super) fn reached(action: &str, parts: Option<&SupplierInput>) -> Option<&'static str> {
    match (action, parts) {
        ("submit", _) => Some("submitted"),
        ("verify", _) => Some("verified"),
        (_, Some(input))
            if input
                .certifications
                .iter()
                .any(|cert| QUALITY_SCHEMES.contains(&cert.scheme.as_str())) =>
        {
            Some("certified")
        }
        _ => None,
    }
}

/// Records each `(supplier, step)` not reached before.
pub(super) async fn mark(
    conn: &mut AsyncPgConnection,
    reached: &[(Uuid, &'static str)],
) -> QueryResult<()> {
    let (ids, steps): (Vec<Uuid>, Vec<&str>) = reached.iter().copied().unzip();
    if ids.is_empty() {
        return Ok(());
    }
    diesel::sql_query(
        "UPDATE suppliers s
         SET first_submitted_at = CASE WHEN c.step = 'submitted' THEN now() ELSE s.first_submitted_at END,
             first_verified_at = CASE WHEN c.step = 'verified' THEN now() ELSE s.first_verified_at END,
             first_certified_at = CASE WHEN c.step = 'certified' THEN now() ELSE s.first_certified_at END
         FROM unnest($1::uuid[], $2::text[]) AS c (id, step)
         WHERE s.id = c.id
           AND CASE c.step
                 WHEN 'submitted' THEN s.first_submitted_at IS NULL
                 WHEN 'verified' THEN s.first_verified_at IS NULL
                 ELSE s.first_certified_at IS NULL AND EXISTS (
                     SELECT 1 FROM supplier_certifications q
                     WHERE q.supplier_id = s.id AND q.status <> 'expired'
                       AND q.scheme = ANY ($3::text[]))
               END",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Array<Text>, _>(steps)
    .bind::<Array<Text>, _>(&QUALITY_SCHEMES[..])
    .execute(conn)
    .await
    .map(drop)
}

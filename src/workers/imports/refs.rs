//! External references an import row may not take: `(system, value)` is unique among suppliers
//! that are not archived, so a row that names one another supplier holds (or an earlier row of
//! the batch takes) fails on its own, and the rest of the batch is stored.

use std::collections::HashMap;

use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::{db::suppliers as store, domain::FieldError};

/// A row to be stored: its number, its supplier and its references.
pub(super) struct Claim<'a> {
    pub row: i32,
    pub supplier: Uuid,
    pub refs: Vec<(&'a str, &'a str)>,
}

/// The errors of the rows among `claims` whose references are taken, by row.
pub(super) async fn taken(
    conn: &mut AsyncPgConnection,
    claims: &[Claim<'_>],
) -> QueryResult<HashMap<i32, Vec<FieldError>>> {
    let all: Vec<(&str, &str)> = claims.iter().flat_map(|c| c.refs.iter().copied()).collect();
    let mut holder: HashMap<(String, String), Uuid> = store::holders_of_refs(conn, &all)
        .await?
        .into_iter()
        .map(|(s, v, id)| ((s, v), id))
        .collect();
    let mut errors: HashMap<i32, Vec<FieldError>> = HashMap::new();
    for claim in claims {
        let mut row_errors = Vec::new();
        for (i, (system, value)) in claim.refs.iter().enumerate() {
            let key = (system.to_string(), value.to_string());
            match holder.get(&key) {
                Some(id) if *id != claim.supplier => row_errors.push(FieldError::new(
                    format!("external_refs[{i}].value"),
                    "taken",
                    format!("`{system}:{value}` belongs to supplier {id}, or to an earlier row"),
                )),
                _ => {}
            }
        }
        if row_errors.is_empty() {
            // Taken by this row from now on, for the later rows of the batch.
            for (system, value) in &claim.refs {
                holder.insert((system.to_string(), value.to_string()), claim.supplier);
            }
        } else {
            errors.insert(claim.row, row_errors);
        }
    }
    Ok(errors)
}

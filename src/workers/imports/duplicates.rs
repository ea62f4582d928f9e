//! The created rows of an import that may duplicate a supplier already there (or another row
//! of the file): each new supplier is matched, in the batch's transaction, among the suppliers
//! the importer may see, and those with a `strong` or `exact` candidate are listed in the
//! import's `possible_duplicates` — created all the same, so that an agency sees them before
//! anyone verifies the copy.

use diesel::QueryResult;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use crate::{
    auth::Role,
    db::{
        imports::PossibleDuplicate,
        search::{self, Probe, Visibility},
        suppliers as store,
    },
    domain::{
        matching::{self, Company, Strength},
        supplier::ValidSupplier,
    },
};

/// What the importer may see.
pub(super) fn visibility(role: Role, actor: Uuid) -> Visibility {
    match role {
        Role::Admin | Role::Agency => Visibility::All,
        Role::Viewer => Visibility::AllButArchived,
        Role::Supplier => Visibility::Owner(actor),
    }
}

/// The company a new supplier is.
fn company(valid: &ValidSupplier) -> Company {
    let input = &valid.input;
    Company {
        legal_name: input.legal_name.clone(),
        trade_name: input.trade_name.clone(),
        country: Some(input.country.clone()),
        tax_id: Some(valid.tax_id.as_str().to_owned()),
        subdivision: input.subdivision.clone(),
        city: input.city.clone(),
        website: input.website.clone(),
        emails: input
            .contacts
            .iter()
            .filter_map(|c| c.email.clone())
            .collect(),
        phones: input
            .contacts
            .iter()
            .filter_map(|c| c.phone.clone())
            .collect(),
        location: input.location.as_ref().map(|l| (l.lat, l.lon)),
        refs: input
            .external_refs
            .iter()
            .map(|r| (r.system.clone(), r.value.clone()))
            .collect(),
    }
}

/// The strong and exact candidates of each created `(row, id, supplier)`.
pub(super) async fn of_created(
    conn: &mut AsyncPgConnection,
    visibility: &Visibility,
    created: &[(i32, Uuid, &ValidSupplier)],
) -> QueryResult<Vec<PossibleDuplicate>> {
    let mut found = Vec::new();
    for (row, id, valid) in created {
        let company = company(valid);
        let ids = search::candidates(conn, &Probe::of(&company, Some(*id)), visibility).await?;
        let query = company.party();
        for record in store::find_records(conn, &ids).await? {
            let other = record.company();
            if let Some(s) = matching::score(&query, &other.party())
                && matches!(s.strength, Strength::Strong | Strength::Exact)
            {
                found.push((*row, record.id, s.score));
            }
        }
    }
    Ok(found)
}

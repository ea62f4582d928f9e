//! One batch of an import in one transaction: each row planned (a new supplier, an edit of the
//! one with its `(country, tax_id)`, or a bad row), then every change recorded on the shared
//! write path together with the rows' counts, errors and the import's progress. A row that would
//! not change its supplier is `unchanged`: no write, no version, no event, so running the same
//! file twice changes nothing the second time.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::refs::Claim;
use crate::{
    auth::Role,
    db::{
        accounts::flatten,
        imports::{self as imports_db, Claimed, Counts, Mark},
        suppliers::{self as store, Actor, Author, SupplierChange, SupplierRecord, WriteError},
    },
    domain::{
        FieldError,
        accounts::outside_countries,
        import::{Key, Row, key_of},
        size::SizeRule,
        status::SupplierStatus,
        supplier::{self, Edit, Known, Parsed, Refused, Size, ValidSupplier},
    },
};

/// Rows per transaction.
pub const BATCH_ROWS: usize = 2000;
/// How long a worker holds an import between batches.
pub const LEASE_SECONDS: i32 = 120;

/// What the worker needs to go through one import.
pub struct Run {
    pub id: Uuid,
    pub actor: Actor,
    pub role: Role,
    pub countries: Vec<String>,
    pub request_id: Option<String>,
    pub rules: Vec<SizeRule>,
    pub capabilities: HashSet<String>,
    pub schemes: HashSet<String>,
    /// Rows that repeat an earlier row's `(country, tax_id)` → that earlier row.
    pub repeats: HashMap<i32, i32>,
}

impl Run {
    pub fn new(
        claimed: &Claimed,
        rules: Vec<SizeRule>,
        (capabilities, schemes): (HashSet<String>, HashSet<String>),
    ) -> Self {
        Self {
            id: claimed.id,
            actor: Actor {
                kind: if claimed.actor_kind == "client" {
                    "client"
                } else {
                    "user"
                },
                id: Some(claimed.actor_id),
                name: claimed.actor_name.clone(),
            },
            role: Role::parse(&claimed.actor_role).unwrap_or(Role::Viewer),
            countries: flatten(claimed.actor_countries.clone()),
            request_id: claimed.request_id.clone(),
            rules,
            capabilities,
            schemes,
            repeats: HashMap::new(),
        }
    }
}

/// A row's verdict before it is stored.
enum Plan {
    Create(Box<(Uuid, ValidSupplier, Size)>),
    Update(Uuid, Map<String, Value>),
}

/// An edit to store: the supplier, its new version and the edit.
type Edited = (i32, Uuid, i32, Edit, Option<chrono::DateTime<Utc>>);

/// Why a batch was not stored.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// Another worker had already done these rows (nothing was written).
    #[error("already done by another worker")]
    AlreadyDone,
    #[error(transparent)]
    Write(#[from] WriteError),
}

impl From<diesel::result::Error> for BatchError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Write(e.into())
    }
}

/// The counts and errors of a batch's rows.
#[derive(Default)]
struct Outcomes {
    counts: Counts,
    errors: Vec<(i32, String, String)>,
}

impl Outcomes {
    fn fail(&mut self, row: i32, list: Vec<FieldError>) {
        self.counts.failed += 1;
        self.errors
            .extend(list.into_iter().map(|e| (row, e.field, e.message)));
    }
}

/// Goes through rows (each with its number) in one transaction with their counts, errors and
/// `mark`; `None` when another worker had already done them (nothing is written then).
pub async fn process_batch(
    conn: &mut AsyncPgConnection,
    run: &Run,
    rows: &[(i32, &Row)],
    mark: Mark,
) -> Result<Option<Counts>, WriteError> {
    let today = Utc::now().date_naive();
    let known = Known {
        capabilities: &run.capabilities,
        schemes: &run.schemes,
        today,
    };
    let mut out = Outcomes::default();
    let plans = plan(conn, run, &known, rows, &mut out).await?;
    let outcome = conn
        .transaction(async |conn| -> Result<Counts, BatchError> {
            let edits = edit_all(conn, run, &known, &plans, &mut out).await?;
            let taken = taken_refs(conn, &plans, &edits).await?;
            let mut changes: Vec<SupplierChange<'_>> = Vec::new();
            for (n, id, version, edit, verified_at) in &edits {
                match taken.get(n) {
                    Some(errors) => {
                        out.counts.updated -= 1;
                        out.fail(*n, errors.clone());
                    }
                    None => changes.push(SupplierChange::edit(*id, *version, edit, *verified_at)),
                }
            }
            for (n, plan) in &plans {
                if let Plan::Create(c) = plan {
                    match taken.get(n) {
                        Some(errors) => out.fail(*n, errors.clone()),
                        None => {
                            out.counts.created += 1;
                            changes.push(SupplierChange::create(c.0, &c.1, &c.2, None));
                        }
                    }
                }
            }
            let author = Author {
                actor: &run.actor,
                request_id: run.request_id.as_deref(),
            };
            // The events take the feed's lock, held until commit; the import's row is locked
            // after it, so that two batches of one import take the two in the same order.
            store::record_all(conn, author, &changes).await?;
            let created: Vec<(i32, Uuid, &ValidSupplier)> = plans
                .iter()
                .filter_map(|(n, plan)| match plan {
                    Plan::Create(c) if !taken.contains_key(n) => Some((*n, c.0, &c.1)),
                    _ => None,
                })
                .collect();
            let visibility =
                super::duplicates::visibility(run.role, run.actor.id.unwrap_or_default());
            let found = super::duplicates::of_created(conn, &visibility, &created).await?;
            imports_db::add_duplicates(conn, run.id, &found).await?;
            let (counts, errors) = (out.counts, &out.errors);
            if !imports_db::progress(conn, run.id, mark, counts, errors, LEASE_SECONDS).await? {
                return Err(BatchError::AlreadyDone);
            }
            Ok(counts)
        })
        .await;
    match outcome {
        Ok(counts) => Ok(Some(counts)),
        Err(BatchError::AlreadyDone) => Ok(None),
        Err(BatchError::Write(e)) => Err(e),
    }
}

fn refs(valid: &ValidSupplier) -> Vec<(&str, &str)> {
    let list = &valid.input.external_refs;
    list.iter()
        .map(|r| (r.system.as_str(), r.value.as_str()))
        .collect()
}

/// The rows of the batch whose external references another supplier (or an earlier row) holds.
async fn taken_refs(
    conn: &mut AsyncPgConnection,
    plans: &[(i32, Plan)],
    edits: &[Edited],
) -> Result<HashMap<i32, Vec<FieldError>>, BatchError> {
    let mut claims: Vec<Claim<'_>> = edits
        .iter()
        .map(|(n, id, _, edit, _)| Claim {
            row: *n,
            supplier: *id,
            refs: refs(&edit.valid),
        })
        .collect();
    for (n, plan) in plans {
        if let Plan::Create(c) = plan {
            claims.push(Claim {
                row: *n,
                supplier: c.0,
                refs: refs(&c.1),
            });
        }
    }
    claims.sort_by_key(|c| c.row);
    Ok(super::refs::taken(conn, &claims).await?)
}

/// Each row's verdict: bad rows are counted as failed at once; rows that name an existing
/// supplier are edits of it; the others new suppliers, checked and sized.
async fn plan(
    conn: &mut AsyncPgConnection,
    run: &Run,
    known: &Known<'_>,
    rows: &[(i32, &Row)],
    out: &mut Outcomes,
) -> Result<Vec<(i32, Plan)>, WriteError> {
    let mut keyed: Vec<(i32, &Map<String, Value>, Option<Key>)> = Vec::new();
    for &(n, row) in rows {
        match row {
            Err(e) => out.fail(n, vec![e.clone()]),
            Ok(map) => keyed.push((n, map, key_of(map))),
        }
    }
    let keys: Vec<Key> = keyed.iter().filter_map(|(_, _, k)| k.clone()).collect();
    let existing: HashMap<Key, Uuid> = imports_db::ids_by_tax_id(conn, &keys)
        .await?
        .into_iter()
        .map(|(id, country, tax)| ((country, tax), id))
        .collect();
    let mut plans = Vec::new();
    for (n, map, key) in keyed {
        if let Some(earlier) = run.repeats.get(&n) {
            let why = format!("repeats the country and tax id of row {earlier}");
            out.fail(n, vec![FieldError::new("tax_id", "duplicate_in_file", why)]);
            continue;
        }
        if let Some(id) = key.as_ref().and_then(|k| existing.get(k)) {
            plans.push((n, Plan::Update(*id, map.clone())));
            continue;
        }
        let body: Map<String, Value> = map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let parsed = supplier::parse(&Value::Object(body));
        match run.check_country(&parsed).and_then(|()| {
            supplier::new_supplier(parsed, known, &run.rules).map_err(Refused::into_errors)
        }) {
            Ok((valid, size)) => {
                plans.push((n, Plan::Create(Box::new((Uuid::now_v7(), valid, size)))))
            }
            Err(list) => out.fail(n, list),
        }
    }
    Ok(plans)
}

/// The edits of the batch's existing suppliers, read and locked in one query.
async fn edit_all(
    conn: &mut AsyncPgConnection,
    run: &Run,
    known: &Known<'_>,
    plans: &[(i32, Plan)],
    out: &mut Outcomes,
) -> Result<Vec<Edited>, BatchError> {
    let ids: Vec<Uuid> = plans
        .iter()
        .filter_map(|(_, p)| match p {
            Plan::Update(id, _) => Some(*id),
            Plan::Create(_) => None,
        })
        .collect();
    let mut records: HashMap<Uuid, SupplierRecord> = store::find_records_for_update(conn, &ids)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let mut edits = Vec::new();
    for (n, plan) in plans {
        let Plan::Update(id, row) = plan else {
            continue;
        };
        match edit_one(run, known, records.remove(id), row) {
            Ok(None) => out.counts.unchanged += 1,
            Ok(Some((version, edit, verified_at))) => {
                out.counts.updated += 1;
                edits.push((*n, *id, version, edit, verified_at));
            }
            Err(list) => out.fail(*n, list),
        }
    }
    Ok(edits)
}

type EditOutcome = Result<Option<(i32, Edit, Option<chrono::DateTime<Utc>>)>, Vec<FieldError>>;

/// A row applied to an existing supplier as a merge patch, through the shared edit step:
/// `Ok(None)` when nothing would change.
fn edit_one(
    run: &Run,
    known: &Known<'_>,
    record: Option<SupplierRecord>,
    row: &Map<String, Value>,
) -> EditOutcome {
    let Some(record) = record else {
        return Err(vec![FieldError::new(
            "tax_id",
            "gone",
            "the supplier with this tax id is gone",
        )]);
    };
    if record.status == SupplierStatus::Archived {
        return Err(vec![FieldError::new(
            "tax_id",
            "archived",
            "the supplier with this country and tax id is archived and cannot change",
        )]);
    }
    let current = record.current().ok_or_else(|| {
        vec![FieldError::new(
            "tax_id",
            "not_stored",
            "the stored supplier could not be read",
        )]
    })?;
    let parsed = supplier::parse(&supplier::merged(
        &current.input,
        &Value::Object(row.clone()),
    ));
    run.check_country(&parsed)?;
    let edit =
        supplier::edit(&current, parsed, known, &run.rules, false).map_err(Refused::into_errors)?;
    Ok(edit.map(|edit| (record.version + 1, edit, record.verified_at)))
}

impl Run {
    /// An agency imports suppliers of its countries only (checked once the row reads well).
    fn check_country(&self, parsed: &Parsed) -> Result<(), Vec<FieldError>> {
        let outside =
            self.role == Role::Agency && outside_countries(&self.countries, &parsed.input.country);
        if parsed.errors.is_empty() && outside {
            return Err(vec![FieldError::new(
                "country",
                "not_your_country",
                "is not one of the countries this agency acts in",
            )]);
        }
        Ok(())
    }
}

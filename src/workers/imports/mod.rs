//! The import worker: goes through queued imports (see `routes::imports`). Several
//! instances may run it: an import is claimed with `FOR UPDATE SKIP LOCKED` under a lease that
//! each batch renews; a worker that dies leaves the import to another once the lease ends, which
//! goes through the batches not yet committed.
//!
//! A first pass over the file finds the rows that repeat an earlier row's `(country, tax_id)`;
//! after it, batches are independent, and two run at once on two connections (PostgreSQL does
//! most of the work, and has two cores to do it on).

use std::{
    collections::{HashMap, HashSet, hash_map::Entry},
    sync::Arc,
    time::Duration,
};

use tokio::sync::Notify;

use futures_util::{StreamExt, stream};

mod batch;
mod duplicates;
mod refs;

pub use batch::{BATCH_ROWS, LEASE_SECONDS, Run, process_batch};

use crate::{
    db::{
        Pool,
        imports::{self as store, Mark},
        reference,
    },
    domain::{
        FieldError,
        import::{Key, Row, key_of, rows},
    },
};

/// Batches in flight at once.
const PARALLEL_BATCHES: usize = 2;
/// Claims of one import before it is given up as `failed` (each follows a worker that died or
/// failed while its lease ran).
const MAX_ATTEMPTS: i32 = 5;

/// Runs one import, if one is due; whether there was one.
pub async fn run_once(pool: &Pool) -> anyhow::Result<bool> {
    let mut conn = pool.get().await?;
    let Some(claimed) = store::claim(&mut conn, LEASE_SECONDS).await? else {
        return Ok(false);
    };
    if claimed.attempts > MAX_ATTEMPTS {
        tracing::error!(import = %claimed.id, attempts = claimed.attempts, "import given up");
        store::finish(&mut conn, claimed.id, "failed", 0).await?;
        return Ok(true);
    }
    let rules = reference::load_size_rules(&mut conn).await?;
    let codes = reference::all_codes(&mut conn).await?;
    let mut run = Run::new(&claimed, rules, codes);
    let Some(body) = claimed.body else {
        store::finish(&mut conn, claimed.id, "failed", 0).await?;
        return Ok(true);
    };
    drop(conn);

    // Pass one: which rows repeat an earlier row's key (only keys are kept).
    let mut first_row: HashMap<Key, i32> = HashMap::new();
    let mut total = 0i32;
    for (i, row) in rows(&claimed.format, &body).enumerate() {
        total = i as i32 + 1;
        if let Some(key) = row.ok().as_ref().and_then(key_of) {
            match first_row.entry(key) {
                Entry::Occupied(earlier) => {
                    run.repeats.insert(total, *earlier.get());
                }
                Entry::Vacant(slot) => {
                    slot.insert(total);
                }
            }
        }
    }
    drop(first_row);

    // Pass two: the batches not yet committed, two at a time.
    let done: HashSet<i32> = claimed.batches_done.into_iter().flatten().collect();
    let alone: HashSet<i32> = claimed.rows_alone.into_iter().flatten().collect();
    let mut all = rows(&claimed.format, &body);
    let mut number = -1i32;
    let batches = std::iter::from_fn(move || {
        let batch: Vec<Row> = all.by_ref().take(BATCH_ROWS).collect();
        number += 1;
        (!batch.is_empty()).then_some((number, batch))
    })
    .filter(|(number, _)| !done.contains(number));
    let (run, alone) = (&run, &alone);
    // Every batch runs to its end (commit or rollback) before an error is returned: none is
    // dropped halfway through its transaction.
    let results: Vec<anyhow::Result<()>> = stream::iter(batches)
        .map(|(number, batch)| async move { run_batch(pool, run, alone, number, &batch).await })
        .buffer_unordered(PARALLEL_BATCHES)
        .collect()
        .await;
    results.into_iter().collect::<anyhow::Result<Vec<()>>>()?;

    let mut conn = pool.get().await?;
    store::finish(&mut conn, run.id, "completed", total).await?;
    tracing::info!(import = %run.id, rows = total, "import completed");
    Ok(true)
}

/// One batch in one transaction (less its rows already committed alone); if the database refuses
/// it (a concurrent registration of the same tax id, say), row by row, each row's outcome
/// committed with a mark of its own, so that only the refused row fails and a resumed import
/// neither redoes nor recounts a row.
async fn run_batch(
    pool: &Pool,
    run: &Run,
    alone: &HashSet<i32>,
    number: i32,
    batch: &[Row],
) -> anyhow::Result<()> {
    let mut conn = pool.get().await?;
    let first = number * BATCH_ROWS as i32 + 1;
    let rows: Vec<(i32, &Row)> = batch
        .iter()
        .enumerate()
        .map(|(i, row)| (first + i as i32, row))
        .filter(|(n, _)| !alone.contains(n))
        .collect();
    let mark = Mark::Batch(number, batch.len() as i32);
    let Err(e) = process_batch(&mut conn, run, &rows, mark).await else {
        return Ok(());
    };
    tracing::warn!(import = %run.id, batch = number, error = %e, "batch failed; going row by row");
    for &(n, row) in &rows {
        if process_batch(&mut conn, run, &[(n, row)], Mark::Row(n))
            .await
            .is_err()
        {
            let failed: Row = Err(FieldError::new(
                "row",
                "not_stored",
                "could not be stored (a concurrent change to the same supplier); send it again",
            ));
            process_batch(&mut conn, run, &[(n, &failed)], Mark::Row(n)).await?;
        }
    }
    // Every row has its outcome: the batch is done.
    process_batch(&mut conn, run, &[], mark).await?;
    Ok(())
}

/// Runs imports until the process ends, looking for new ones every `idle`, or at once when this
/// process queued one (`queued`).
pub fn spawn(pool: Pool, idle: Duration, queued: Arc<Notify>) {
    tokio::spawn(async move {
        loop {
            match run_once(&pool).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %format!("{e:#}"), "import failed; will resume"),
            }
            tokio::select! {
                () = queued.notified() => {}
                () = tokio::time::sleep(idle) => {}
            }
        }
    });
}

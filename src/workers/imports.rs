//! The import worker: goes through queued imports (see `routes::suppliers::import`). Several
//! instances may run it: an import is claimed with `FOR UPDATE SKIP LOCKED` under a lease that
//! each batch renews; a worker that dies leaves the import to another once the lease ends, which
//! goes through the batches not yet committed.
//!
//! A first pass over the file finds the rows that repeat an earlier row's `(country, tax_id)`;
//! after it, batches are independent, and two run at once on two connections (PostgreSQL does
//! most of the work, and has two cores to do it on).

use std::{
    collections::{HashMap, HashSet, hash_map::Entry},
    time::Duration,
};

use futures_util::{StreamExt, TryStreamExt, stream};

use crate::{
    db::{Pool, imports as store, reference},
    error::FieldError,
    routes::suppliers::import::{
        BATCH_ROWS, Key, LEASE_SECONDS, Row, Run, key_of, process_batch, rows,
    },
};

/// Batches in flight at once.
const PARALLEL_BATCHES: usize = 2;

/// Runs one import, if one is due; whether there was one.
pub async fn run_once(pool: &Pool) -> anyhow::Result<bool> {
    let mut conn = pool.get().await?;
    let Some(claimed) = store::claim(&mut conn, LEASE_SECONDS).await? else {
        return Ok(false);
    };
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
    let mut all = rows(&claimed.format, &body);
    let mut number = -1i32;
    let batches = std::iter::from_fn(move || {
        let batch: Vec<Row> = all.by_ref().take(BATCH_ROWS).collect();
        number += 1;
        (!batch.is_empty()).then_some((number, batch))
    })
    .filter(|(number, _)| !done.contains(number));
    let run = &run;
    stream::iter(batches)
        .map(|(number, batch)| async move { run_batch(pool, run, number, &batch).await })
        .buffer_unordered(PARALLEL_BATCHES)
        .try_collect::<Vec<()>>()
        .await?;

    let mut conn = pool.get().await?;
    store::finish(&mut conn, run.id, "completed", total).await?;
    tracing::info!(import = %run.id, rows = total, "import completed");
    Ok(true)
}

/// One batch in one transaction; if the database refuses it (a concurrent registration of the
/// same tax id, say), row by row, so that only the refused row fails.
async fn run_batch(pool: &Pool, run: &Run, number: i32, batch: &[Row]) -> anyhow::Result<()> {
    let mut conn = pool.get().await?;
    let first = number * BATCH_ROWS as i32 + 1;
    let marker = Some((number, batch.len() as i32));
    let Err(e) = process_batch(&mut conn, run, first, batch, marker).await else {
        return Ok(());
    };
    tracing::warn!(import = %run.id, batch = number, error = %e, "batch failed; going row by row");
    for (i, row) in batch.iter().enumerate() {
        let n = first + i as i32;
        if process_batch(&mut conn, run, n, std::slice::from_ref(row), None)
            .await
            .is_err()
        {
            let failed = [Err(FieldError::new(
                "row",
                "not_stored",
                "could not be stored (a concurrent change to the same supplier); send it again",
            ))];
            process_batch(&mut conn, run, n, &failed, None)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    // The batch is done once every row has its outcome.
    process_batch(&mut conn, run, first, &[], marker)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// Runs imports until the process ends, looking for new ones every `idle`.
pub fn spawn(pool: Pool, idle: Duration) {
    tokio::spawn(async move {
        loop {
            match run_once(&pool).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %format!("{e:#}"), "import failed; will resume"),
            }
            tokio::time::sleep(idle).await;
        }
    });
}

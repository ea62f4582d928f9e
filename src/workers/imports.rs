//! The import worker: goes through queued imports batch by batch (see
//! `routes::suppliers::import`). Several instances may run it: an import is claimed with
//! `FOR UPDATE SKIP LOCKED` under a lease that each batch renews; a worker that dies leaves the
//! import to another once the lease ends, which resumes after the last committed batch.

use std::time::Duration;

use crate::{
    db::{Pool, imports as store, reference},
    domain::tax_id,
    error::FieldError,
    routes::suppliers::import::{BATCH_ROWS, LEASE_SECONDS, Row, Run, process_batch, rows},
};

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
        store::finish(&mut conn, claimed.id, "failed", claimed.rows_done).await?;
        return Ok(true);
    };
    let mut rows = rows(&claimed.format, &body);
    // Resuming: skip the rows already done, keeping their keys so that repeats stay refused.
    let mut done = usize::try_from(claimed.rows_done).unwrap_or(0);
    for (i, row) in rows.by_ref().take(done).enumerate() {
        if let Ok(map) = row
            && let (Some(c), Some(t)) = (
                map.get("country").and_then(|v| v.as_str()),
                map.get("tax_id").and_then(|v| v.as_str()),
            )
        {
            run.seen
                .entry((c.trim().to_owned(), tax_id::normalise(t)))
                .or_insert(i as i32 + 1);
        }
    }
    loop {
        let batch: Vec<Row> = rows.by_ref().take(BATCH_ROWS).collect();
        if batch.is_empty() {
            break;
        }
        let first = done as i32 + 1;
        let end = (done + batch.len()) as i32;
        if let Err(e) = process_batch(&mut conn, &mut run, first, &batch, end).await {
            // A row the checks passed but the database refused (a concurrent registration of
            // the same tax id, say): go row by row, so that only that row fails.
            tracing::warn!(import = %run.id, error = %e, "batch failed; going row by row");
            for (i, row) in batch.iter().enumerate() {
                let n = first + i as i32;
                let single = std::slice::from_ref(row);
                if process_batch(&mut conn, &mut run, n, single, n)
                    .await
                    .is_err()
                {
                    let failed = [Err(FieldError::new(
                        "row",
                        "not_stored",
                        "could not be stored (a concurrent change to the same supplier); send it again",
                    ))];
                    process_batch(&mut conn, &mut run, n, &failed, n)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                }
            }
        }
        done += batch.len();
    }
    let total = i32::try_from(done).unwrap_or(i32::MAX);
    store::finish(&mut conn, run.id, "completed", total).await?;
    tracing::info!(import = %run.id, rows = total, "import completed");
    Ok(true)
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

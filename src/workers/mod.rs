//! Background work. Each job is a `run_once` step (tests and the CLI run it directly) and a loop
//! that only decides when to run it again. Jobs are safe with several instances running.

pub mod certificates;
pub mod imports;
pub mod webhooks;

use std::{sync::Arc, time::Duration};

use crate::{config::Config, db::Pool};

/// Starts the background jobs on the current runtime.
pub fn spawn_all(
    pool: Pool,
    config: &Config,
    import_queued: Arc<tokio::sync::Notify>,
) -> anyhow::Result<()> {
    webhooks::spawn(pool.clone(), config)?;
    imports::spawn(pool.clone(), Duration::from_secs(1), import_queued);
    tokio::spawn(async move {
        loop {
            match certificates::run_once(&pool, chrono::Utc::now().date_naive()).await {
                Ok(outcome) if outcome.certificates > 0 => {
                    tracing::info!(
                        suppliers = outcome.suppliers,
                        certificates = outcome.certificates,
                        "certificate statuses moved"
                    );
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "certificate expiry job failed; will retry")
                }
            }
            // Statuses change by the day; an hourly run keeps them at most an hour behind.
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    });
    Ok(())
}

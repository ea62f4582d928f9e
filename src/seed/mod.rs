//! `supplier-registry seed`: deterministic, realistic synthetic suppliers for development and
//! benchmarks — accented Spanish names, the Americas with a Mexican majority, skewed states,
//! capabilities from the taxonomy, certifications (some expired) and locations. The same
//! `--seed` gives the same data. Rows go in with one `INSERT … SELECT FROM unnest(…)` per batch.
//!
//! Seeded suppliers have a past (`history`): registrations over 24 months, then submissions,
//! verifications, rejections and suspensions, each with its audit entry, so that the ladder and
//! a supplier's history show something true to the data. They get no change events: the feed
//! starts clean.

mod batch;
mod history;
mod vocabulary;

use anyhow::Context;
use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use rand::{SeedableRng, rngs::StdRng};

use self::batch::{Batch, Reference};
use crate::db::reference;

/// Seeds `count` suppliers from `seed`; returns how many were written.
pub async fn run(url: &str, count: u64, seed: u64) -> anyhow::Result<u64> {
    let mut conn = AsyncPgConnection::establish(url)
        .await
        .context("Failed to connect")?;
    let reference = load_reference(&mut conn).await?;
    let mut rng = StdRng::seed_from_u64(seed);
    let started = std::time::Instant::now();
    let mut written = 0;
    // Offset the tax ids by the seed so that runs with different seeds can share a database.
    let base = seed.wrapping_mul(1_000_003) % 1_000_000_000;
    while written < count {
        let batch = (count - written).min(5_000);
        let mut s = Batch::default();
        for i in 0..batch {
            let n = base + written + i;
            s.push(&mut rng, n, &reference);
        }
        conn.transaction(async |conn| s.insert(conn).await).await?;
        written += batch;
        if written % 100_000 == 0 || written == count {
            tracing::info!(
                written,
                elapsed_s = started.elapsed().as_secs_f64(),
                "seeding"
            );
        }
    }
    Ok(written)
}

/// The size rules, the leaf capabilities and the certification schemes suppliers are drawn with.
async fn load_reference(conn: &mut AsyncPgConnection) -> anyhow::Result<Reference> {
    let rules = reference::load_size_rules(conn).await?;
    let (capabilities, _) = reference::all_capabilities(conn).await?;
    let leaves: Vec<String> = capabilities
        .iter()
        .filter(|c| {
            !capabilities
                .iter()
                .any(|o| o.parent.as_deref() == Some(c.code.as_str()))
        })
        .map(|c| c.code.clone())
        .collect();
    let schemes: Vec<String> = reference::all_schemes(conn)
        .await?
        .into_iter()
        .map(|s| s.code)
        .collect();
    Ok(Reference {
        rules,
        leaves,
        schemes,
        today: Utc::now().date_naive(),
        now: Utc::now(),
    })
}

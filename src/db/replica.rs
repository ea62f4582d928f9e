//! A streaming replica for the reads that may lag a little (`DATABASE_READ_URL`): searches,
//! facets, exports and statistics.
//!
//! Which read goes where ([`Replica::source`]):
//! - a caller without credentials reads from the replica: it wrote nothing (every write needs a
//!   token), so there is nothing of its own it could miss;
//! - a caller with credentials reads from the replica only when the replica has replayed all the
//!   WAL the primary had written when the read began (`pg_current_wal_lsn()` on the primary,
//!   `pg_last_wal_replay_lsn()` on the replica), so that what it wrote (on any instance) is there;
//!   else from the primary. While the primary is down, the replica serves it all the same (no
//!   write can have happened since);
//! - while the replica is down (a failed checkout or query, for [`DOWN_FOR`]) every read goes to
//!   the primary.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use diesel::{QueryableByName, sql_types::Bool, sql_types::Text};
use diesel_async::RunQueryDsl;
use secrecy::ExposeSecret;

use super::{Pool, SearchPools};
use crate::config::Config;

/// How long the replica is left alone after it failed.
pub const DOWN_FOR: Duration = Duration::from_secs(5);

/// Where one read goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Primary,
    Replica,
}

/// The replica's pools (opened on first use, like the primary's): the search's two, the
/// exports' own and one for facets, statistics and the lag check.
pub struct Replica {
    pub pool: Pool,
    pub search: SearchPools,
    pub export: Pool,
    down_since: Mutex<Option<Instant>>,
}

impl Replica {
    /// The replica of `DATABASE_READ_URL`, or `None` when it is not set.
    pub fn build(config: &Config, export_size: usize) -> anyhow::Result<Option<Self>> {
        let Some(url) = &config.database_read_url else {
            return Ok(None);
        };
        let url = url.expose_secret();
        Ok(Some(Self {
            pool: super::pool_at(config, url, "")?,
            search: super::search_pools_at(config, url)?,
            export: super::sized_pool(config, url, "", export_size, 0)?,
            down_since: Mutex::default(),
        }))
    }

    /// Where a read goes: see the module's documentation. `credentials`: the request carries an
    /// `Authorization` header (whether its token is good does not matter here).
    pub async fn source(&self, primary: &Pool, credentials: bool) -> Source {
        if self.is_down() {
            return Source::Primary;
        }
        if !credentials {
            return Source::Replica;
        }
        match self.caught_up(primary).await {
            Some(true) => Source::Replica,
            Some(false) => Source::Primary,
            None => {
                self.mark_down();
                Source::Primary
            }
        }
    }

    /// Whether the replica has replayed what the primary has written; `None` when the replica
    /// could not be asked (`Some(true)` when the primary could not).
    async fn caught_up(&self, primary: &Pool) -> Option<bool> {
        #[derive(QueryableByName)]
        struct Lsn {
            #[diesel(sql_type = Text)]
            lsn: String,
        }
        #[derive(QueryableByName)]
        struct Replayed {
            #[diesel(sql_type = Bool)]
            replayed: bool,
        }
        let written = match primary.get().await {
            Ok(mut conn) => diesel::sql_query("SELECT pg_current_wal_lsn()::text AS lsn")
                .get_result::<Lsn>(&mut conn)
                .await
                .ok(),
            Err(_) => None,
        };
        let Some(written) = written else {
            return Some(true);
        };
        let mut conn = self.pool.get().await.ok()?;
        diesel::sql_query(
            "SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) AS replayed",
        )
        .bind::<Text, _>(written.lsn)
        .get_result::<Replayed>(&mut conn)
        .await
        .ok()
        .map(|r| r.replayed)
    }

    pub fn is_down(&self) -> bool {
        let mut since = self.down_since.lock().unwrap_or_else(|e| e.into_inner());
        match *since {
            Some(at) if at.elapsed() < DOWN_FOR => true,
            Some(_) => {
                *since = None;
                false
            }
            None => false,
        }
    }

    /// The replica failed: reads go to the primary for [`DOWN_FOR`].
    pub fn mark_down(&self) {
        let mut since = self.down_since.lock().unwrap_or_else(|e| e.into_inner());
        if since.is_none() {
            tracing::warn!(
                "the read replica failed; reads go to the primary for {} s",
                DOWN_FOR.as_secs()
            );
            *since = Some(Instant::now());
        }
    }
}

//! The state every handler can reach, built once at start-up and shared by all workers, and the
//! bounds on concurrent exports ([`ExportLimits`]).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use actix_web::{HttpRequest, http::header};
use diesel_async::{AsyncPgConnection, pooled_connection::deadpool};
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore};

use crate::{
    auth::{secrets::DigestKey, tokens::Authority},
    config::Config,
    db::{
        Pool, SearchPools, build_export_pool,
        replica::{Replica, Source},
        search::{AnswerCache, KeptAnswers},
    },
    domain::size::SizeRule,
    error::ApiError,
    http::metrics::Metrics,
};

pub struct AppState {
    pub pool: Pool,
    /// The search's connections (see [`crate::db::SearchPools`]).
    pub search_pools: SearchPools,
    pub config: Arc<Config>,
    /// Also registered as its own app data, for the middleware that records requests.
    pub metrics: Arc<Metrics>,
    /// Issues and verifies access tokens (shared with the [`crate::auth::Verifier`]).
    pub authority: Arc<Authority>,
    /// Keys the digests of client secrets and refresh tokens, and cursors.
    pub digest_key: DigestKey,
    /// The OpenAPI document, serialized once.
    pub openapi_json: String,
    /// The MSME size rules, read from the database on first use (rules change by migration, so
    /// every instance reads the same ones).
    pub size_rules: OnceCell<Vec<SizeRule>>,
    /// Facet counts, by filters and visibility, while no change is committed.
    pub facets_cache: AnswerCache,
    /// The public statistics, for `STATS_CACHE_SECONDS` each (see [`crate::routes::stats`]).
    pub stats_cache: KeptAnswers,
    /// Wakes this process's import worker when an import is queued here (other instances find it
    /// on their next look).
    pub import_queued: Arc<tokio::sync::Notify>,
    /// The exports' connections and how many may run at once.
    pub exports: Arc<ExportLimits>,
    /// The streaming replica of `DATABASE_READ_URL`, when set.
    pub replica: Option<Replica>,
}

/// A pooled connection.
pub type Conn = deadpool::Object<AsyncPgConnection>;

/// The reads that may go to the replica (see [`crate::db::replica`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadKind {
    /// Facets and statistics.
    Plain,
    Export,
}

impl AppState {
    /// Where a read that may lag a little goes: the replica or the primary (see
    /// [`crate::db::replica`]).
    pub async fn read_source(&self, req: &HttpRequest) -> Source {
        match &self.replica {
            None => Source::Primary,
            Some(replica) => {
                let credentials = req.headers().contains_key(header::AUTHORIZATION);
                replica.source(&self.pool, credentials).await
            }
        }
    }

    /// The search pools of `source`.
    pub fn search_pools_of(&self, source: Source) -> &SearchPools {
        match (&self.replica, source) {
            (Some(replica), Source::Replica) => &replica.search,
            _ => &self.search_pools,
        }
    }

    fn pool_of(&self, source: Source, kind: ReadKind) -> &Pool {
        match (&self.replica, source, kind) {
            (Some(replica), Source::Replica, ReadKind::Plain) => &replica.pool,
            (Some(replica), Source::Replica, ReadKind::Export) => &replica.export,
            (_, _, ReadKind::Plain) => &self.pool,
            (_, _, ReadKind::Export) => &self.exports.pool,
        }
    }

    /// A connection for a read of `kind` from `source`; when the replica gives none, the
    /// primary's instead (and the replica is left alone for a while). Returns where it read.
    pub async fn read_conn(
        &self,
        source: Source,
        kind: ReadKind,
    ) -> Result<(Source, Conn), ApiError> {
        match self.pool_of(source, kind).get().await {
            Ok(conn) => Ok((source, conn)),
            Err(e) if source == Source::Replica => {
                tracing::warn!(error = %e, "no connection to the read replica");
                self.replica_failed();
                let conn = self.pool_of(Source::Primary, kind).get().await?;
                Ok((Source::Primary, conn))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The replica gave no connection or failed a read: reads go to the primary for a while.
    pub fn replica_failed(&self) {
        if let Some(replica) = &self.replica {
            replica.mark_down();
        }
    }

    /// Passes on the error of a read from `source`; a replica that answers 503 (connection
    /// lost, server shutting down) is left alone for a while.
    pub fn read_failed(&self, source: Source, err: ApiError) -> ApiError {
        if source == Source::Replica && matches!(err, ApiError::Unavailable(_)) {
            self.replica_failed();
        }
        err
    }

    pub async fn size_rules(&self, conn: &mut AsyncPgConnection) -> Result<&[SizeRule], ApiError> {
        self.size_rules
            .get_or_try_init(|| async { crate::db::reference::load_size_rules(conn).await })
            .await
            .map(Vec::as_slice)
            .map_err(ApiError::Internal)
    }
}

/// Concurrent exports per caller.
pub const EXPORTS_PER_CALLER: usize = 2;

/// What `Retry-After` says when an export is refused for want of a slot.
pub const EXPORT_RETRY_AFTER_SECONDS: u32 = 5;

/// The bounds on exports, so that no caller (and no crowd of them) can hold the database's
/// connections: at most [`EXPORTS_PER_CALLER`] per caller and `DATABASE_POOL_SIZE` in all, each on
/// a connection of the exports' own pool; a client that reads nothing for the statement timeout
/// (`DATABASE_STATEMENT_TIMEOUT_MS`) loses its export, which gives its connection back.
pub struct ExportLimits {
    /// Exactly as many connections as slots: a slot's holder never waits for one.
    pub pool: Pool,
    /// The longest an export waits for its client to take the next chunk.
    pub send_timeout: Duration,
    slots: Arc<Semaphore>,
    /// Exports running, by caller (a caller with none has no entry).
    running: Mutex<HashMap<String, usize>>,
}

/// One running export's place; dropping it frees the place.
pub struct ExportSlot {
    limits: Arc<ExportLimits>,
    caller: String,
    _slot: OwnedSemaphorePermit,
}

impl ExportLimits {
    pub fn new(config: &Config) -> anyhow::Result<Arc<Self>> {
        let size = config.database_pool_size;
        Ok(Arc::new(Self {
            pool: build_export_pool(config, size)?,
            send_timeout: config.database_statement_timeout,
            slots: Arc::new(Semaphore::new(size)),
            running: Mutex::default(),
        }))
    }

    /// A place for one more export of `caller`; 429 with `Retry-After` when the caller, or
    /// everybody together, already runs as many as allowed.
    pub fn try_start(self: &Arc<Self>, caller: String) -> Result<ExportSlot, ApiError> {
        let busy = ApiError::TooManyRequests {
            retry_after: EXPORT_RETRY_AFTER_SECONDS,
        };
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let mine = running.get(&caller).copied().unwrap_or_default();
        if mine >= EXPORTS_PER_CALLER {
            return Err(busy);
        }
        let slot = Arc::clone(&self.slots)
            .try_acquire_owned()
            .map_err(|_| busy)?;
        running.insert(caller.clone(), mine + 1);
        drop(running);
        Ok(ExportSlot {
            limits: Arc::clone(self),
            caller,
            _slot: slot,
        })
    }
}

impl Drop for ExportSlot {
    fn drop(&mut self) {
        let mut running = self
            .limits
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(n) = running.get_mut(&self.caller) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                running.remove(&self.caller);
            }
        }
    }
}

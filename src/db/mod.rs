//! Everything that knows SQL: the connection pool, database creation, embedded migrations and the
//! readiness check. Query functions take `&mut AsyncPgConnection`; the caller owns the transaction.

pub mod accounts;
pub mod imports;
pub mod reference;
pub mod replica;
pub mod schema;
pub mod search;
pub mod stats;
pub mod suppliers;
pub mod webhooks;

use std::{sync::LazyLock, time::Duration};

use anyhow::Context;
use diesel::{
    ConnectionError,
    pg::Pg,
    prelude::*,
    result::{DatabaseErrorKind, Error as DieselError},
    sql_types::{Bool, Text},
};
use diesel_async::{
    AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection,
    async_connection_wrapper::AsyncConnectionWrapper,
    pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod, deadpool},
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use futures_util::FutureExt;
use secrecy::ExposeSecret;
use url::Url;

use crate::config::{Config, parse_database_url};

pub type Pool = deadpool::Pool<AsyncPgConnection>;
pub type PoolError = deadpool::PoolError;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Builds the pool. No connection is opened here: the first request opens one, so the service
/// starts (and `/readyz` answers 503) while the database is still down.
pub fn build_pool(config: &Config) -> anyhow::Result<Pool> {
    pool_with(config, "")
}

/// The search's own connections, in two pools whose sessions differ only in how they plan
/// prepared statements (connections open on first use):
/// - `generic`: each statement is planned once, for any values (`plan_cache_mode =
///   force_generic_plan`), for statements whose best plan does not depend on the values: the
///   documents of every page, and nearest-first pages (by distance or by name similarity) with no
///   other filter (the GiST nearest-first scan; see `search::plans_once`). PostgreSQL otherwise
///   kept choosing custom plans for those pages, planning every page again (a fifth of the
///   database's time per geo page).
/// - `custom`: each statement is planned for its values on every call (`plan_cache_mode =
///   force_custom_plan`), for every other page, whose best plan depends on the values (the
///   generic-plan trap of `../shared/reference/search-performance.md`). Prepared all the same, so
///   a page is one round trip, not a prepare, an execute and a close.
pub struct SearchPools {
    pub generic: Pool,
    pub custom: Pool,
}

pub fn build_search_pools(config: &Config) -> anyhow::Result<SearchPools> {
    search_pools_at(config, config.database_url.expose_secret())
}

/// The search pools on the database at `url` (the primary, or a replica).
fn search_pools_at(config: &Config, url: &str) -> anyhow::Result<SearchPools> {
    Ok(SearchPools {
        generic: pool_at(config, url, "SET plan_cache_mode = force_generic_plan; ")?,
        custom: pool_at(config, url, "SET plan_cache_mode = force_custom_plan; ")?,
    })
}

/// The exports' own connections (`size` of them, opened on first use), so that exports never
/// take the connections of interactive requests, logins and `/readyz`. An export may outlast
/// the statement timeout, so these sessions have none (each wait for the client is bounded
/// instead; see `state::ExportLimits`).
pub fn build_export_pool(config: &Config, size: usize) -> anyhow::Result<Pool> {
    sized_pool(config, config.database_url.expose_secret(), "", size, 0)
}

fn pool_with(config: &Config, setup: &'static str) -> anyhow::Result<Pool> {
    pool_at(config, config.database_url.expose_secret(), setup)
}

fn pool_at(config: &Config, url: &str, setup: &'static str) -> anyhow::Result<Pool> {
    let statement_timeout_ms = config.database_statement_timeout.as_millis();
    sized_pool(
        config,
        url,
        setup,
        config.database_pool_size,
        statement_timeout_ms,
    )
}

fn sized_pool(
    config: &Config,
    url: &str,
    setup: &'static str,
    size: usize,
    statement_timeout_ms: u128,
) -> anyhow::Result<Pool> {
    let mut manager_config = ManagerConfig::<AsyncPgConnection>::default();
    // A broken connection is detected on use and dropped by deadpool; a test query on every
    // checkout would cost a round trip per request.
    manager_config.recycling_method = RecyclingMethod::Fast;
    manager_config.custom_setup = Box::new(move |url| {
        let url = url.to_owned();
        async move {
            let mut conn = AsyncPgConnection::establish(&url).await?;
            conn.batch_execute(&format!(
                "{setup}SET statement_timeout = {statement_timeout_ms}; \
                 SET application_name = 'supplier-registry'; \
                 SET pg_trgm.word_similarity_threshold = 0.35"
            ))
            .await
            .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
            Ok(conn)
        }
        .boxed()
    });
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, manager_config);
    let timeout = Some(config.database_acquire_timeout);
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(timeout)
        .create_timeout(timeout)
        .recycle_timeout(timeout)
        .runtime(::deadpool::Runtime::Tokio1)
        .build()
        .context("Failed to build the database pool")
}

/// Creates the database named in `url` when it does not exist yet. Returns whether it created it.
pub async fn create_database_if_missing(url: &str) -> anyhow::Result<bool> {
    let parsed = parse_database_url(url)?;
    if AsyncPgConnection::establish(url).await.is_ok() {
        return Ok(false);
    }
    let name = database_name(&parsed)?;
    let mut admin_url = parsed.clone();
    admin_url.set_path("/postgres");
    let mut conn = AsyncPgConnection::establish(admin_url.as_str())
        .await
        .context("Failed to connect to the `postgres` database to create the service database")?;
    if database_exists(&mut conn, &name).await? {
        return Ok(false);
    }
    let created = diesel::sql_query(format!("CREATE DATABASE {}", quote_ident(&name)))
        .execute(&mut conn)
        .await;
    match created {
        Ok(_) => Ok(true),
        // Another instance may have created it in the meantime.
        Err(_) if database_exists(&mut conn, &name).await? => Ok(false),
        Err(e) => Err(e).with_context(|| format!("Failed to create database `{name}`")),
    }
}

/// Drops a database, ending its sessions (tests use this to clean up).
pub async fn drop_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = AsyncPgConnection::establish(admin_url).await?;
    diesel::sql_query(format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_ident(name)
    ))
    .execute(&mut conn)
    .await?;
    Ok(())
}

pub async fn database_exists(conn: &mut AsyncPgConnection, name: &str) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Exists {
        #[diesel(sql_type = Bool)]
        exists: bool,
    }
    let row: Exists =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<Text, _>(name)
            .get_result(conn)
            .await?;
    Ok(row.exists)
}

/// The database name in a PostgreSQL URL, percent-decoded.
pub fn database_name(url: &Url) -> anyhow::Result<String> {
    let raw = url.path().trim_start_matches('/');
    let name = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .context("the database name is not UTF-8")?
        .into_owned();
    anyhow::ensure!(!name.is_empty(), "the database URL names no database");
    Ok(name)
}

/// Quotes an SQL identifier (`"a""b"`).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Applies the embedded migrations that are not applied yet, then refreshes the reference data
/// that comes from crates (ISO 3166); returns how many migrations ran.
///
/// Several instances may start at once on one database: the whole run holds a session advisory
/// lock of that database ([`MIGRATION_LOCK`]), so one migrates while the others wait, then find
/// nothing pending. The lock goes with its connection, so a crashed migrator never leaves it held.
pub async fn run_migrations(url: &str) -> anyhow::Result<usize> {
    let mut conn = AsyncPgConnection::establish(url)
        .await
        .context("Failed to connect to the database")?;
    migration_lock(
        &mut conn,
        "SELECT pg_advisory_lock(hashtextextended($1, 0))",
    )
    .await?;
    let outcome = migrate_locked(url, &mut conn).await;
    // On an error the connection (and its lock) is dropped anyway.
    migration_lock(
        &mut conn,
        "SELECT pg_advisory_unlock(hashtextextended($1, 0))",
    )
    .await?;
    outcome
}

/// The advisory lock's name (hashed to its key); per database, like every advisory lock.
pub const MIGRATION_LOCK: &str = "supplier-registry migrations";

async fn migration_lock(conn: &mut AsyncPgConnection, sql: &'static str) -> anyhow::Result<()> {
    diesel::sql_query(sql)
        .bind::<Text, _>(MIGRATION_LOCK)
        .execute(conn)
        .await
        .context("Failed to take or release the migration lock")?;
    Ok(())
}

async fn migrate_locked(url: &str, conn: &mut AsyncPgConnection) -> anyhow::Result<usize> {
    let applied = apply_migrations(url).await?;
    reference::sync_iso3166(conn)
        .await
        .context("Failed to load the ISO 3166 countries and subdivisions")?;
    Ok(applied)
}

/// Diesel's migration harness is synchronous, so it runs on a blocking thread over the async
/// connection (no libpq needed).
async fn apply_migrations(url: &str) -> anyhow::Result<usize> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
        let mut conn: AsyncConnectionWrapper<AsyncPgConnection> =
            diesel::Connection::establish(&url)
                .context("Failed to connect to the database to migrate it")?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("Failed to apply the migrations")?;
        Ok(applied.len())
    })
    .await
    .context("The migration task panicked")?
}

/// The versions of the embedded migrations.
static EMBEDDED_VERSIONS: LazyLock<Vec<String>> = LazyLock::new(|| {
    use diesel::migration::MigrationSource;
    MigrationSource::<Pg>::migrations(&MIGRATIONS)
        .map(|all| all.iter().map(|m| m.name().version().to_string()).collect())
        .unwrap_or_default()
});

/// What the readiness probe found.
#[derive(Debug, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    MigrationsPending(usize),
}

/// Checks that the database answers and every embedded migration is applied.
pub async fn readiness(conn: &mut AsyncPgConnection) -> QueryResult<Readiness> {
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = Text)]
        version: String,
    }
    let applied: Vec<Version> =
        match diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
            .load(conn)
            .await
        {
            Ok(rows) => rows,
            // No migration table: nothing applied yet.
            Err(DieselError::DatabaseError(DatabaseErrorKind::Unknown, info))
                if info.message().contains("does not exist") =>
            {
                Vec::new()
            }
            Err(e) => return Err(e),
        };
    let pending = EMBEDDED_VERSIONS
        .iter()
        .filter(|v| !applied.iter().any(|a| &a.version == *v))
        .count();
    Ok(if pending == 0 {
        Readiness::Ready
    } else {
        Readiness::MigrationsPending(pending)
    })
}

/// How long `/readyz` waits for the database before it answers 503.
pub const READINESS_TIMEOUT: Duration = Duration::from_millis(800);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn database_names_are_decoded() {
        let url = Url::parse("postgres://h/my%20db+1").unwrap();
        assert_eq!(database_name(&url).unwrap(), "my db+1");
    }

    #[test]
    fn embedded_migrations_are_listed() {
        assert!(!EMBEDDED_VERSIONS.is_empty());
    }
}

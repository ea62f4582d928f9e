//! Typed configuration, read from environment variables only and validated once at start-up.
//!
//! A missing or invalid value stops the process with a message that names the variable. Secrets
//! (the database URL may carry a password) are kept in [`SecretString`], so `Debug` never prints them.

mod values;

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use secrecy::{ExposeSecret, SecretString};
use url::Url;

pub use values::ConfigError;
use values::{err, flag, flag_or, millis, parsed, ranged, seconds};

/// The deployment environment: it decides the log format and how strict start-up is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

/// Which browser origins may call the API (CORS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    /// No cross-origin browser access (the default).
    None,
    /// Any origin (`*`); credentials are never allowed with it.
    Any,
    /// Exactly these origins (`scheme://host[:port]`).
    List(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: SecretString,
    /// `DATABASE_READ_URL` (optional): a streaming replica of `DATABASE_URL` (hot standby) that
    /// takes the reads that may lag a little: searches, facets, exports and statistics (see
    /// `db::replica` for which caller's read stays on the primary).
    pub database_read_url: Option<SecretString>,
    /// `DATABASE_MIGRATION_URL`: the role that owns the schema, for `migrate` (and for `serve`'s
    /// migrations at start); `DATABASE_URL` when unset. The service's own role then needs only
    /// DML rights.
    pub database_migration_url: Option<SecretString>,
    /// `MIGRATE_ON_START` (default `true`): `serve` creates the database and applies pending
    /// migrations before it listens; `false` leaves that to `supplier-registry migrate`.
    pub migrate_on_start: bool,
    pub listen_addr: SocketAddr,
    pub app_env: AppEnv,
    /// The `RUST_LOG` filter, already checked to parse.
    pub log_filter: String,
    pub database_pool_size: usize,
    /// How long a request waits for a pooled connection (and for a new one to open) before it
    /// fails with 503.
    pub database_acquire_timeout: Duration,
    /// Server-side limit for any one SQL statement.
    pub database_statement_timeout: Duration,
    /// Largest JSON request body accepted; larger bodies get 413.
    pub max_body_bytes: usize,
    pub cors_allowed_origins: CorsOrigins,
    /// Number of HTTP worker threads (default: one per core).
    pub http_workers: usize,
    /// How long a graceful shutdown waits for in-flight requests.
    pub shutdown_timeout: Duration,
    /// Lifetime of access tokens.
    pub access_token_ttl: Duration,
    /// Lifetime of refresh tokens.
    pub refresh_token_ttl: Duration,
    /// Directory of Ed25519 private keys (PKCS#8 PEM, `*.pem`); the last by file name signs, all
    /// verify. Required in production; development generates a key when unset.
    pub jwt_signing_keys_dir: Option<PathBuf>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    /// Key of the digests that stand in for client secrets and refresh tokens, and of cursors.
    /// Required in production.
    pub secret_digest_key: Option<SecretString>,
    /// Requests per second per caller (per IP for anonymous callers); 0 turns every limit off.
    pub rate_limit_per_second: u32,
    pub rate_limit_burst: u32,
    /// `REDIS_URL`: request limits shared by every instance through Redis; per instance when unset.
    pub redis_url: Option<SecretString>,
    /// `REDIS_KEY_PREFIX` (default `supplier-registry:`): what this deployment's Redis keys start
    /// with, so that several deployments may share one Redis.
    pub redis_key_prefix: String,
    /// `TRUSTED_PROXIES`: comma list of CIDR ranges (`10.0.0.0/8,fd00::/8`) whose peers may say
    /// in `X-Forwarded-For` whom they forward for; empty (the default) trusts nobody.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `WEBHOOK_ALLOW_PRIVATE_TARGETS`: webhooks may call loopback and private addresses (never
    /// link-local ones).
    pub webhook_allow_private_targets: bool,
    /// `WEBHOOK_TIMEOUT_SECONDS`: the whole of one delivery attempt, connection included.
    pub webhook_timeout: Duration,
    /// `WEBHOOK_RETRY_SCHEDULE_SECONDS`: the waits before each retry (each ± 20 % jitter); after
    /// the last, the delivery fails and the endpoint is marked `failing`.
    pub webhook_retry_schedule: Vec<Duration>,
    /// `WEBHOOK_POLL_INTERVAL_MS`: how often an idle dispatcher looks for due deliveries.
    pub webhook_poll_interval: Duration,
    /// `IMPORT_MAX_BYTES`: the largest bulk-import body.
    pub import_max_bytes: usize,
    /// How long a facet-count answer may be served from memory (it is recomputed as soon as any
    /// change is committed, or the date changes); 0 turns the cache off.
    pub facets_cache_ttl: Duration,
    /// `STATS_CACHE_SECONDS`: how long a public statistic (coverage, summary, ladder, resilience)
    /// is served from memory once computed. Writes do not drop it, so the statistics stay fast
    /// while the registry is busy and are at most this old; 0 computes every answer afresh.
    pub stats_cache_ttl: Duration,
    /// `PUBLIC_URL`: the service's address as the outside world reaches it (`https://…`), for
    /// the absolute URLs of the reconciliation manifest; the request's `Host` when unset.
    pub public_url: Option<String>,
}

/// `PUBLIC_URL`: an absolute http(s) URL.
fn public_url(raw: Option<String>) -> Result<Option<String>, ConfigError> {
    match raw {
        None => Ok(None),
        Some(raw) => match url::Url::parse(&raw) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(Some(raw)),
            _ => Err(err(
                "PUBLIC_URL",
                "must be an absolute http(s) URL, like https://registry.example",
            )),
        },
    }
}

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@localhost:5432/supplier_registry";

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup` (the environment, or a map in tests). An empty value
    /// counts as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        parse_database_url(&database_url)?;
        let database_migration_url = get("DATABASE_MIGRATION_URL");
        if let Some(url) = &database_migration_url {
            parse_database_url(url).map_err(|e| err("DATABASE_MIGRATION_URL", e.message))?;
        }
        let database_read_url = get("DATABASE_READ_URL");
        if let Some(url) = &database_read_url {
            parse_database_url(url).map_err(|e| err("DATABASE_READ_URL", e.message))?;
        }
        let redis_url = get("REDIS_URL");
        if let Some(url) = &redis_url {
            check_redis_url(url)?;
        }

        let app_env = app_env(get("APP_ENV").as_deref())?;

        let log_filter = get("RUST_LOG").unwrap_or_else(|| "info".to_owned());
        tracing_subscriber::EnvFilter::try_new(&log_filter)
            .map_err(|e| err("RUST_LOG", format!("not a valid filter: {e}")))?;

        let default_workers = std::thread::available_parallelism().map_or(2, |n| n.get());

        let jwt_signing_keys_dir = get("JWT_SIGNING_KEYS_DIR").map(PathBuf::from);
        let secret_digest_key = get("SECRET_DIGEST_KEY");
        check_keys(
            app_env,
            jwt_signing_keys_dir.as_ref(),
            secret_digest_key.as_deref(),
        )?;
        let rate_limit_per_second = ranged(&get, "RATE_LIMIT_PER_SECOND", 20, 0, 1_000_000)?;

        Ok(Self {
            database_url: SecretString::from(database_url),
            database_migration_url: database_migration_url.map(SecretString::from),
            database_read_url: database_read_url.map(SecretString::from),
            migrate_on_start: flag_or(&get, "MIGRATE_ON_START", true)?,
            redis_url: redis_url.map(SecretString::from),
            redis_key_prefix: get("REDIS_KEY_PREFIX")
                .unwrap_or_else(|| "supplier-registry:".into()),
            trusted_proxies: parse_proxies(get("TRUSTED_PROXIES").as_deref())?,
            listen_addr: parsed(&get, "LISTEN_ADDR", "127.0.0.1:8080".parse().ok())?,
            app_env,
            log_filter,
            database_pool_size: ranged(&get, "DATABASE_POOL_SIZE", 10, 1, 1000)?,
            database_acquire_timeout: millis(&get, "DATABASE_ACQUIRE_TIMEOUT_MS", 1000, 1, 60_000)?,
            facets_cache_ttl: seconds(&get, "FACETS_CACHE_SECONDS", 60, 0, 3600)?,
            stats_cache_ttl: seconds(&get, "STATS_CACHE_SECONDS", 30, 0, 3600)?,
            public_url: public_url(get("PUBLIC_URL"))?,
            database_statement_timeout: millis(
                &get,
                "DATABASE_STATEMENT_TIMEOUT_MS",
                10_000,
                1,
                3_600_000,
            )?,
            max_body_bytes: ranged(&get, "MAX_BODY_BYTES", 1024 * 1024, 1, 1024 * 1024 * 1024)?,
            cors_allowed_origins: parse_cors(get("CORS_ALLOWED_ORIGINS").as_deref())?,
            http_workers: ranged(&get, "HTTP_WORKERS", default_workers as u64, 1, 256)? as usize,
            shutdown_timeout: seconds(&get, "SHUTDOWN_TIMEOUT_SECONDS", 30, 0, 3600)?,
            access_token_ttl: seconds(&get, "ACCESS_TOKEN_TTL_SECONDS", 900, 10, 86_400)?,
            refresh_token_ttl: seconds(
                &get,
                "REFRESH_TOKEN_TTL_SECONDS",
                30 * 86_400,
                60,
                365 * 86_400,
            )?,
            jwt_signing_keys_dir,
            jwt_issuer: get("JWT_ISSUER").unwrap_or_else(|| "supplier-registry".into()),
            jwt_audience: get("JWT_AUDIENCE").unwrap_or_else(|| "supplier-registry".into()),
            secret_digest_key: secret_digest_key.map(SecretString::from),
            rate_limit_per_second,
            rate_limit_burst: ranged(
                &get,
                "RATE_LIMIT_BURST",
                rate_limit_per_second.saturating_mul(2).max(1),
                1,
                10_000_000,
            )?,
            webhook_allow_private_targets: flag(&get, "WEBHOOK_ALLOW_PRIVATE_TARGETS")?,
            webhook_timeout: seconds(&get, "WEBHOOK_TIMEOUT_SECONDS", 15, 1, 60)?,
            webhook_retry_schedule: retry_schedule(
                get("WEBHOOK_RETRY_SCHEDULE_SECONDS").as_deref(),
            )?,
            webhook_poll_interval: millis(&get, "WEBHOOK_POLL_INTERVAL_MS", 1000, 10, 60_000)?,
            import_max_bytes: ranged(
                &get,
                "IMPORT_MAX_BYTES",
                50 * 1024 * 1024,
                1,
                1024 * 1024 * 1024,
            )?,
        })
    }

    /// The URL that migrations run with (`DATABASE_MIGRATION_URL`, else `DATABASE_URL`).
    pub fn migration_url(&self) -> &str {
        self.database_migration_url
            .as_ref()
            .unwrap_or(&self.database_url)
            .expose_secret()
    }

    /// The database URL with any password masked, for logs.
    pub fn database_url_for_logs(&self) -> String {
        redact_url(self.database_url.expose_secret())
    }
}

/// The Standard Webhooks example schedule after the immediate first attempt: 5 s, 5 min, 30 min,
/// 2 h, 5 h, 10 h, 14 h, 20 h, 24 h (about 3.3 days in all).
pub const DEFAULT_RETRY_SCHEDULE: [u64; 9] =
    [5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 86_400];

fn retry_schedule(raw: Option<&str>) -> Result<Vec<Duration>, ConfigError> {
    const VAR: &str = "WEBHOOK_RETRY_SCHEDULE_SECONDS";
    let Some(raw) = raw else {
        return Ok(DEFAULT_RETRY_SCHEDULE.map(Duration::from_secs).to_vec());
    };
    raw.split(',')
        .map(|part| match part.trim().parse::<u64>() {
            Ok(secs) if (1..=7 * 86_400).contains(&secs) => Ok(Duration::from_secs(secs)),
            _ => Err(err(
                VAR,
                format!(
                    "`{}` is not a number of seconds from 1 to 604800",
                    part.trim()
                ),
            )),
        })
        .collect()
}

fn app_env(raw: Option<&str>) -> Result<AppEnv, ConfigError> {
    match raw.map(str::trim) {
        None | Some("development") => Ok(AppEnv::Development),
        Some("production") => Ok(AppEnv::Production),
        Some(other) => Err(err(
            "APP_ENV",
            format!("expected `development` or `production`, got `{other}`"),
        )),
    }
}

/// A digest key of at least 32 bytes; in production, both the signing keys and the digest key.
fn check_keys(
    app_env: AppEnv,
    jwt_signing_keys_dir: Option<&PathBuf>,
    secret_digest_key: Option<&str>,
) -> Result<(), ConfigError> {
    if secret_digest_key.is_some_and(|key| key.len() < 32) {
        return Err(err("SECRET_DIGEST_KEY", "must be at least 32 bytes long"));
    }
    if app_env == AppEnv::Production {
        if jwt_signing_keys_dir.is_none() {
            return Err(err("JWT_SIGNING_KEYS_DIR", "is required in production"));
        }
        if secret_digest_key.is_none() {
            return Err(err("SECRET_DIGEST_KEY", "is required in production"));
        }
    }
    Ok(())
}

/// Checks that the URL is a PostgreSQL URL naming a database. The message never repeats the URL,
/// which may hold a password.
pub fn parse_database_url(raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw).map_err(|e| err("DATABASE_URL", format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        return Err(err(
            "DATABASE_URL",
            "the scheme must be postgres:// or postgresql://",
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(err("DATABASE_URL", "a host is required"));
    }
    let name = url.path().trim_start_matches('/');
    if name.is_empty() || name.contains('/') {
        return Err(err(
            "DATABASE_URL",
            "the path must name one database, as in postgres://host:5432/supplier_registry",
        ));
    }
    Ok(url)
}

/// A `redis://` URL with a host. The message never repeats the URL.
fn check_redis_url(raw: &str) -> Result<(), ConfigError> {
    let url = Url::parse(raw).map_err(|e| err("REDIS_URL", format!("not a URL ({e})")))?;
    // TLS to Redis (`rediss://`) is not built in: run Redis on a private network or a tunnel.
    if url.scheme() != "redis" || url.host_str().is_none_or(str::is_empty) {
        return Err(err(
            "REDIS_URL",
            "expected redis://[user:password@]host[:port][/db]",
        ));
    }
    Ok(())
}

fn parse_proxies(raw: Option<&str>) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    err(
                        "TRUSTED_PROXIES",
                        format!("`{item}` is not an address or CIDR range"),
                    )
                })
        })
        .collect()
}

fn parse_cors(raw: Option<&str>) -> Result<CorsOrigins, ConfigError> {
    let Some(raw) = raw else {
        return Ok(CorsOrigins::None);
    };
    if raw.trim() == "*" {
        return Ok(CorsOrigins::Any);
    }
    let mut origins = Vec::new();
    for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let url = Url::parse(item).map_err(|e| {
            err(
                "CORS_ALLOWED_ORIGINS",
                format!("`{item}` is not an origin ({e})"),
            )
        })?;
        let is_origin = matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some()
            && url.path() == "/"
            && url.query().is_none()
            && url.fragment().is_none()
            && url.username().is_empty();
        if !is_origin || item.trim_end_matches('/') != url.origin().ascii_serialization() {
            return Err(err(
                "CORS_ALLOWED_ORIGINS",
                format!("`{item}` is not an origin of the form https://host[:port]"),
            ));
        }
        origins.push(url.origin().ascii_serialization());
    }
    Ok(CorsOrigins::List(origins))
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) => {
            if url.password().is_some() {
                // set_password only fails for URLs that cannot carry one, which a parsed
                // postgres URL with a password can.
                let _ = url.set_password(Some("***"));
            }
            url.to_string()
        }
        Err(_) => "<unparsable url>".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let cfg = config(&[]).unwrap();
        assert_eq!(cfg.database_url.expose_secret(), DEFAULT_DATABASE_URL);
        assert_eq!(cfg.listen_addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(cfg.app_env, AppEnv::Development);
        assert_eq!(cfg.database_pool_size, 10);
        assert_eq!(cfg.database_acquire_timeout, Duration::from_millis(1000));
        assert_eq!(cfg.max_body_bytes, 1024 * 1024);
        assert_eq!(cfg.cors_allowed_origins, CorsOrigins::None);
        assert!(cfg.migrate_on_start);
        assert_eq!(cfg.migration_url(), DEFAULT_DATABASE_URL);
        assert!(cfg.redis_url.is_none());
        assert!(cfg.database_read_url.is_none());
    }

    #[test]
    fn a_read_url_must_be_a_postgres_url() {
        let cfg = config(&[(
            "DATABASE_READ_URL",
            "postgres://replica:5433/supplier_registry",
        )]);
        assert!(cfg.unwrap().database_read_url.is_some());
        let bad = config(&[("DATABASE_READ_URL", "mysql://replica/db")]).unwrap_err();
        assert_eq!(bad.var, "DATABASE_READ_URL");
    }

    #[test]
    fn migrations_may_run_as_another_role() {
        let owner = "postgres://owner@db:5432/supplier_registry";
        let cfg = config(&[
            ("DATABASE_MIGRATION_URL", owner),
            ("MIGRATE_ON_START", "false"),
            ("REDIS_URL", "redis://127.0.0.1:6379/0"),
        ])
        .unwrap();
        assert_eq!(cfg.migration_url(), owner);
        assert!(!cfg.migrate_on_start);
        assert!(cfg.redis_url.is_some());
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        let cases = [
            ("LISTEN_ADDR", "localhost"),
            ("APP_ENV", "staging"),
            ("RUST_LOG", "info,[{"),
            ("DATABASE_POOL_SIZE", "0"),
            ("DATABASE_POOL_SIZE", "many"),
            ("DATABASE_ACQUIRE_TIMEOUT_MS", "-5"),
            ("MAX_BODY_BYTES", "0"),
            ("CORS_ALLOWED_ORIGINS", "https://a.example/path"),
            ("CORS_ALLOWED_ORIGINS", "ftp://a.example"),
            ("DATABASE_URL", "mysql://localhost/x"),
            ("DATABASE_URL", "postgres://localhost"),
            ("SECRET_DIGEST_KEY", "short"),
            ("ACCESS_TOKEN_TTL_SECONDS", "0"),
            ("RATE_LIMIT_PER_SECOND", "-1"),
            ("WEBHOOK_ALLOW_PRIVATE_TARGETS", "yes"),
            ("WEBHOOK_RETRY_SCHEDULE_SECONDS", "5,,30"),
            ("WEBHOOK_RETRY_SCHEDULE_SECONDS", "0"),
            ("IMPORT_MAX_BYTES", "0"),
            ("DATABASE_MIGRATION_URL", "mysql://localhost/x"),
            ("MIGRATE_ON_START", "no"),
            ("REDIS_URL", "http://localhost:6379"),
        ];
        for (var, value) in cases {
            let e = config(&[(var, value)]).expect_err(var);
            assert_eq!(e.var, var, "{value}");
            assert!(e.to_string().starts_with(&format!("invalid {var}:")));
        }
    }

    #[test]
    fn database_url_errors_and_debug_never_show_the_password() {
        let e = config(&[("DATABASE_URL", "postgres://u:hunter2@/x y")]).unwrap_err();
        assert!(!e.to_string().contains("hunter2"));
        let cfg = config(&[("DATABASE_URL", "postgres://u:hunter2@db:5432/reg")]).unwrap();
        assert!(!format!("{cfg:?}").contains("hunter2"));
        assert_eq!(cfg.database_url_for_logs(), "postgres://u:***@db:5432/reg");
    }

    #[test]
    fn production_requires_keys_and_a_digest_key() {
        let e = config(&[("APP_ENV", "production")]).unwrap_err();
        assert_eq!(e.var, "JWT_SIGNING_KEYS_DIR");
        let e = config(&[("APP_ENV", "production"), ("JWT_SIGNING_KEYS_DIR", "/k")]).unwrap_err();
        assert_eq!(e.var, "SECRET_DIGEST_KEY");
        let key = "k".repeat(32);
        let cfg = config(&[
            ("APP_ENV", "production"),
            ("JWT_SIGNING_KEYS_DIR", "/k"),
            ("SECRET_DIGEST_KEY", key.as_str()),
        ])
        .unwrap();
        assert!(!format!("{cfg:?}").contains(&key));
    }

    #[test]
    fn cors_origins_are_parsed() {
        let cfg = config(&[(
            "CORS_ALLOWED_ORIGINS",
            "https://a.example, http://localhost:3000",
        )])
        .unwrap();
        assert_eq!(
            cfg.cors_allowed_origins,
            CorsOrigins::List(vec![
                "https://a.example".into(),
                "http://localhost:3000".into()
            ])
        );
        let cfg = config(&[("CORS_ALLOWED_ORIGINS", "*")]).unwrap();
        assert_eq!(cfg.cors_allowed_origins, CorsOrigins::Any);
    }
}

//! Logging with `tracing`: always on stderr (stdout is kept for command output), JSON lines in
//! production and readable lines in development. Request logs carry the request id because every
//! request runs inside a span that records it (see `http::observe`). Whatever `RUST_LOG` says,
//! the database and HTTP-client crates log at most `info` ([`QUIET_TARGETS`]): at `debug` they
//! write SQL parameters (password hashes, webhook secrets) and request details.

use std::io::IsTerminal;

use tracing::level_filters::LevelFilter;
use tracing_subscriber::{
    EnvFilter, filter::Targets, fmt, layer::SubscriberExt, util::SubscriberInitExt,
};

use crate::config::AppEnv;

/// Installs the global subscriber. `filter` has been validated by `Config`.
pub fn init(app_env: AppEnv, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter).with(quiet());
    let result = match app_env {
        AppEnv::Production => registry
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
        AppEnv::Development => registry
            .with(
                fmt::layer()
                    .compact()
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_writer(std::io::stderr),
            )
            .try_init(),
    };
    // A second init (tests start many apps in one process) keeps the first subscriber.
    let _ = result;
}

/// Crates that log what must stay secret below `info`: `tokio_postgres` writes every statement
/// with its parameters at `debug`, the pool and diesel log connection details, and the HTTP
/// client stack (webhook deliveries) logs requests and headers at `debug`/`trace`.
pub const QUIET_TARGETS: &[&str] = &[
    "tokio_postgres",
    "postgres_protocol",
    "diesel",
    "diesel_async",
    "diesel_migrations",
    "deadpool",
    "deadpool_postgres",
    "reqwest",
    "hyper",
    "hyper_util",
    "h2",
    "rustls",
    "tokio_postgres_rustls",
];

/// A filter of its own, beside `RUST_LOG`'s (an event must pass both): the quiet targets at
/// `info` at most, everything else left to `RUST_LOG`.
fn quiet() -> Targets {
    QUIET_TARGETS.iter().fold(
        Targets::new().with_default(LevelFilter::TRACE),
        |t, target| t.with_target(*target, LevelFilter::INFO),
    )
}

/// Logging for tests: silent unless `TEST_LOG` is set, so failures can be read with it on.
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_some() {
        let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into());
        init(AppEnv::Development, &filter);
    }
}

#[cfg(test)]
mod tests {
    use tracing::Level;

    use super::*;

    #[test]
    fn database_and_client_crates_never_log_below_info() {
        let quiet = quiet();
        assert!(!quiet.would_enable("tokio_postgres::query", &Level::DEBUG));
        assert!(!quiet.would_enable("reqwest::connect", &Level::TRACE));
        assert!(!quiet.would_enable("diesel_async", &Level::DEBUG));
        assert!(quiet.would_enable("tokio_postgres::connection", &Level::WARN));
        assert!(quiet.would_enable("supplier_registry::auth", &Level::DEBUG));
    }
}

//! Logging with `tracing`: always on stderr (stdout is kept for command output), JSON lines in
//! production and readable lines in development. Request logs carry the request id because every
//! request runs inside a span that records it (see `http::observe`).

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt, layer::SubscriberExt, util::SubscriberInitExt};

use crate::config::AppEnv;

/// Installs the global subscriber. `filter` has been validated by `Config`.
pub fn init(app_env: AppEnv, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
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

/// Logging for tests: silent unless `TEST_LOG` is set, so failures can be read with it on.
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_some() {
        let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into());
        init(AppEnv::Development, &filter);
    }
}

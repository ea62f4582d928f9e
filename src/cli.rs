//! The command line: `serve` (the default), `migrate`, `openapi`.

use std::{path::PathBuf, time::Duration};

use anyhow::Context;
use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;

use crate::{config::Config, db, openapi, startup::Application, telemetry};

#[derive(Debug, Parser)]
#[command(name = "supplier-registry", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database if needed, apply migrations, and serve the API (the default).
    Serve,
    /// Create the database if needed and apply pending migrations, then exit.
    Migrate,
    /// Print the OpenAPI document (or write it to a file).
    Openapi {
        /// Write the document here instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi { out } => write_openapi(out),
        Command::Migrate => {
            let config = load_config()?;
            actix_web::rt::System::new().block_on(prepare_database(&config))
        }
        Command::Serve => {
            let config = load_config()?;
            actix_web::rt::System::new().block_on(serve(config))
        }
    }
}

fn load_config() -> anyhow::Result<Config> {
    let config = Config::from_env()?;
    telemetry::init(config.app_env, &config.log_filter);
    Ok(config)
}

fn write_openapi(out: Option<PathBuf>) -> anyhow::Result<()> {
    let json = openapi::spec_json();
    match out {
        Some(path) => std::fs::write(&path, json)
            .with_context(|| format!("Failed to write {}", path.display())),
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(json.as_bytes())
                .context("Failed to write to standard output")
        }
    }
}

/// How long start-up waits for PostgreSQL to accept connections.
const STARTUP_WAIT: Duration = Duration::from_secs(30);

/// Creates the database when missing and applies the migrations, waiting for PostgreSQL to come
/// up for a while (as it may, under `docker compose up`).
async fn prepare_database(config: &Config) -> anyhow::Result<()> {
    let url = config.database_url.expose_secret();
    let started = std::time::Instant::now();
    let created = loop {
        match db::create_database_if_missing(url).await {
            Ok(created) => break created,
            Err(e) if started.elapsed() < STARTUP_WAIT => {
                tracing::warn!(error = %format!("{e:#}"), database = %config.database_url_for_logs(),
                    "database not reachable yet; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => return Err(e.context("The database stayed unreachable")),
        }
    };
    if created {
        tracing::info!(database = %config.database_url_for_logs(), "created the database");
    }
    let applied = db::run_migrations(url).await?;
    tracing::info!(applied, "database migrations are up to date");
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    prepare_database(&config).await?;
    let app = Application::build(config).await?;
    let state = app.state();
    tracing::info!(
        addr = %format!("{}:{}", state.config.listen_addr.ip(), app.port()),
        env = ?state.config.app_env,
        "listening"
    );
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}

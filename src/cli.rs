//! The command line: `serve` (the default), `migrate`, `openapi`.

use std::{path::PathBuf, time::Duration};

use anyhow::Context;
use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;

use diesel_async::{AsyncConnection, AsyncPgConnection};

use crate::{
    auth::{Role, secrets::DigestKey},
    config::Config,
    db,
    error::ApiError,
    openapi,
    routes::{
        self,
        clients::CreateClientRequest,
        users::{CreateUserRequest, NewUser},
    },
    startup::Application,
    telemetry, workers,
};

#[derive(Debug, Parser)]
#[command(name = "supplier-registry", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the database if needed, apply migrations (unless `MIGRATE_ON_START=false`), and
    /// serve the API (the default).
    Serve,
    /// Create the database if needed and apply pending migrations, then exit (as
    /// `DATABASE_MIGRATION_URL`'s role when set).
    Migrate,
    /// Print the OpenAPI document (or write it to a file).
    Openapi {
        /// Write the document here instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Create accounts (the first admin, partner systems).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Manage the token signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Run a background job once, now.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Load deterministic synthetic suppliers (for development and benchmarks).
    Seed {
        /// How many suppliers.
        #[arg(long, default_value_t = 1000)]
        suppliers: u64,
        /// The random seed: the same seed gives the same suppliers.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Move certificates to `expiring`/`expired` as of today; prints `{"suppliers", "certificates"}`.
    ExpireCertificates,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Write a new Ed25519 signing key into DIR, named by the current time so that it sorts last
    /// (it signs from the next start on); prints its key id.
    Generate {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// Do nothing when DIR already holds a key (for first starts).
        #[arg(long)]
        if_empty: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an API client; prints `{"id", "client_id", "client_secret"}` (the secret only now).
    CreateClient {
        #[arg(long)]
        name: String,
        /// admin, agency, supplier or viewer.
        #[arg(long)]
        role: Role,
        /// Countries an agency acts in, comma-separated (MX,CR).
        #[arg(long, value_delimiter = ',')]
        countries: Vec<String>,
    },
    /// Create a user; reads the password from standard input and prints `{"id", "email"}`.
    CreateUser {
        #[arg(long)]
        email: String,
        /// admin, agency, supplier or viewer.
        #[arg(long)]
        role: Role,
        #[arg(long)]
        name: Option<String>,
        /// Countries an agency acts in, comma-separated (MX,CR).
        #[arg(long, value_delimiter = ',')]
        countries: Vec<String>,
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
        Command::Keys(KeysCommand::Generate { dir, if_empty }) => generate_key(&dir, if_empty),
        Command::Jobs(JobsCommand::ExpireCertificates) => {
            let config = load_config()?;
            actix_web::rt::System::new().block_on(expire_certificates(config))
        }
        Command::Seed { suppliers, seed } => {
            let config = load_config()?;
            actix_web::rt::System::new().block_on(seed_suppliers(config, suppliers, seed))
        }
        Command::Admin(command) => {
            let config = load_config()?;
            actix_web::rt::System::new().block_on(admin(config, command))
        }
    }
}

async fn admin(config: Config, command: AdminCommand) -> anyhow::Result<()> {
    prepare_database(&config).await?;
    let mut conn = AsyncPgConnection::establish(config.database_url.expose_secret())
        .await
        .context("Failed to connect to the database")?;
    let line = match command {
        AdminCommand::CreateClient {
            name,
            role,
            countries,
        } => {
            let request = CreateClientRequest {
                name,
                role,
                countries,
            };
            create_client(&config, &mut conn, request).await?
        }
        AdminCommand::CreateUser {
            email,
            role,
            name,
            countries,
        } => create_user(&mut conn, email, role, name, countries).await?,
    };
    println!("{line}");
    Ok(())
}

async fn expire_certificates(config: Config) -> anyhow::Result<()> {
    prepare_database(&config).await?;
    let pool = db::build_pool(&config)?;
    let outcome = workers::certificates::run_once(&pool, chrono::Utc::now().date_naive()).await?;
    println!("{}", serde_json::to_string(&outcome)?);
    Ok(())
}

async fn seed_suppliers(config: Config, suppliers: u64, seed: u64) -> anyhow::Result<()> {
    prepare_database(&config).await?;
    let started = std::time::Instant::now();
    let written = crate::seed::run(config.database_url.expose_secret(), suppliers, seed).await?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "seeded {written} suppliers (seed {seed}) in {seconds:.1} s ({:.0} suppliers/s)",
        written as f64 / seconds.max(0.001)
    );
    Ok(())
}

/// `admin create-client`: its id, client id and secret (shown this once).
async fn create_client(
    config: &Config,
    conn: &mut AsyncPgConnection,
    request: CreateClientRequest,
) -> anyhow::Result<serde_json::Value> {
    let digest_key = DigestKey::from_config(config);
    let created = routes::clients::insert_client(&digest_key, conn, request)
        .await
        .map_err(explain)?;
    Ok(serde_json::json!({
        "id": created.row.id,
        "client_id": created.row.client_id,
        "client_secret": created.secret,
    }))
}

/// `admin create-user`, with the password read from standard input.
async fn create_user(
    conn: &mut AsyncPgConnection,
    email: String,
    role: Role,
    name: Option<String>,
    countries: Vec<String>,
) -> anyhow::Result<serde_json::Value> {
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .context("Failed to read the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    let row = NewUser::prepare(CreateUserRequest {
        email,
        password,
        role,
        name,
        countries,
    })
    .await
    .map_err(explain)?
    .store(conn)
    .await
    .map_err(explain)?;
    Ok(serde_json::json!({ "id": row.id, "email": row.email }))
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

fn generate_key(dir: &std::path::Path, if_empty: bool) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("Failed to create {}", dir.display()))?;
    let has_key = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .any(|e| e.path().extension().is_some_and(|x| x == "pem"));
    if if_empty && has_key {
        return Ok(());
    }
    let kid = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let path = dir.join(format!("{kid}.pem"));
    let pem = crate::auth::keys::generate_pem()?;
    write_private(&path, &pem).with_context(|| format!("Failed to write {}", path.display()))?;
    println!("{kid}");
    Ok(())
}

/// Writes a file only its owner can read.
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

/// How long start-up waits for PostgreSQL to accept connections.
const STARTUP_WAIT: Duration = Duration::from_secs(30);

/// Creates the database when missing and applies the migrations, waiting for PostgreSQL to come
/// up for a while (as it may, under `docker compose up`). Both run as `DATABASE_MIGRATION_URL`'s
/// role when it is set; instances starting together take turns (`db::run_migrations`).
async fn prepare_database(config: &Config) -> anyhow::Result<()> {
    let url = config.migration_url();
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
    if config.migrate_on_start {
        prepare_database(&config).await?;
    } else {
        // A role with DML rights only: `migrate` ran beforehand; `/readyz` says 503 until then.
        tracing::info!("MIGRATE_ON_START=false: not migrating (run `supplier-registry migrate`)");
    }
    let app = Application::build(config).await?;
    let state = app.state();
    workers::spawn_all(
        state.pool.clone(),
        &state.config,
        state.import_queued.clone(),
    )?;
    tracing::info!(
        addr = %format!("{}:{}", state.config.listen_addr.ip(), app.port()),
        env = ?state.config.app_env,
        "listening"
    );
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

/// An API error as a command-line message, listing each broken rule.
fn explain(err: ApiError) -> anyhow::Error {
    let problem = err.problem();
    if problem.errors.is_empty() {
        return anyhow::Error::new(err);
    }
    let rules: Vec<String> = problem
        .errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect();
    anyhow::anyhow!("{}", rules.join("; "))
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

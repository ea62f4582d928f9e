//! A PostgreSQL cluster of one test's own, for the tests that stop a server: `initdb` in a temp
//! directory, started on a free port of 127.0.0.1 with `fsync` off, stopped and started again at
//! will, and removed (after an immediate stop) when dropped.
//!
//! `initdb` and `pg_ctl` refuse to run as root: a root process (CI) runs them as the `postgres`
//! user, in a directory that user owns. The binaries are PostgreSQL's (`PG_BIN_DIR`, default
//! the newest `/usr/lib/postgresql/*/bin`).

use std::{
    net::TcpListener,
    path::PathBuf,
    process::{Command, Output},
    time::Duration,
};

use diesel_async::{AsyncConnection, AsyncPgConnection};
use supplier_registry::db;

/// `PG_BIN_DIR`, else the newest `/usr/lib/postgresql/*/bin` that has `initdb` (Debian's layout).
fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PG_BIN_DIR") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A port nobody listens on now (the cluster binds it a moment later).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub struct PgCluster {
    /// The temp directory: `data/`, the server's log and its socket.
    dir: PathBuf,
    pub port: u16,
    as_postgres: bool,
}

impl PgCluster {
    /// A new, started cluster (superuser `postgres`, trust authentication on 127.0.0.1 only).
    pub fn start() -> Self {
        let cluster = Self::empty();
        cluster.tool(
            "initdb",
            &[
                "-D",
                &cluster.data().display().to_string(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        );
        cluster.start_server();
        cluster
    }

    /// A standby of `primary`: `pg_basebackup -R` streams its data and writes the settings that
    /// make this cluster follow it; started, read-only.
    pub fn replica_of(primary: &PgCluster) -> Self {
        let cluster = Self::empty();
        cluster.tool(
            "pg_basebackup",
            &[
                "-D",
                &cluster.data().display().to_string(),
                "-h",
                "127.0.0.1",
                "-p",
                &primary.port.to_string(),
                "-U",
                "postgres",
                "-R",
                "-X",
                "stream",
                "--checkpoint=fast",
                "--no-sync",
            ],
        );
        cluster.start_server();
        cluster
    }

    fn empty() -> Self {
        let dir = std::env::temp_dir().join(format!("sr-pg-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("cluster dir");
        let as_postgres = is_root();
        if as_postgres {
            run(Command::new("chown").arg("postgres:postgres").arg(&dir));
        }
        Self {
            dir,
            port: free_port(),
            as_postgres,
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn log(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// Runs a PostgreSQL tool (as `postgres` when we are root); panics with its output on failure.
    fn tool(&self, name: &str, args: &[&str]) -> Output {
        let out = self.try_tool(name, args);
        assert!(
            out.status.success(),
            "{name} failed: {}{}\nlog: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.log()).unwrap_or_default()
        );
        out
    }

    fn try_tool(&self, name: &str, args: &[&str]) -> Output {
        let program = bin_dir().join(name);
        let mut cmd = if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(program);
            cmd
        } else {
            Command::new(program)
        };
        cmd.args(args).current_dir(&self.dir);
        cmd.output()
            .unwrap_or_else(|e| panic!("could not run {name}: {e}"))
    }

    fn pg_ctl(&self, args: &[&str]) -> Output {
        let data = self.data().display().to_string();
        let mut all = vec!["-D", data.as_str()];
        all.extend_from_slice(args);
        self.try_tool("pg_ctl", &all)
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start_server(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c full_page_writes=off \
             -c max_connections=60 -c shared_buffers=32MB",
            self.port,
            self.dir.display()
        );
        let log = self.log().display().to_string();
        let out = self.pg_ctl(&["-w", "-t", "30", "-l", &log, "-o", &options, "start"]);
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}{}\nlog: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.log()).unwrap_or_default()
        );
    }

    /// `pg_ctl stop -m fast`: sessions are ended, the server checkpoints and exits.
    pub fn stop_server(&self) {
        let out = self.pg_ctl(&["-w", "-t", "30", "-m", "fast", "stop"]);
        assert!(
            out.status.success(),
            "pg_ctl stop failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A URL of database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates database `name` and applies the service's migrations to it; returns its URL.
    pub async fn migrated_database(&self, name: &str) -> String {
        let url = self.url(name);
        db::create_database_if_missing(&url)
            .await
            .expect("create the database");
        db::run_migrations(&url).await.expect("migrate");
        url
    }

    pub async fn connect(&self, name: &str) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.url(name))
            .await
            .expect("connect to the test's cluster")
    }

    /// Waits until `check` holds, polling every 50 ms for at most `within`.
    pub async fn wait_for<F, Fut>(within: Duration, mut check: F) -> bool
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < deadline {
            if check().await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run command");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if self.data().join("postmaster.pid").exists() {
            let _ = self.pg_ctl(&["-w", "-t", "10", "-m", "immediate", "stop"]);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

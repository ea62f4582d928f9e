//! Log hygiene: at `RUST_LOG=trace` the binary still logs no SQL parameters, so no password
//! hash (nor webhook secret, nor any stored value) reaches the logs.

use std::process::{Command, Stdio};

use crate::helpers::{DIGEST_KEY, spawn_app};

const BIN: &str = env!("CARGO_BIN_EXE_supplier-registry");

#[tokio::test]
async fn debug_logging_never_writes_sql_parameters_or_password_hashes() {
    let app = spawn_app().await;
    let mut child = Command::new(BIN)
        .args([
            "admin",
            "create-user",
            "--email",
            "logs@example.mx",
            "--role",
            "admin",
        ])
        .env("DATABASE_URL", app.db.url())
        .env("SECRET_DIGEST_KEY", DIGEST_KEY)
        .env("RUST_LOG", "trace,tokio_postgres::query=trace")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        b"a long enough password\n",
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();

    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("$argon2"), "a password hash was logged");
    assert!(
        !stderr.contains("with parameters"),
        "SQL parameters were logged"
    );
    assert!(
        !stderr.contains("logs@example.mx"),
        "a stored value was logged"
    );
}

//! The binary itself: `serve` creates its database, migrates, serves and stops gracefully;
//! bad configuration stops it with the variable named; `openapi --out` writes the document.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use crate::helpers::{admin_url, url_for};

const BIN: &str = env!("CARGO_BIN_EXE_supplier-registry");

#[test]
fn bad_configuration_stops_the_process_naming_the_variable() {
    for (var, value) in [
        ("LISTEN_ADDR", "not-an-address"),
        ("APP_ENV", "staging"),
        ("DATABASE_POOL_SIZE", "0"),
        ("DATABASE_URL", "mysql://u:pw-secret@host/db"),
    ] {
        let out = Command::new(BIN)
            .arg("serve")
            .env(var, value)
            .output()
            .unwrap();

        assert!(!out.status.success(), "{var}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("invalid {var}")),
            "{var}: {stderr}"
        );
        assert!(!stderr.contains("pw-secret"));
    }
}

#[test]
fn openapi_out_writes_the_committed_document() {
    let dir = std::env::temp_dir().join(format!("sr-openapi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("openapi.json");

    let status = Command::new(BIN)
        .args(["openapi", "--out"])
        .arg(&file)
        .status()
        .unwrap();
    let stdout = Command::new(BIN).arg("openapi").output().unwrap().stdout;

    assert!(status.success());
    let committed =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json")).unwrap();
    assert_eq!(std::fs::read(&file).unwrap(), committed);
    assert_eq!(stdout, committed);
}

#[tokio::test]
async fn serve_creates_its_database_migrates_serves_and_stops_on_sigterm() {
    let name = format!("sr_test_cli_{}", uuid::Uuid::now_v7().simple());
    let mut child = Command::new(BIN)
        .arg("serve")
        .env("DATABASE_URL", url_for(&name))
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("APP_ENV", "production")
        .env("HTTP_WORKERS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut lines = Vec::new();
    let addr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("server logs");
        let json: serde_json::Value =
            serde_json::from_str(&line).expect("production logs are JSON lines");
        lines.push(json.clone());
        if json["fields"]["message"] == "listening" {
            break json["fields"]["addr"].as_str().unwrap().to_owned();
        }
    };

    let client = reqwest::Client::new();
    let ready = client
        .get(format!("http://{addr}/readyz"))
        .header("x-request-id", "cli-test-1")
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status().as_u16(), 200);

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    lines.extend(rx.try_iter().filter_map(|l| serde_json::from_str(&l).ok()));
    let stdout = child.stdout.take().map(|mut s| {
        let mut buf = String::new();
        std::io::Read::read_to_string(&mut s, &mut buf).unwrap();
        buf
    });

    assert!(status.success(), "exit status {status}");
    assert_eq!(
        stdout.as_deref(),
        Some(""),
        "stdout is kept for command output"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "created the database")
    );
    let request_line = lines
        .iter()
        .find(|l| l["fields"]["message"] == "request finished")
        .expect("a request log line");
    assert_eq!(request_line["span"]["request_id"], "cli-test-1");

    supplier_registry::db::drop_database(admin_url().as_str(), &name)
        .await
        .unwrap();
}

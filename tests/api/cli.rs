//! The binary itself: `serve` creates its database, migrates, serves and stops gracefully;
//! bad configuration stops it with the variable named; `openapi --out` writes the document.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use crate::helpers::{DIGEST_KEY, KeysDir, admin_url, spawn_app, url_for};

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
    let keys = KeysDir::new();
    keys.add("k1");
    let mut child = Command::new(BIN)
        .arg("serve")
        .env("JWT_SIGNING_KEYS_DIR", &keys.0)
        .env("SECRET_DIGEST_KEY", DIGEST_KEY)
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

#[tokio::test]
async fn admin_create_client_and_create_user_print_working_credentials_once() {
    let app = spawn_app().await;
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(BIN)
            .args(args)
            .env("DATABASE_URL", app.db.url())
            .env("SECRET_DIGEST_KEY", crate::helpers::DIGEST_KEY)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };

    let client = run(
        &[
            "admin",
            "create-client",
            "--name",
            "SE onboarding",
            "--role",
            "agency",
            "--countries",
            "MX,CR",
        ],
        "",
    );
    let user = run(
        &[
            "admin",
            "create-user",
            "--email",
            "first.admin@example.mx",
            "--role",
            "admin",
        ],
        "a long enough password\n",
    );
    let bad = run(
        &["admin", "create-user", "--email", "nope", "--role", "admin"],
        "short\n",
    );

    assert!(
        client.status.success(),
        "{}",
        String::from_utf8_lossy(&client.stderr)
    );
    let stdout = String::from_utf8(client.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one JSON line: {stdout}");
    let created: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let (id, secret) = (
        created["client_id"].as_str().unwrap(),
        created["client_secret"].as_str().unwrap(),
    );
    assert!(created["id"].as_str().is_some());
    let token = app
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .await;
    assert_eq!(token.status().as_u16(), 200);

    assert!(
        user.status.success(),
        "{}",
        String::from_utf8_lossy(&user.stderr)
    );
    let created: serde_json::Value = serde_json::from_slice(&user.stdout).unwrap();
    assert_eq!(created["email"], "first.admin@example.mx");
    app.login("first.admin@example.mx", "a long enough password")
        .await;

    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("email:") && stderr.contains("password:"),
        "{stderr}"
    );
    assert!(bad.stdout.is_empty());
}

#[test]
fn keys_generate_writes_a_private_key_once_with_if_empty() {
    let dir = KeysDir::new();

    let first = Command::new(BIN)
        .args(["keys", "generate", "--if-empty", "--dir"])
        .arg(&dir.0)
        .output()
        .unwrap();
    let second = Command::new(BIN)
        .args(["keys", "generate", "--if-empty", "--dir"])
        .arg(&dir.0)
        .output()
        .unwrap();

    assert!(first.status.success() && second.status.success());
    let kid = String::from_utf8(first.stdout).unwrap().trim().to_owned();
    assert!(second.stdout.is_empty());
    let files: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files, [dir.0.join(format!("{kid}.pem"))]);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&files[0]).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    assert!(supplier_registry::auth::keys::KeySet::from_dir(&dir.0).is_ok());
}

#[tokio::test]
async fn sigterm_lets_an_in_flight_request_finish() {
    use std::io::{Read, Write};
    let app = spawn_app().await;
    let mut child = Command::new(BIN)
        .arg("serve")
        .env("DATABASE_URL", app.db.url())
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("HTTP_WORKERS", "1")
        .env("RUST_LOG", "info")
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
    let addr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("server logs");
        if let Some(at) = line.find("addr=") {
            break line[at + 5..].split_whitespace().next().unwrap().to_owned();
        }
    };
    let body = "grant_type=password&username=nobody%40example.mx&password=wrong";
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    // Half the request, then SIGTERM, then the rest: the request is in flight when the signal comes.
    write!(stream, "POST /v1/auth/token HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}", body.len(), &body[..20]).unwrap();
    // Long enough for the worker to be reading the body even on a loaded machine.
    std::thread::sleep(Duration::from_millis(1000));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(&body.as_bytes()[20..]).unwrap();
    let mut response = String::new();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = stream.read_to_string(&mut response);

    assert!(
        response.starts_with("HTTP/1.1 400"),
        "the in-flight request got its answer: {response:?}"
    );
    assert!(response.contains("invalid_grant"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success());
    // New connections are refused once it has stopped.
    assert!(std::net::TcpStream::connect(&addr).is_err());
}

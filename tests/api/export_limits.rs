//! Exports cannot starve the service: per-caller and global limits (429 with `Retry-After`), their
//! own connections (so `/readyz` and logins answer while slow readers hold exports), and a send
//! timeout that cuts an export whose client stopped reading.

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::{TestApp, spawn_app_with};

/// How long the test server's export waits for a client that reads nothing.
const SEND_TIMEOUT_MS: u64 = 8000;

/// Starts `GET /v1/suppliers/export?format=csv` as `token` and reads only the response head:
/// a client that stops reading. Returns the status line and head, and the socket.
async fn stalled_export(app: &TestApp, token: &str) -> (String, TcpStream) {
    let addr = app.address.trim_start_matches("http://");
    let mut socket = TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "GET /v1/suppliers/export?format=csv HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Bearer {token}\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).await.expect("send");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut byte))
            .await
            .expect("response head in time")
            .expect("read");
        assert_eq!(n, 1, "connection closed before the head");
        head.push(byte[0]);
    }
    (String::from_utf8_lossy(&head).into_owned(), socket)
}

fn status(head: &str) -> u16 {
    head.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line")
}

#[tokio::test]
async fn slow_readers_cannot_hold_the_database() {
    let app = spawn_app_with(|_, env| {
        env.insert(
            "DATABASE_STATEMENT_TIMEOUT_MS".into(),
            SEND_TIMEOUT_MS.to_string(),
        );
    })
    .await;
    // Far more than socket buffers and the export's channel hold, so that a client that reads
    // nothing keeps its export waiting.
    supplier_registry::seed::run(&app.db.url(), 40_000, 7)
        .await
        .expect("seed");
    let pool_size: usize = app.env["DATABASE_POOL_SIZE"].parse().unwrap();
    let a = app.user_with_role("admin").await;
    let b = app.user_with_role("admin").await;
    let c = app.user_with_role("admin").await;

    // Two exports per caller; the third is refused.
    let (head, mut first) = stalled_export(&app, &a.token).await;
    assert_eq!(status(&head), 200, "{head}");
    let (head, _second) = stalled_export(&app, &a.token).await;
    assert_eq!(status(&head), 200, "{head}");
    let (head, _) = stalled_export(&app, &a.token).await;
    assert_eq!(status(&head), 429, "{head}");
    assert!(head.to_ascii_lowercase().contains("retry-after:"), "{head}");
    // As many in all as the main pool has connections; one more from anybody is refused.
    let mut held = Vec::new();
    for _ in 2..pool_size {
        let (head, socket) = stalled_export(&app, &b.token).await;
        assert_eq!(status(&head), 200, "{head}");
        held.push(socket);
        if held.len() == 2 {
            break;
        }
    }
    let (head, _) = stalled_export(&app, &c.token).await;
    assert_eq!(status(&head), 429, "{head}");
    assert!(head.to_ascii_lowercase().contains("retry-after:"), "{head}");

    // Meanwhile the service answers: readiness, a login, a search.
    assert_eq!(app.get("/readyz").await.status().as_u16(), 200);
    app.login(&c.email, &c.password).await;
    assert_eq!(
        app.get("/v1/suppliers?limit=1").await.status().as_u16(),
        200
    );

    // Past the send timeout the stalled exports are cut: their slots and connections are free
    // again, and a stalled response ends without the terminating chunk (it never looks whole).
    // (Each export stalls once the socket buffers are full, which a busy machine takes a while
    // to reach: allow for it.)
    tokio::time::sleep(Duration::from_millis(SEND_TIMEOUT_MS)).await;
    let mut resp;
    let mut tries = 0;
    loop {
        resp = app
            .authed(
                reqwest::Method::GET,
                "/v1/suppliers/export?format=ndjson",
                &c.token,
            )
            .send()
            .await
            .unwrap();
        tries += 1;
        if resp.status().as_u16() != 429 || tries == 60 {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert_eq!(resp.status().as_u16(), 200);
    let lines = resp.text().await.unwrap().lines().count();
    assert!(lines > 30_000, "{lines}");
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), first.read_to_end(&mut rest))
        .await
        .expect("the cut export's connection closes")
        .ok();
    assert!(
        !rest.ends_with(b"\r\n0\r\n\r\n"),
        "the cut export looks complete"
    );
}

//! Several instances on one database: migrations take turns under an advisory lock, request limits
//! are shared through Redis (`REDIS_URL`), and `serve` runs with a role that has DML rights only.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use supplier_registry::db;

use crate::helpers::{DIGEST_KEY, KeysDir, TestDb, admin_url, exec, spawn_app_with, url_for};

const BIN: &str = env!("CARGO_BIN_EXE_supplier-registry");

async fn admin_exec(sql: &str) {
    let mut conn = AsyncPgConnection::establish(admin_url().as_str())
        .await
        .expect("connect as admin");
    diesel::sql_query(sql).execute(&mut conn).await.expect(sql);
}

#[tokio::test]
async fn two_concurrent_migrations_of_a_fresh_database_both_succeed_and_one_migrates() {
    let name = format!("sr_test_migrate_{}", uuid::Uuid::now_v7().simple());
    admin_exec(&format!("CREATE DATABASE {}", db::quote_ident(&name))).await;
    let url = url_for(&name);

    let (a, b) = tokio::join!(db::run_migrations(&url), db::run_migrations(&url));
    let again = db::run_migrations(&url).await;
    let mut conn = AsyncPgConnection::establish(&url).await.expect("connect");
    let readiness = db::readiness(&mut conn).await;
    drop(conn);
    let _ = db::drop_database(admin_url().as_str(), &name).await;

    let (a, b) = (a.expect("first migrator"), b.expect("second migrator"));
    assert!(a > 0 || b > 0, "someone migrated");
    assert_eq!(a.min(b), 0, "only one of them migrated: {a} and {b}");
    assert_eq!(again.expect("third run"), 0);
    assert_eq!(readiness.expect("readiness"), db::Readiness::Ready);
}

async fn redis_flush(prefix: &str) {
    let client = redis::Client::open("redis://127.0.0.1:6379/").expect("redis url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("Redis runs on 127.0.0.1:6379 for the tests (see README)");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .expect("keys");
    for key in keys {
        let _: () = redis::cmd("DEL")
            .arg(key)
            .query_async(&mut conn)
            .await
            .expect("del");
    }
}

#[tokio::test]
async fn two_instances_with_redis_share_one_request_limit() {
    let prefix = format!("sr-test-{}:", uuid::Uuid::now_v7().simple());
    let limited = |prefix: String, database: Option<String>| {
        move |db: &TestDb, env: &mut std::collections::HashMap<String, String>| {
            env.insert("RATE_LIMIT_PER_SECOND".into(), "1".into());
            env.insert("RATE_LIMIT_BURST".into(), "5".into());
            env.insert("REDIS_URL".into(), "redis://127.0.0.1:6379/".into());
            env.insert("REDIS_KEY_PREFIX".into(), prefix);
            env.insert("DATABASE_URL".into(), database.unwrap_or_else(|| db.url()));
        }
    };
    let first = spawn_app_with(limited(prefix.clone(), None)).await;
    let second = spawn_app_with(limited(prefix.clone(), Some(first.db.url()))).await;

    let started = Instant::now();
    let mut accepted = [0u32; 2];
    let mut limited_answers = 0;
    for i in 0..20 {
        let app = if i % 2 == 0 { &first } else { &second };
        let resp = app.get("/v1/certification-schemes").await;
        match resp.status().as_u16() {
            200 => accepted[i % 2] += 1,
            429 => {
                assert!(resp.headers().contains_key("retry-after"));
                let kind = resp.headers().get("content-type").cloned();
                assert_eq!(
                    kind.as_ref().and_then(|v| v.to_str().ok()),
                    Some("application/problem+json")
                );
                limited_answers += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    redis_flush(&prefix).await;

    let total = accepted[0] + accepted[1];
    // One bucket of 5 plus what refills at 1/s while the requests ran; two buckets would be 10.
    let allowed = 5 + elapsed.ceil() as u32;
    assert!(total >= 5, "the burst is served: {accepted:?}");
    assert!(
        total <= allowed,
        "{accepted:?} in {elapsed:.2} s over {allowed}"
    );
    assert!(
        accepted[0] > 0 && accepted[1] > 0,
        "both instances served: {accepted:?}"
    );
    assert_eq!(total + limited_answers, 20);
}

#[tokio::test]
async fn a_redis_that_is_down_lets_requests_through() {
    let app = spawn_app_with(|_, env| {
        env.insert("RATE_LIMIT_PER_SECOND".into(), "1".into());
        env.insert("RATE_LIMIT_BURST".into(), "1".into());
        // Nothing listens on port 1.
        env.insert("REDIS_URL".into(), "redis://127.0.0.1:1/".into());
    })
    .await;
    for _ in 0..3 {
        let resp = app.get("/v1/certification-schemes").await;
        assert_eq!(resp.status().as_u16(), 200);
    }
}

#[tokio::test]
async fn serve_runs_with_a_role_that_has_dml_rights_only() {
    let db = TestDb::new().await;
    let role = format!("sr_dml_{}", uuid::Uuid::now_v7().simple());
    admin_exec(&format!("CREATE ROLE {role} LOGIN")).await;
    for grant in [
        format!("CONNECT ON DATABASE {}", db::quote_ident(&db.name)),
        "USAGE ON SCHEMA public".to_owned(),
        "SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public".to_owned(),
        "USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public".to_owned(),
    ] {
        exec(&db, &format!("GRANT {grant} TO {role}")).await;
    }
    let mut url = url::Url::parse(&db.url()).expect("url");
    url.set_username(&role).expect("user");

    let keys = KeysDir::new();
    keys.add("k1");
    let mut child = Command::new(BIN)
        .arg("serve")
        .env("JWT_SIGNING_KEYS_DIR", &keys.0)
        .env("SECRET_DIGEST_KEY", DIGEST_KEY)
        .env("DATABASE_URL", url.as_str())
        .env("MIGRATE_ON_START", "false")
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("APP_ENV", "production")
        .env("HTTP_WORKERS", "1")
        .env("RATE_LIMIT_PER_SECOND", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let addr = loop {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            panic!("serve did not start");
        };
        let json: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if json["fields"]["message"] == "listening" {
            break json["fields"]["addr"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
        }
    };
    let client = reqwest::Client::new();
    let ready = client.get(format!("http://{addr}/readyz")).send().await;
    let search = client
        .get(format!("http://{addr}/v1/suppliers"))
        .send()
        .await;
    let _ = child.kill();
    let _ = child.wait();
    exec(&db, &format!("DROP OWNED BY {role}")).await;
    drop(db);
    admin_exec(&format!("DROP ROLE IF EXISTS {role}")).await;

    assert_eq!(ready.expect("readyz").status().as_u16(), 200);
    assert_eq!(search.expect("search").status().as_u16(), 200);
}

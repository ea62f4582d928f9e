//! Faults of PostgreSQL itself, each on a cluster of the test's own ([`PgCluster`]): the server
//! stopped and started again under a write load, and the pool exhausted by slow requests.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use diesel::{
    QueryableByName,
    sql_types::{BigInt, Text},
};
use diesel_async::RunQueryDsl;
use serde_json::Value;

use crate::{
    cluster::PgCluster,
    helpers::{TestApp, spawn_app_with, supplier_body},
};

const DATABASE: &str = "supplier_registry";

/// A started cluster of the test's own with the service's database migrated on it, and the
/// server on that database (`env` adds to or overrides the harness's environment).
async fn app_on_own_cluster(env: &[(&str, &str)]) -> (Arc<PgCluster>, String, TestApp) {
    let cluster = tokio::task::spawn_blocking(PgCluster::start)
        .await
        .expect("cluster");
    let url = cluster.migrated_database(DATABASE).await;
    let extra: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let database_url = url.clone();
    let app = spawn_app_with(move |_, vars| {
        vars.insert("DATABASE_URL".into(), database_url);
        vars.extend(extra);
    })
    .await;
    (Arc::new(cluster), url, app)
}

/// One answer a writer got.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    retry_after: bool,
    sent: Instant,
    done: Instant,
}

/// A write the service acknowledged (201): the created id and the tax id it was sent with.
#[derive(Debug, Clone)]
struct Ack {
    id: String,
    tax_id: String,
    replayed: bool,
}

#[derive(Default)]
struct Log {
    answers: Vec<Answer>,
    acks: Vec<Ack>,
    /// Tax ids of writes still unacknowledged when the load stopped.
    unacknowledged: Vec<String>,
}

/// Registers suppliers one after another until `running` turns false; a 503 is retried (after
/// 50 ms) with the same body and `Idempotency-Key`, as a client would, until acknowledged.
async fn writer(
    app: Arc<TestApp>,
    token: String,
    w: usize,
    running: Arc<AtomicBool>,
    log: Arc<Mutex<Log>>,
) {
    let mut seq = 0;
    while AtomicBool::load(&running, Ordering::SeqCst) {
        seq += 1;
        let tax_id = format!("{w:02}{seq:06}");
        let body = supplier_body(&format!("Fault writer {w} number {seq}"), &tax_id, 5);
        let key = format!("fault-{w}-{seq}");
        loop {
            let sent = Instant::now();
            let resp = app
                .post_supplier_request(&token, &body)
                .header("idempotency-key", &key)
                .timeout(Duration::from_secs(15))
                .send()
                .await;
            let done = Instant::now();
            let (status, retry_after, json) = match resp {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let retry_after = resp.headers().contains_key("retry-after");
                    let replayed = resp.headers().contains_key("idempotent-replayed");
                    let json: Value = resp.json().await.unwrap_or_default();
                    (status, retry_after, Some((json, replayed)))
                }
                Err(_) => (0, false, None),
            };
            let acknowledged = {
                let mut log = log.lock().unwrap();
                log.answers.push(Answer {
                    status,
                    retry_after,
                    sent,
                    done,
                });
                if status == 201 {
                    let (json, replayed) = json.expect("a body");
                    log.acks.push(Ack {
                        id: json["id"].as_str().expect("id").to_owned(),
                        tax_id: json["tax_id"].as_str().expect("tax id").to_owned(),
                        replayed,
                    });
                    true
                } else {
                    if !AtomicBool::load(&running, Ordering::SeqCst) {
                        log.unacknowledged.push(tax_id.clone());
                        return;
                    }
                    false
                }
            };
            if acknowledged {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    tax_id: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn count(conn: &mut diesel_async::AsyncPgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .await
        .expect(sql)
        .n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_and_started_under_write_load_loses_and_doubles_nothing() {
    let test_started = Instant::now();
    let (cluster, _, app) = app_on_own_cluster(&[("DATABASE_POOL_SIZE", "4")]).await;
    let url = cluster.url(DATABASE);
    let admin = app.user_with_role_at(&url, "admin").await;
    let app = Arc::new(app);

    const WRITERS: usize = 6;
    let running = Arc::new(AtomicBool::new(true));
    let log = Arc::new(Mutex::new(Log::default()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            tokio::spawn(writer(
                app.clone(),
                admin.token.clone(),
                w,
                running.clone(),
                log.clone(),
            ))
        })
        .collect();
    // /readyz every 100 ms while the load runs.
    let readiness = {
        let (app, running) = (app.clone(), running.clone());
        tokio::spawn(async move {
            let mut seen = Vec::new();
            while AtomicBool::load(&running, Ordering::SeqCst) {
                let sent = Instant::now();
                let resp = app.get("/readyz").await;
                let retry_after = resp.headers().contains_key("retry-after");
                seen.push(Answer {
                    status: resp.status().as_u16(),
                    retry_after,
                    sent,
                    done: Instant::now(),
                });
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            seen
        })
    };

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let stopping = Instant::now();
    let stopper = cluster.clone();
    tokio::task::spawn_blocking(move || stopper.stop_server())
        .await
        .expect("stop");
    let stopped = Instant::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let starting = Instant::now();
    let starter = cluster.clone();
    tokio::task::spawn_blocking(move || starter.start_server())
        .await
        .expect("start");
    let started = Instant::now();
    // Recovery by itself: a new write acknowledged after the restart, within 10 s.
    let recovered = PgCluster::wait_for(Duration::from_secs(10), || {
        let log = log.clone();
        async move {
            let log = log.lock().unwrap();
            log.answers
                .iter()
                .any(|a| a.status == 201 && a.sent > started)
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    running.store(false, Ordering::SeqCst);
    for w in writers {
        w.await.expect("writer");
    }
    let ready = readiness.await.expect("readiness poller");
    let ready_after = app.get("/readyz").await.status().as_u16();

    let log = std::mem::take(&mut *log.lock().unwrap());
    let recovery = log
        .answers
        .iter()
        .find(|a| a.status == 201 && a.sent > started)
        .map(|a| a.done - started);
    eprintln!(
        "faults: {} answers ({} 201, {} of them replays, {} 503), {} unacknowledged at the end; \
         stop took {:?}, start {:?}, first write after the restart {:?}, whole test {:?}",
        log.answers.len(),
        log.acks.len(),
        log.acks.iter().filter(|a| a.replayed).count(),
        log.answers.iter().filter(|a| a.status == 503).count(),
        log.unacknowledged.len(),
        stopped - stopping,
        started - starting,
        recovery,
        test_started.elapsed(),
    );

    // Only 201 and 503 (with Retry-After), each answered within 2 s.
    let others: Vec<_> = log
        .answers
        .iter()
        .filter(|a| a.status != 201 && !(a.status == 503 && a.retry_after))
        .collect();
    assert!(others.is_empty(), "other answers: {others:?}");
    let slow: Vec<_> = log
        .answers
        .iter()
        .filter(|a| a.done - a.sent > Duration::from_secs(2))
        .collect();
    assert!(slow.is_empty(), "answers slower than 2 s: {slow:?}");
    // While the server was away, every write got 503.
    let away: Vec<_> = log
        .answers
        .iter()
        .filter(|a| a.sent >= stopped && a.done <= starting)
        .collect();
    assert!(away.len() >= WRITERS, "writes were sent while it was away");
    assert!(away.iter().all(|a| a.status == 503), "{away:?}");
    assert!(
        log.answers
            .iter()
            .any(|a| a.status == 201 && a.done < stopping),
        "writes succeeded before the stop"
    );
    assert!(recovered, "no write succeeded within 10 s of the restart");

    // /readyz: 503 (with Retry-After) while away, 200 after.
    let away_ready: Vec<_> = ready
        .iter()
        .filter(|a| a.sent >= stopped && a.done <= starting)
        .collect();
    assert!(!away_ready.is_empty(), "readyz was asked while it was away");
    assert!(
        away_ready.iter().all(|a| a.status == 503 && a.retry_after),
        "{away_ready:?}"
    );
    assert!(
        ready.iter().all(|a| matches!(a.status, 200 | 503)),
        "{ready:?}"
    );
    assert_eq!(ready_after, 200);

    // Every acknowledged write is there exactly once, by id and by tax id; nothing twice.
    let mut conn = cluster.connect(DATABASE).await;
    let rows: Vec<Row> = diesel::sql_query("SELECT id::text AS id, tax_id FROM suppliers")
        .load(&mut conn)
        .await
        .expect("suppliers");
    let mut by_id: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut by_tax_id: HashMap<&str, usize> = HashMap::new();
    for row in &rows {
        by_id.entry(&row.id).or_default().push(&row.tax_id);
        *by_tax_id.entry(&row.tax_id).or_default() += 1;
    }
    let acked_ids: HashSet<&str> = log.acks.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        acked_ids.len(),
        log.acks.len(),
        "one id per acknowledged write"
    );
    for ack in &log.acks {
        assert_eq!(
            by_id.get(ack.id.as_str()).map(Vec::as_slice),
            Some([ack.tax_id.as_str()].as_slice()),
            "acknowledged {ack:?}"
        );
        assert_eq!(by_tax_id.get(ack.tax_id.as_str()), Some(&1), "{ack:?}");
    }
    let doubled: Vec<_> = by_tax_id.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "tax ids twice: {doubled:?}");
    // What is there beyond the acknowledged writes can only be writes never acknowledged (a
    // commit whose answer was lost to the stop, then retried past the end of the load).
    let unacked: HashSet<&str> = log.unacknowledged.iter().map(String::as_str).collect();
    let acked_tax_ids: HashSet<&str> = log.acks.iter().map(|a| a.tax_id.as_str()).collect();
    for row in &rows {
        assert!(
            acked_tax_ids.contains(row.tax_id.as_str()) || unacked.contains(row.tax_id.as_str()),
            "a row nobody wrote: {} {}",
            row.id,
            row.tax_id
        );
    }
    // Each registration wrote its audit entry and its event once, in its own transaction.
    let suppliers = rows.len() as i64;
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM audit_log").await,
        suppliers
    );
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM change_events").await,
        suppliers
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_pool_answers_503_within_the_acquire_timeout_while_healthz_stays_fast() {
    const ACQUIRE_MS: u64 = 500;
    let (cluster, url, app) = app_on_own_cluster(&[
        ("DATABASE_POOL_SIZE", "2"),
        ("DATABASE_ACQUIRE_TIMEOUT_MS", "500"),
    ])
    .await;
    let admin = app.user_with_role_at(&url, "admin").await;
    let app = Arc::new(app);

    // Two slow requests hold both connections of the main pool for 3 s.
    let holders: Vec<_> = (0..2)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { app.get("/__probe/hold?ms=3000").await.status().as_u16() })
        })
        .collect();
    let held = PgCluster::wait_for(Duration::from_secs(5), || {
        let cluster = cluster.clone();
        async move {
            let mut conn = cluster.connect(DATABASE).await;
            count(
                &mut conn,
                "SELECT count(*) AS n FROM pg_stat_activity \
                 WHERE state = 'active' AND query LIKE 'SELECT pg_sleep%'",
            )
            .await
                == 2
        }
    })
    .await;
    assert!(held, "both connections are held");

    // Other requests that need the main pool, all at once, while /healthz is asked every 20 ms.
    let timed = |req: reqwest::RequestBuilder| async move {
        let sent = Instant::now();
        let resp = req.send().await.expect("request");
        let took = sent.elapsed();
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (status, retry_after, took)
    };
    let checks = [
        ("readyz", app.client.get(app.url("/readyz"))),
        (
            "login",
            app.client.post(app.url("/v1/auth/token")).form(&[
                ("grant_type", "password"),
                ("username", admin.email.as_str()),
                ("password", admin.password.as_str()),
            ]),
        ),
        (
            "create",
            app.post_supplier_request(&admin.token, &supplier_body("Held Pool", "77000001", 5)),
        ),
        (
            "stats",
            app.authed(reqwest::Method::GET, "/v1/stats/summary", &admin.token),
        ),
    ];
    let health = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            for _ in 0..25 {
                let sent = Instant::now();
                let status = app.get("/healthz").await.status().as_u16();
                seen.push((status, sent.elapsed()));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            seen
        })
    };
    let answers = futures_util::future::join_all(
        checks
            .into_iter()
            .map(|(name, req)| async move { (name, timed(req).await) }),
    )
    .await;
    let health = health.await.expect("healthz poller");
    let holds: Vec<u16> = futures_util::future::join_all(holders)
        .await
        .into_iter()
        .map(|h| h.expect("holder"))
        .collect();
    let ready_after = app.get("/readyz").await.status().as_u16();
    let create_after = app
        .post_supplier(&admin.token, &supplier_body("After Pool", "77000002", 5))
        .await
        .status()
        .as_u16();

    let slowest_health = health
        .iter()
        .map(|(_, took)| *took)
        .max()
        .unwrap_or_default();
    eprintln!("faults: pool held: {answers:?}; slowest /healthz {slowest_health:?}");
    for (name, (status, retry_after, took)) in &answers {
        assert_eq!(*status, 503, "{name}");
        assert!(retry_after.is_some(), "{name}: Retry-After");
        assert!(
            *took >= Duration::from_millis(ACQUIRE_MS * 9 / 10),
            "{name} waited for a connection: {took:?}"
        );
        assert!(
            *took < Duration::from_millis(ACQUIRE_MS + 700),
            "{name} answered within the acquire timeout: {took:?}"
        );
    }
    assert!(
        health.iter().all(|(status, _)| *status == 200),
        "{health:?}"
    );
    assert!(
        slowest_health < Duration::from_millis(100),
        "healthz stays fast: {health:?}"
    );
    assert_eq!(holds, [204, 204], "the slow requests finish");
    assert_eq!(ready_after, 200, "recovers when the connections are back");
    assert_eq!(create_after, 201);
}

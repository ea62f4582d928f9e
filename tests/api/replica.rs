//! `DATABASE_READ_URL`: searches, facets, exports and statistics read from a streaming replica
//! (a second cluster made with `pg_basebackup -R` from the test's own primary), a caller with
//! credentials never misses what was written before its read, the replica serves anonymous
//! reads while the primary is away, and a replica that goes away leaves the reads to the
//! primary.

use std::time::{Duration, Instant};

use diesel_async::RunQueryDsl;
use serde_json::Value;
use supplier_registry::db::replica::Source;

use crate::{
    cluster::PgCluster,
    helpers::{TestApp, spawn_app_with, supplier_body},
};

const DATABASE: &str = "supplier_registry";

async fn exec(cluster: &PgCluster, sql: &str) {
    let mut conn = cluster.connect(DATABASE).await;
    diesel::sql_query(sql).execute(&mut conn).await.expect(sql);
}

/// What one caller (`token`, or anonymous) reads: the names a search lists, the facet count of
/// GT, the names an export holds and the summary's verified GT suppliers.
#[derive(Debug, PartialEq, Eq)]
struct Reads {
    search: Vec<String>,
    facet_gt: i64,
    export: Vec<String>,
    stats_gt: i64,
}

async fn get(app: &TestApp, token: Option<&str>, path: &str) -> reqwest::Response {
    let req = app.client.get(app.url(path));
    let req = match token {
        Some(token) => req.bearer_auth(token),
        None => req,
    };
    req.send().await.expect("request")
}

async fn json(app: &TestApp, token: Option<&str>, path: &str) -> Value {
    let resp = get(app, token, path).await;
    assert_eq!(resp.status().as_u16(), 200, "{path}");
    resp.json().await.expect("json")
}

fn gt(list: &Value) -> i64 {
    list.as_array()
        .into_iter()
        .flatten()
        .find(|c| c["value"] == "GT")
        .and_then(|c| c["count"].as_i64())
        .unwrap_or(0)
}

async fn reads(app: &TestApp, token: Option<&str>) -> Reads {
    let page = json(app, token, "/v1/suppliers?status=verified&sort=name").await;
    let search = page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|d| d["legal_name"].as_str().unwrap_or_default().to_owned())
        .collect();
    let facets = json(app, token, "/v1/suppliers/facets?status=verified").await;
    let export = get(
        app,
        token,
        "/v1/suppliers/export?format=ndjson&status=verified",
    )
    .await;
    assert_eq!(export.status().as_u16(), 200);
    let export = export
        .text()
        .await
        .expect("export")
        .lines()
        .map(|line| {
            let row: Value = serde_json::from_str(line).expect("ndjson");
            row["legal_name"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    let stats = json(app, token, "/v1/stats/summary").await;
    Reads {
        search,
        facet_gt: gt(&facets["country"]),
        export,
        stats_gt: gt(&stats["by_country"]),
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Registers `name` as `token` and verifies it (straight in the primary's database).
async fn verified(app: &TestApp, primary: &PgCluster, token: &str, name: &str, tax_id: &str) {
    let doc = app
        .create_supplier(token, &supplier_body(name, tax_id, 5))
        .await;
    exec(
        primary,
        &format!(
            "UPDATE suppliers SET status = 'verified', verified_at = now() WHERE id = '{}'",
            doc["id"].as_str().expect("id")
        ),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_go_to_the_replica_yet_a_caller_with_credentials_sees_what_was_written() {
    let started = Instant::now();
    let primary = tokio::task::spawn_blocking(PgCluster::start)
        .await
        .expect("primary");
    let url = primary.migrated_database(DATABASE).await;
    let primary = std::sync::Arc::new(primary);
    let source = primary.clone();
    let replica = tokio::task::spawn_blocking(move || PgCluster::replica_of(&source))
        .await
        .expect("replica");
    let replica = std::sync::Arc::new(replica);
    let (database_url, read_url) = (url.clone(), replica.url(DATABASE));
    let app = spawn_app_with(move |_, env| {
        env.insert("DATABASE_URL".into(), database_url);
        env.insert("DATABASE_READ_URL".into(), read_url);
    })
    .await;
    let admin = app.user_with_role_at(&url, "admin").await;

    verified(&app, &primary, &admin.token, "Replica Alpha", "55000001").await;
    // Streaming works: the replica gets Alpha.
    let alpha_everywhere = Reads {
        search: names(&["Replica Alpha"]),
        facet_gt: 1,
        export: names(&["Replica Alpha"]),
        stats_gt: 1,
    };
    let mut anonymous = reads(&app, None).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while anonymous != alpha_everywhere && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        anonymous = reads(&app, None).await;
    }
    assert_eq!(
        anonymous, alpha_everywhere,
        "the replica follows the primary"
    );
    // The replica's pools are in /metrics, beside the primary's.
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for pool in ["replica", "replica_search_generic", "replica_export"] {
        assert!(
            metrics.contains(&format!("db_pool_max_connections{{pool=\"{pool}\"}}")),
            "{pool} in /metrics"
        );
    }

    // The replica stops replaying; Beta is written on the primary.
    exec(&replica, "SELECT pg_wal_replay_pause()").await;
    let paused = PgCluster::wait_for(Duration::from_secs(5), || async {
        let mut conn = replica.connect(DATABASE).await;
        #[derive(diesel::QueryableByName)]
        struct State {
            #[diesel(sql_type = diesel::sql_types::Text)]
            state: String,
        }
        diesel::sql_query("SELECT pg_get_wal_replay_pause_state() AS state")
            .get_result::<State>(&mut conn)
            .await
            .map(|s| s.state == "paused")
            .unwrap_or(false)
    })
    .await;
    assert!(paused, "replay paused");
    verified(&app, &primary, &admin.token, "Replica Beta", "55000002").await;

    // Anonymous callers read the replica, which has not seen Beta; the caller with credentials
    // reads the primary, which has.
    assert_eq!(
        reads(&app, None).await,
        alpha_everywhere,
        "anonymous reads come from the replica"
    );
    let both = Reads {
        search: names(&["Replica Alpha", "Replica Beta"]),
        facet_gt: 2,
        export: names(&["Replica Alpha", "Replica Beta"]),
        stats_gt: 2,
    };
    assert_eq!(
        reads(&app, Some(&admin.token)).await,
        both,
        "a caller with credentials reads what was written"
    );

    // Replay resumes: the replica catches up.
    exec(&replica, "SELECT pg_wal_replay_resume()").await;
    let mut anonymous = reads(&app, None).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while anonymous != both && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        anonymous = reads(&app, None).await;
    }
    assert_eq!(anonymous, both, "the replica caught up");
    // Caught up, and with nothing written since, a caller with credentials reads it too.
    let replica_serves_writers = PgCluster::wait_for(Duration::from_secs(5), || async {
        let router = app.state.replica.as_ref().expect("a replica is configured");
        router.source(&app.state.pool, true).await == Source::Replica
    })
    .await;
    assert!(
        replica_serves_writers,
        "a caught-up replica serves every read"
    );

    // The primary goes away: anonymous reads go on from the replica.
    let stopping = primary.clone();
    tokio::task::spawn_blocking(move || stopping.stop_server())
        .await
        .expect("stop the primary");
    let without_primary = reads(&app, None).await;
    let starting = primary.clone();
    tokio::task::spawn_blocking(move || starting.start_server())
        .await
        .expect("start the primary");
    assert_eq!(
        without_primary, both,
        "the replica serves while the primary is away"
    );

    // The replica goes away: reads go to the primary, at worst after one 503 with Retry-After.
    let stopping = replica.clone();
    tokio::task::spawn_blocking(move || stopping.stop_server())
        .await
        .expect("stop the replica");
    let gone = Instant::now();
    let mut answers = Vec::new();
    for path in [
        "/v1/suppliers?status=verified&sort=name",
        "/v1/suppliers/facets?status=verified",
        "/v1/stats/summary",
        "/v1/suppliers/export?format=ndjson&status=verified",
    ] {
        loop {
            let resp = get(&app, None, path).await;
            let status = resp.status().as_u16();
            let retry_after = resp.headers().contains_key("retry-after");
            answers.push((path, status, retry_after));
            if status != 503 || gone.elapsed() > Duration::from_secs(5) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let after_stop = gone.elapsed();
    eprintln!(
        "replica: without it: {answers:?} in {after_stop:?}; whole test {:?}",
        started.elapsed()
    );
    assert!(
        answers
            .iter()
            .all(|(_, status, retry)| *status == 200 || (*status == 503 && *retry)),
        "{answers:?}"
    );
    assert!(
        answers
            .iter()
            .filter(|(_, status, _)| *status == 503)
            .count()
            <= 1,
        "{answers:?}"
    );
    assert_eq!(reads(&app, None).await, both, "the primary answers");
}

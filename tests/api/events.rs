//! The change feed: events of every change, in commit order, each once — even when a slow
//! transaction and a fast one interleave.

use std::time::Duration;

use diesel_async::AsyncConnection;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, record_event, spawn_app, supplier_body};

async fn feed(app: &TestApp, token: &str, after: i64) -> Value {
    let resp = app
        .authed(
            Method::GET,
            &format!("/v1/events?after={after}&limit=100"),
            token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn every_change_is_in_the_feed_in_order() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let supplier = app.user_with_role("supplier").await;
    let doc = app
        .create_supplier(&admin.token, &supplier_body("Feed S.A.", "FEED0001", 3))
        .await;
    let id = doc["id"].as_str().unwrap();
    app.patch_supplier(&admin.token, id, "\"1\"", &json!({ "employees": 4 }))
        .await;
    app.transition(&admin.token, id, "submit", None).await;
    app.archive_supplier(&admin.token, id, "\"3\"").await;

    let all = feed(&app, &admin.token, 0).await;
    let events = all["data"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "supplier.created",
            "supplier.updated",
            "supplier.status_changed",
            "supplier.archived"
        ]
    );
    assert!(
        events
            .iter()
            .all(|e| e["supplier_id"] == id && e["occurred_at"].is_string())
    );
    assert_eq!(
        events[1]["data"],
        json!({ "version": 2, "changed": ["employees"] })
    );
    assert_eq!(events[2]["data"]["to"], "pending");
    let second = events[1]["id"].as_i64().unwrap();
    let rest = feed(&app, &admin.token, second).await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 2);
    assert_eq!(all["next_cursor"], Value::Null);
    let paged: Value = app
        .authed(Method::GET, "/v1/events?limit=3", &admin.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        paged["next_cursor"],
        json!(events[2]["id"].as_i64().unwrap().to_string())
    );
    // Any authenticated caller reads the feed (ids, versions and changed fields only).
    let as_supplier = app
        .authed(Method::GET, "/v1/events", &supplier.token)
        .send()
        .await
        .unwrap();
    assert_eq!(as_supplier.status().as_u16(), 200);
    assert_problem(app.get("/v1/events").await, 401).await;
    assert_problem(
        app.authed(Method::GET, "/v1/events?after=-1", &admin.token)
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
}

#[tokio::test]
async fn a_poller_never_misses_an_event_of_a_slow_transaction() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let doc = app
        .create_supplier(&admin.token, &supplier_body("Lenta S.A.", "SLOW0001", 3))
        .await;
    let supplier: uuid::Uuid = doc["id"].as_str().unwrap().parse().unwrap();
    let mut start = feed(&app, &admin.token, 0).await["data"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["id"]
        .as_i64()
        .unwrap();

    for round in 0..3 {
        // A slow transaction draws its event first and commits late; fast ones come meanwhile.
        let mut slow = app.db.connect().await;
        let slow_tx = tokio::spawn(async move {
            slow.transaction(async |conn| {
                record_event(conn, supplier, &json!({ "round": round, "speed": "slow" })).await?;
                tokio::time::sleep(Duration::from_millis(400)).await;
                Ok::<_, diesel::result::Error>(())
            })
            .await
        });
        let mut fast_txs = Vec::new();
        for n in 0..3 {
            let mut fast = app.db.connect().await;
            fast_txs.push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(50 + 50 * n)).await;
                fast.transaction(async |conn| {
                    record_event(conn, supplier, &json!({ "round": round, "speed": "fast" })).await
                })
                .await
            }));
        }
        // Poll as a partner would: always after the last id seen.
        let mut seen = Vec::new();
        let mut last = start;
        let deadline = std::time::Instant::now() + Duration::from_millis(1200);
        while std::time::Instant::now() < deadline {
            for e in feed(&app, &admin.token, last).await["data"]
                .as_array()
                .unwrap()
            {
                let id = e["id"].as_i64().unwrap();
                assert!(id > last, "ids only increase");
                last = id;
                seen.push(id);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        slow_tx.await.unwrap().unwrap();
        for t in fast_txs {
            t.await.unwrap().unwrap();
        }
        let everything: Vec<i64> = feed(&app, &admin.token, start).await["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect();
        assert_eq!(everything.len(), 4);
        assert_eq!(
            seen, everything,
            "round {round}: the poller saw every committed event, once, in order"
        );
        start = *everything.last().unwrap();
    }
}

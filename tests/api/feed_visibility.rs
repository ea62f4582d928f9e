//! The change feed tells a supplier caller no more than its `GET` would: another company's
//! rejected draft (a 404 for it) leaves no id, transition or rejection reason in its feed.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app, supplier_body};

async fn all_events(app: &TestApp, token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let page = app
            .get_json(token, &format!("/v1/events?after={after}&limit=2"))
            .await;
        out.extend(page["data"].as_array().expect("data").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => after = next.parse().expect("cursor is an event id"),
            None => return out,
        }
    }
}

#[tokio::test]
async fn a_supplier_reads_only_its_own_suppliers_events() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let agency = app.user_with_role("agency").await;
    let mine = app.user_with_role("supplier").await;
    let other = app.user_with_role("supplier").await;

    let own = app
        .create_supplier(&mine.token, &supplier_body("Propia S.A.", "FEEDV001", 3))
        .await;
    let own_id = own["id"].as_str().unwrap().to_owned();
    let theirs = app
        .create_supplier(&other.token, &supplier_body("Ajena S.A.", "FEEDV002", 3))
        .await;
    let their_id = theirs["id"].as_str().unwrap().to_owned();
    let submit = app
        .transition(&other.token, &their_id, "submit", None)
        .await;
    assert_eq!(submit.status().as_u16(), 200);
    let secret = "reason nobody else may read";
    let reject = app
        .transition(&agency.token, &their_id, "reject", Some(secret))
        .await;
    assert_eq!(reject.status().as_u16(), 200);
    app.patch_supplier(
        &mine.token,
        &own_id,
        "\"1\"",
        &serde_json::json!({ "employees": 4 }),
    )
    .await;

    // The other company's rejected draft is a 404 for this supplier user...
    let get = app
        .authed(
            Method::GET,
            &format!("/v1/suppliers/{their_id}"),
            &mine.token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(get.status().as_u16(), 404);
    // ... and its feed holds only its own supplier's events, in commit order, paged by `after`.
    let events = all_events(&app, &mine.token).await;
    let text = serde_json::to_string(&events).unwrap();
    assert!(!text.contains(&their_id), "{text}");
    assert!(!text.contains(secret), "{text}");
    assert!(events.iter().all(|e| e["supplier_id"] == own_id.as_str()));
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["supplier.created", "supplier.updated"]);
    let ids: Vec<i64> = events.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));

    // Its owner and the staff still read every event of it.
    for token in [&other.token, &admin.token, &agency.token] {
        let events = all_events(&app, token).await;
        let of_theirs: Vec<&Value> = events
            .iter()
            .filter(|e| e["supplier_id"] == their_id.as_str())
            .collect();
        assert_eq!(of_theirs.len(), 3, "{events:?}");
    }
}

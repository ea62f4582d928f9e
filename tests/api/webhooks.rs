//! Webhooks: registration and its SSRF checks, signed deliveries checked by an independent
//! verifier, retries against a receiver that fails then recovers, giving up, 410, redirects,
//! targets re-checked at delivery, and two dispatchers sharing one outbox.

use std::{
    collections::{BTreeSet, HashMap},
    time::{Duration, Instant},
};

use diesel_async::AsyncConnection;
use reqwest::Method;
use serde_json::{Value, json};
use supplier_registry::{
    db,
    workers::webhooks::{Dispatcher, spawn},
};

use crate::{
    helpers::{
        TestApp, TestUser, assert_problem, record_event, spawn_app, spawn_app_with, supplier_body,
    },
    receiver::{Answer, Receiver, verify},
};

/// A server whose webhooks may call loopback receivers, with a fast dispatcher schedule.
async fn app_for_delivery(schedule: &str) -> TestApp {
    let schedule = schedule.to_owned();
    spawn_app_with(move |_, env| {
        env.insert("WEBHOOK_ALLOW_PRIVATE_TARGETS".into(), "true".into());
        env.insert("WEBHOOK_RETRY_SCHEDULE_SECONDS".into(), schedule);
        env.insert("WEBHOOK_POLL_INTERVAL_MS".into(), "100".into());
        env.insert("WEBHOOK_TIMEOUT_SECONDS".into(), "2".into());
    })
    .await
}

/// A dispatcher with the server's configuration, `overrides` applied.
fn dispatcher(app: &TestApp, overrides: &[(&str, &str)]) -> Dispatcher {
    let mut env = app.env.clone();
    for (k, v) in overrides {
        env.insert((*k).into(), (*v).into());
    }
    let config =
        supplier_registry::config::Config::from_lookup(|n| env.get(n).cloned()).expect("config");
    Dispatcher::new(db::build_pool(&config).expect("pool"), &config).expect("dispatcher")
}

async fn register(app: &TestApp, token: &str, url: &str, events: &[&str]) -> reqwest::Response {
    app.authed(Method::POST, "/v1/webhooks", token)
        .json(&json!({ "url": url, "events": events }))
        .send()
        .await
        .unwrap()
}

async fn registered(app: &TestApp, token: &str, url: &str, events: &[&str]) -> Value {
    let resp = register(app, token, url, events).await;
    assert_eq!(resp.status().as_u16(), 201, "{url}");
    resp.json().await.unwrap()
}

async fn create_supplier(app: &TestApp, user: &TestUser, tax_id: &str) -> Value {
    app.create_supplier(&user.token, &supplier_body("Ganchos S.A.", tax_id, 3))
        .await
}

/// Waits until the webhook's deliveries satisfy `done`.
async fn deliveries_until(
    app: &TestApp,
    token: &str,
    webhook: &str,
    within: Duration,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let page = app
            .get_json(
                token,
                &format!("/v1/webhooks/{webhook}/deliveries?limit=100"),
            )
            .await;
        let list = page["data"].as_array().unwrap().clone();
        if done(&list) {
            return list;
        }
        assert!(started.elapsed() < within, "deliveries now: {list:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn registration_refuses_unsafe_targets_and_shows_the_secret_once() {
    let app = spawn_app().await;
    let agency = app.user_with_role("agency").await;
    for url in [
        "http://127.0.0.1:9000/",
        "http://localhost:9000/",
        "http://[::1]:9000/",
        "http://0.0.0.0/",
        "http://10.0.0.1/",
        "http://172.16.0.1/",
        "http://192.168.0.1/",
        "http://100.64.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "file:///etc/passwd",
        "gopher://example.com/",
        "ftp://example.com/",
        "http://93.184.215.14:22/",
        "https://good@93.184.215.14/",
        "not a url",
    ] {
        let problem = assert_problem(
            register(&app, &agency.token, url, &["supplier.created"]).await,
            422,
        )
        .await;
        assert_eq!(problem.errors[0].field, "url", "{url}");
        // Generic reasons: nothing about what a name resolved to.
        assert!(
            !format!("{problem:?}").contains("127.0.0.1") || url.contains("127.0.0.1"),
            "{url}"
        );
    }
    let problem = assert_problem(
        register(
            &app,
            &agency.token,
            "https://93.184.215.14/",
            &["supplier.nope"],
        )
        .await,
        422,
    )
    .await;
    assert_eq!(problem.errors[0].field, "events[0]");
    let problem = assert_problem(
        register(&app, &agency.token, "https://93.184.215.14/", &[]).await,
        422,
    )
    .await;
    assert_eq!(problem.errors[0].field, "events");

    // A public target: the secret is in the creation answer and nowhere else.
    let resp = register(
        &app,
        &agency.token,
        "https://93.184.215.14/hooks",
        &["supplier.created", "supplier.created"],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 201);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = resp.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"));
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD
        .decode(&secret[6..])
        .unwrap();
    assert!(key.len() >= 24);
    assert_eq!(created["events"], json!(["supplier.created"]));
    assert_eq!(created["status"], "active");
    assert_eq!(
        location,
        format!("/v1/webhooks/{}", created["id"].as_str().unwrap())
    );
    let got = app.get_json(&agency.token, &location).await;
    assert!(got.get("secret").is_none());
    let listed = app.get_json(&agency.token, "/v1/webhooks").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(secret));
    let other = registered(
        &app,
        &agency.token,
        "https://93.184.215.14/other",
        &["supplier.updated"],
    )
    .await;
    assert_ne!(other["secret"], created["secret"], "a secret per endpoint");

    // Another agency sees none of them; an admin sees all.
    let rival = app.user_with_role("agency").await;
    assert_eq!(
        app.get_json(&rival.token, "/v1/webhooks").await["data"],
        json!([])
    );
    assert_problem(
        app.authed(Method::GET, &location, &rival.token)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert_problem(
        app.authed(Method::DELETE, &location, &rival.token)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    let admin = app.user_with_role("admin").await;
    assert_eq!(
        app.get_json(&admin.token, "/v1/webhooks?limit=1").await["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let resp = app
        .authed(Method::DELETE, &location, &agency.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert_problem(
        app.authed(Method::GET, &location, &agency.token)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;

    // With private targets allowed, loopback is fine; link-local never is.
    let open = spawn_app_with(|_, env| {
        env.insert("WEBHOOK_ALLOW_PRIVATE_TARGETS".into(), "true".into());
    })
    .await;
    let agency = open.user_with_role("agency").await;
    registered(
        &open,
        &agency.token,
        "http://127.0.0.1:9000/",
        &["supplier.created"],
    )
    .await;
    registered(
        &open,
        &agency.token,
        "http://localhost:9000/",
        &["supplier.created"],
    )
    .await;
    for url in [
        "http://169.254.169.254/",
        "http://[fe80::1]/",
        "http://0.0.0.0:9000/",
    ] {
        let problem = assert_problem(
            register(&open, &agency.token, url, &["supplier.created"]).await,
            422,
        )
        .await;
        assert_eq!(problem.errors[0].field, "url", "{url}");
    }
}

#[tokio::test]
async fn deliveries_are_signed_and_sent_within_seconds_of_the_commit() {
    let app = app_for_delivery("1").await;
    spawn(db::build_pool(&app.config()).unwrap(), &app.config()).unwrap();
    let receiver = Receiver::start(vec![]).await;
    let agency = app.user_with_role("agency").await;
    let hook = registered(
        &app,
        &agency.token,
        &receiver.url,
        &["supplier.created", "supplier.status_changed"],
    )
    .await;
    let secret = hook["secret"].as_str().unwrap().to_owned();

    let admin = app.user_with_role("admin").await;
    let committed = Instant::now();
    let doc = create_supplier(&app, &admin, "HOOK0001").await;
    let id = doc["id"].as_str().unwrap();
    let hits = receiver.wait_for(1, Duration::from_secs(5)).await;
    let first_delay = committed.elapsed();
    // Not subscribed: `supplier.updated`.
    app.patch_supplier(&admin.token, id, "\"1\"", &json!({ "employees": 4 }))
        .await;
    let resp = app.transition(&admin.token, id, "submit", None).await;
    assert_eq!(resp.status().as_u16(), 200);
    let hits = if hits.len() < 2 {
        receiver.wait_for(2, Duration::from_secs(5)).await
    } else {
        hits
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.hits().len(), 2, "only the subscribed types");

    let feed = app.get_json(&agency.token, "/v1/events").await;
    let events: HashMap<String, Value> = feed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (format!("evt_{}", e["id"]), e.clone()))
        .collect();
    let now = chrono::Utc::now().timestamp();
    for hit in &hits {
        assert_eq!(hit.path, "/hook");
        verify(&secret, hit, now, 300).unwrap_or_else(|e| panic!("{e}: {hit:?}"));
        assert_eq!(
            &hit.json(),
            &events[&hit.id],
            "the body is the feed's event"
        );
    }
    assert_eq!(hits[0].json()["type"], "supplier.created");
    assert_eq!(hits[1].json()["type"], "supplier.status_changed");
    assert!(
        first_delay < Duration::from_secs(5),
        "first attempt after {first_delay:?}"
    );

    // Any change to what was signed fails verification; so does an old timestamp.
    let hit = &hits[0];
    let mut body = hit.clone();
    body.body[0] = b' ';
    assert!(verify(&secret, &body, now, 300).is_err());
    let mut id = hit.clone();
    id.id = "evt_999999".into();
    assert!(verify(&secret, &id, now, 300).is_err());
    let mut ts = hit.clone();
    ts.timestamp = (hit.timestamp.parse::<i64>().unwrap() + 1).to_string();
    assert!(verify(&secret, &ts, now, 300).is_err());
    assert!(
        verify(&secret, hit, now + 600, 300).is_err(),
        "replayed outside the tolerance"
    );
    assert!(verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", hit, now, 300).is_err());

    let list = deliveries_until(
        &app,
        &agency.token,
        hook["id"].as_str().unwrap(),
        Duration::from_secs(5),
        |l| l.len() == 2 && l.iter().all(|d| d["status"] == "delivered"),
    )
    .await;
    for d in &list {
        assert_eq!(d["attempts"].as_array().unwrap().len(), 1);
        assert_eq!(d["attempts"][0]["response_status"], 200);
        assert_eq!(d["attempts"][0]["outcome"], "success");
        assert_eq!(d["next_attempt_at"], Value::Null);
    }
    assert_eq!(
        list[0]["event_type"], "supplier.status_changed",
        "newest first"
    );
}

#[tokio::test]
async fn failed_deliveries_are_retried_until_the_receiver_recovers() {
    let app = app_for_delivery("1,1,1").await;
    spawn(db::build_pool(&app.config()).unwrap(), &app.config()).unwrap();
    let receiver = Receiver::start(vec![Answer::Status(500), Answer::Status(503)]).await;
    let agency = app.user_with_role("agency").await;
    let hook = registered(&app, &agency.token, &receiver.url, &["supplier.created"]).await;
    create_supplier(&app, &agency, "HOOK0002").await;

    let hits = receiver.wait_for(3, Duration::from_secs(10)).await;
    let ids: BTreeSet<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids.len(), 1, "one webhook-id across retries");
    let now = chrono::Utc::now().timestamp();
    for hit in &hits {
        verify(hook["secret"].as_str().unwrap(), hit, now, 300).unwrap();
    }
    let list = deliveries_until(
        &app,
        &agency.token,
        hook["id"].as_str().unwrap(),
        Duration::from_secs(5),
        |l| l.len() == 1 && l[0]["status"] == "delivered",
    )
    .await;
    let statuses: Vec<&Value> = list[0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["response_status"])
        .collect();
    assert_eq!(statuses, [&json!(500), &json!(503), &json!(200)]);
    // Backoff: the retries waited about the schedule's second (± 20 % jitter).
    let times: Vec<chrono::DateTime<chrono::Utc>> = list[0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["attempted_at"].as_str().unwrap().parse().unwrap())
        .collect();
    for pair in times.windows(2) {
        assert!(
            pair[1] - pair[0] >= chrono::Duration::milliseconds(750),
            "{times:?}"
        );
    }
    assert!(
        !list
            .iter()
            .any(|d| d.to_string().contains("receiver's own words"))
    );
}

#[tokio::test]
async fn endpoints_that_keep_failing_are_marked_and_410_disables_them() {
    let app = app_for_delivery("1").await;
    spawn(db::build_pool(&app.config()).unwrap(), &app.config()).unwrap();
    let failing = Receiver::start(vec![Answer::Status(500); 4]).await;
    let gone = Receiver::start(vec![Answer::Status(410)]).await;
    let agency = app.user_with_role("agency").await;
    let bad = registered(&app, &agency.token, &failing.url, &["supplier.created"]).await;
    let dead = registered(&app, &agency.token, &gone.url, &["supplier.created"]).await;
    create_supplier(&app, &agency, "HOOK0003").await;

    let list = deliveries_until(
        &app,
        &agency.token,
        bad["id"].as_str().unwrap(),
        Duration::from_secs(10),
        |l| l.len() == 1 && l[0]["status"] == "failed",
    )
    .await;
    assert_eq!(
        list[0]["attempts"].as_array().unwrap().len(),
        2,
        "the first try and one retry"
    );
    let hook = app
        .get_json(
            &agency.token,
            &format!("/v1/webhooks/{}", bad["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(hook["status"], "failing");

    let list = deliveries_until(
        &app,
        &agency.token,
        dead["id"].as_str().unwrap(),
        Duration::from_secs(10),
        |l| l.len() == 1 && l[0]["status"] == "failed",
    )
    .await;
    assert_eq!(list[0]["attempts"][0]["outcome"], "gone");
    let hook = app
        .get_json(
            &agency.token,
            &format!("/v1/webhooks/{}", dead["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(hook["status"], "disabled");

    // A disabled endpoint gets nothing more; a failing one still does, and recovers.
    create_supplier(&app, &agency, "HOOK0004").await;
    let list = deliveries_until(
        &app,
        &agency.token,
        bad["id"].as_str().unwrap(),
        Duration::from_secs(10),
        |l| l.len() == 2 && l[0]["status"] == "failed",
    )
    .await;
    assert_eq!(list.len(), 2);
    let dead_list = app
        .get_json(
            &agency.token,
            &format!("/v1/webhooks/{}/deliveries", dead["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(dead_list["data"].as_array().unwrap().len(), 1);
    assert_eq!(gone.hits().len(), 1);
    // The script has run out of 500s by now: the next delivery succeeds and the endpoint is active.
    create_supplier(&app, &agency, "HOOK0005").await;
    deliveries_until(
        &app,
        &agency.token,
        bad["id"].as_str().unwrap(),
        Duration::from_secs(10),
        |l| l.len() == 3 && l[0]["status"] == "delivered",
    )
    .await;
    let hook = app
        .get_json(
            &agency.token,
            &format!("/v1/webhooks/{}", bad["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(hook["status"], "active");
}

#[tokio::test]
async fn redirects_are_not_followed_and_targets_are_checked_again_at_delivery() {
    // No background dispatcher here: each round is run by hand.
    let app = app_for_delivery("1").await;
    let canary = Receiver::start(vec![]).await;
    let redirector = Receiver::start(vec![Answer::Redirect(canary.url.clone())]).await;
    let internal = Receiver::start(vec![]).await;
    // Hangs past the 2 s attempt timeout.
    let slow = Receiver::start(vec![Answer::Hang(Duration::from_secs(5))]).await;
    let agency = app.user_with_role("agency").await;
    let hanging = registered(&app, &agency.token, &slow.url, &["supplier.created"]).await;
    let redirecting = registered(&app, &agency.token, &redirector.url, &["supplier.created"]).await;
    // Registered while private targets were allowed; by name, so the resolver is what refuses it.
    let by_name = internal.url.replace("127.0.0.1", "localhost");
    let named = registered(&app, &agency.token, &by_name, &["supplier.created"]).await;
    create_supplier(&app, &agency, "HOOK0006").await;

    // The operator has since closed private targets: nothing may connect to them.
    let strict = dispatcher(&app, &[("WEBHOOK_ALLOW_PRIVATE_TARGETS", "false")]);
    assert_eq!(strict.run_once().await.unwrap(), 3);
    assert_eq!(
        redirector.hits().len() + internal.hits().len() + canary.hits().len(),
        0
    );
    for hook in [&redirecting, &named] {
        let list = app
            .get_json(
                &agency.token,
                &format!("/v1/webhooks/{}/deliveries", hook["id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(list["data"][0]["attempts"][0]["outcome"], "refused_address");
        assert_eq!(list["data"][0]["status"], "pending", "retried later");
    }

    // Allowed again: the redirect is a failed attempt, and not followed.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let open = dispatcher(&app, &[]);
    let started = Instant::now();
    assert_eq!(open.run_once().await.unwrap(), 3);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "one timeout for the whole attempt"
    );
    assert_eq!(redirector.hits().len(), 1);
    assert_eq!(internal.hits().len(), 1);
    assert_eq!(canary.hits().len(), 0, "the redirect was followed");
    let list = app
        .get_json(
            &agency.token,
            &format!(
                "/v1/webhooks/{}/deliveries",
                redirecting["id"].as_str().unwrap()
            ),
        )
        .await;
    let attempt = &list["data"][0]["attempts"][1];
    assert_eq!(
        (&attempt["response_status"], &attempt["outcome"]),
        (&json!(302), &json!("http_status"))
    );
    assert_eq!(
        list["data"][0]["status"], "failed",
        "one retry in this schedule"
    );
    let list = app
        .get_json(
            &agency.token,
            &format!(
                "/v1/webhooks/{}/deliveries",
                hanging["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(list["data"][0]["attempts"][1]["outcome"], "timeout");
}

#[tokio::test]
async fn two_dispatchers_share_the_outbox_and_rolled_back_changes_send_nothing() {
    let app = app_for_delivery("1").await;
    let receiver = Receiver::start(vec![]).await;
    let agency = app.user_with_role("agency").await;
    registered(&app, &agency.token, &receiver.url, &["supplier.updated"]).await;
    let doc = create_supplier(&app, &agency, "HOOK0007").await;
    let supplier: uuid::Uuid = doc["id"].as_str().unwrap().parse().unwrap();

    let mut conn = app.db.connect().await;
    for i in 0..150 {
        conn.transaction(async |c| record_event(c, supplier, &json!({ "n": i })).await)
            .await
            .unwrap();
    }
    // A rolled-back change leaves no event and no delivery.
    let rolled_back: Result<(), diesel::result::Error> = conn
        .transaction(async |c| {
            record_event(c, supplier, &json!({ "n": "rolled back" })).await?;
            Err(diesel::result::Error::RollbackTransaction)
        })
        .await;
    assert!(rolled_back.is_err());

    let (a, b) = (dispatcher(&app, &[]), dispatcher(&app, &[]));
    let drain = |d: Dispatcher| async move {
        let mut sent = 0;
        loop {
            let n = d.run_once().await.unwrap();
            if n == 0 {
                return sent;
            }
            sent += n;
        }
    };
    let (sent_a, sent_b) = tokio::join!(drain(a), drain(b));
    assert_eq!(sent_a + sent_b, 150);
    let hits = receiver.hits();
    let ids: BTreeSet<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!((hits.len(), ids.len()), (150, 150), "each event once");
    assert!(
        !hits
            .iter()
            .any(|h| h.body.windows(11).any(|w| w == b"rolled back"))
    );
}

/// A worker whose lease lapsed records its attempt late: it never moves the delivery back from
/// what a later claim recorded (here: it would have made a retry due at once).
#[tokio::test]
async fn a_late_record_does_not_undo_a_later_attempt() {
    use db::webhooks::{Attempt, Next, claim_due, record_attempt};

    let app = app_for_delivery("60").await;
    let agency = app.user_with_role("agency").await;
    let hook = registered(
        &app,
        &agency.token,
        "http://127.0.0.1:9999/hook",
        &["supplier.created"],
    )
    .await;
    create_supplier(&app, &agency, "HOOK0009").await;
    let mut conn = app.state.pool.get().await.unwrap();
    // Worker A claims with a lease that lapses at once; worker B claims the same delivery.
    let a = claim_due(&mut conn, 10, 0.0).await.unwrap();
    assert_eq!(a.len(), 1);
    let b = claim_due(&mut conn, 10, 60.0).await.unwrap();
    assert_eq!((a[0].id, a[0].attempts), (b[0].id, b[0].attempts));
    let attempt = |status: i16| Attempt {
        delivery: a[0].id,
        webhook: a[0].webhook_id,
        number: a[0].attempts + 1,
        response_status: Some(status),
        outcome: "http_status",
        duration_ms: 1,
    };
    // B's attempt fails and is recorded first: retry in a minute. Then A's record arrives, late,
    // asking for a retry right away.
    let in_a_minute = chrono::Utc::now() + chrono::Duration::seconds(60);
    record_attempt(&mut conn, &attempt(503), Next::RetryAt(in_a_minute))
        .await
        .unwrap();
    let now = chrono::Utc::now() - chrono::Duration::seconds(1);
    record_attempt(&mut conn, &attempt(500), Next::RetryAt(now))
        .await
        .unwrap();
    assert!(
        claim_due(&mut conn, 10, 60.0).await.unwrap().is_empty(),
        "the late record made the delivery due again"
    );
    let list = app
        .get_json(
            &agency.token,
            &format!("/v1/webhooks/{}/deliveries", hook["id"].as_str().unwrap()),
        )
        .await;
    let delivery = &list["data"][0];
    assert_eq!(delivery["status"], "pending", "{list}");
    assert_eq!(delivery["attempts"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(delivery["attempts"][0]["response_status"], 503, "{list}");
}

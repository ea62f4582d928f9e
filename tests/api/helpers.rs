//! The test harness: a database per test (a clone of a migrated template, dropped afterwards), the
//! real server on port 0, a TCP proxy in front of PostgreSQL to cut and restore the database, and
//! probe routes for the JSON extractor.

use std::{
    collections::HashMap,
    hash::{DefaultHasher, Hash, Hasher},
    sync::{
        Arc,
        atomic::{AtomicU8, Ordering},
    },
};

use actix_web::{HttpResponse, web};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use supplier_registry::{
    config::Config,
    db,
    error::{ApiError, Problem},
    http::JsonBody,
    routes::users::{CreateUserRequest, NewUser},
    startup::Application,
    telemetry,
};
use tokio::{net::TcpListener, sync::OnceCell};
use url::Url;

/// The PostgreSQL server the tests use (its `postgres` database).
pub fn admin_url() -> Url {
    let raw = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    Url::parse(&raw).expect("TEST_DATABASE_URL is a URL")
}

pub fn url_for(name: &str) -> String {
    let mut url = admin_url();
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// The template's name changes whenever a migration file changes, so a stale template is never
/// cloned.
fn template_name() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut files: Vec<_> = walk(&dir);
    files.sort();
    let mut hasher = DefaultHasher::new();
    for file in files {
        // Relative paths: every checkout of the same migrations shares one template.
        file.strip_prefix(&dir)
            .unwrap_or(&file)
            .to_string_lossy()
            .hash(&mut hasher);
        std::fs::read(&file)
            .expect("migration readable")
            .hash(&mut hasher);
    }
    format!("sr_template_{:016x}", hasher.finish())
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("migrations dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

/// Creates the migrated template once (several test processes may race: an advisory lock
/// serialises them, and the template is built under another name and renamed when complete).
async fn template() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            let name = template_name();
            let mut conn = AsyncPgConnection::establish(admin_url().as_str())
                .await
                .expect("PostgreSQL is reachable for the tests (see README)");
            diesel::sql_query("SELECT pg_advisory_lock(727272)")
                .execute(&mut conn)
                .await
                .expect("advisory lock");
            if !db::database_exists(&mut conn, &name).await.expect("query") {
                // Templates of older migration sets are of no more use.
                #[derive(diesel::QueryableByName)]
                struct Stale {
                    #[diesel(sql_type = diesel::sql_types::Text)]
                    datname: String,
                }
                let stale: Vec<Stale> = diesel::sql_query(
                    "SELECT datname::text AS datname FROM pg_database WHERE datname LIKE 'sr\\_template\\_%'",
                )
                .load(&mut conn)
                .await
                .expect("list templates");
                for old in stale {
                    let _ = db::drop_database(admin_url().as_str(), &old.datname).await;
                }
                let building = format!("{name}_wip");
                db::drop_database(admin_url().as_str(), &building)
                    .await
                    .expect("drop stale wip template");
                diesel::sql_query(format!("CREATE DATABASE {}", db::quote_ident(&building)))
                    .execute(&mut conn)
                    .await
                    .expect("create template");
                db::run_migrations(&url_for(&building))
                    .await
                    .expect("migrate template");
                diesel::sql_query(format!(
                    "ALTER DATABASE {} RENAME TO {}",
                    db::quote_ident(&building),
                    db::quote_ident(&name)
                ))
                .execute(&mut conn)
                .await
                .expect("rename template");
            }
            // The lock goes with the connection.
            drop(conn);
            name
        })
        .await
}

/// A database of its own for one test, dropped when the test ends.
pub struct TestDb {
    pub name: String,
}

impl TestDb {
    pub async fn new() -> Self {
        let template = template().await;
        let name = format!("sr_test_{}", uuid::Uuid::now_v7().simple());
        let mut conn = AsyncPgConnection::establish(admin_url().as_str())
            .await
            .expect("connect");
        // Two clones of one template at the same instant can collide; try again briefly.
        for attempt in 0.. {
            let sql = format!(
                "CREATE DATABASE {} TEMPLATE {}",
                db::quote_ident(&name),
                db::quote_ident(template)
            );
            match diesel::sql_query(sql).execute(&mut conn).await {
                Ok(_) => break,
                Err(e) if attempt < 20 => {
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("could not clone the template: {e}"),
            }
        }
        Self { name }
    }

    pub fn url(&self) -> String {
        url_for(&self.name)
    }

    /// A URL to this database through another port (a proxy).
    pub fn url_via(&self, port: u16) -> String {
        let mut url = Url::parse(&self.url()).expect("url");
        url.set_host(Some("127.0.0.1")).expect("host");
        url.set_port(Some(port)).expect("port");
        url.to_string()
    }

    pub async fn connect(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.url())
            .await
            .expect("connect to test db")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot block on another future: use a
        // thread with a runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(db::drop_database(admin_url().as_str(), &name))
        })
        .join();
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDb,
    /// The PEM of the key that signs this server's tokens (to forge tokens in tests).
    pub signing_pem: String,
    pub signing_kid: String,
    pub keys_dir: KeysDir,
    /// The environment the server was configured from.
    pub env: HashMap<String, String>,
    /// The server's shared state (to start a background worker with it).
    pub state: actix_web::web::Data<supplier_registry::state::AppState>,
}

/// A directory of signing keys, removed with the test.
pub struct KeysDir(pub std::path::PathBuf);

impl KeysDir {
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("sr-keys-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("keys dir");
        Self(dir)
    }

    /// Adds a key named `kid` and returns its PEM.
    pub fn add(&self, kid: &str) -> String {
        let pem = supplier_registry::auth::keys::generate_pem().expect("key");
        std::fs::write(self.0.join(format!("{kid}.pem")), &pem).expect("write key");
        pem
    }
}

impl Drop for KeysDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub const DIGEST_KEY: &str = "test digest key, thirty-two bytes or more";

/// Starts the server on its own database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_, _| {}).await
}

/// Starts the server; `customize` may change the environment it is configured from (it gets the
/// test database too, to point the service at it through a proxy, say).
pub async fn spawn_app_with(
    customize: impl FnOnce(&TestDb, &mut HashMap<String, String>),
) -> TestApp {
    telemetry::init_for_tests();
    let db = TestDb::new().await;
    let keys = KeysDir::new();
    let signing_kid = "2026-11-27-a".to_owned();
    let signing_pem = keys.add(&signing_kid);
    let mut env: HashMap<String, String> = [
        ("JWT_SIGNING_KEYS_DIR", keys.0.display().to_string()),
        ("SECRET_DIGEST_KEY", DIGEST_KEY.to_owned()),
        ("RATE_LIMIT_PER_SECOND", "0".to_owned()),
        ("DATABASE_URL", db.url()),
        ("LISTEN_ADDR", "127.0.0.1:0".into()),
        ("HTTP_WORKERS", "1".into()),
        ("DATABASE_POOL_SIZE", "4".into()),
        ("SHUTDOWN_TIMEOUT_SECONDS", "1".into()),
        // Statistics computed afresh, so that a test sees its writes (one test turns it on).
        ("STATS_CACHE_SECONDS", "0".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    customize(&db, &mut env);
    let config = Config::from_lookup(|name| env.get(name).cloned()).expect("test config");
    let app = Application::build_with(config, Some(probe_routes))
        .await
        .expect("build app");
    let port = app.port();
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        db,
        signing_pem,
        signing_kid,
        keys_dir: keys,
        env,
        state,
    }
}

impl TestApp {
    /// The server's configuration (to run a background worker next to it, say).
    pub fn config(&self) -> Config {
        Config::from_lookup(|name| self.env.get(name).cloned()).expect("test config")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// `GET path` as `token`; panics unless it is a 200, and returns the JSON body.
    pub async fn get_json(&self, token: &str, path: &str) -> Value {
        let resp = self
            .authed(reqwest::Method::GET, path, token)
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        resp.json().await.expect("json body")
    }

    /// Creates a user of `role` straight through the library (as `admin create-user` does) and
    /// logs it in; returns its id and access token.
    pub async fn user_with_role(&self, role: &str) -> TestUser {
        self.user_with_role_at(&self.db.url(), role).await
    }

    /// `user_with_role` for a server whose `DATABASE_URL` is `database_url` (a database other
    /// than the harness's own, such as one on a test's own cluster).
    pub async fn user_with_role_at(&self, database_url: &str, role: &str) -> TestUser {
        let email = format!("{role}-{}@example.mx", uuid::Uuid::now_v7().simple());
        let password = "correct horse battery staple".to_owned();
        let mut conn = AsyncPgConnection::establish(database_url)
            .await
            .expect("connect to the server's database");
        let row = NewUser::prepare(CreateUserRequest {
            email: email.clone(),
            password: password.clone(),
            role: role.parse().expect("role"),
            name: Some(format!("Test {role}")),
            countries: vec![],
        })
        .await
        .expect("valid user")
        .store(&mut conn)
        .await
        .expect("create user");
        let tokens = self.login(&email, &password).await;
        TestUser {
            id: row.id,
            email,
            password,
            token: tokens["access_token"].as_str().expect("token").to_owned(),
            refresh_token: tokens["refresh_token"]
                .as_str()
                .expect("refresh")
                .to_owned(),
        }
    }

    /// Password grant; panics unless it succeeds.
    pub async fn login(&self, email: &str, password: &str) -> serde_json::Value {
        let resp = self
            .token_request(&[
                ("grant_type", "password"),
                ("username", email),
                ("password", password),
            ])
            .await;
        assert_eq!(resp.status().as_u16(), 200, "login of {email}");
        resp.json().await.expect("token json")
    }

    pub async fn token_request(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url("/v1/auth/token"))
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// A request with a bearer token.
    pub fn authed(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    /// `POST /v1/suppliers` with `body`, as `token`; the raw answer (for tests of its status,
    /// headers or problem).
    pub async fn post_supplier(&self, token: &str, body: &Value) -> reqwest::Response {
        self.post_supplier_request(token, body)
            .send()
            .await
            .expect("request")
    }

    /// The request `post_supplier` sends, to add a header (`Idempotency-Key`) before sending it.
    pub fn post_supplier_request(&self, token: &str, body: &Value) -> reqwest::RequestBuilder {
        self.authed(reqwest::Method::POST, "/v1/suppliers", token)
            .json(body)
    }

    /// Registers a supplier as `token`; panics (showing the answer) unless it is a 201, and
    /// returns the created document.
    pub async fn create_supplier(&self, token: &str, body: &Value) -> Value {
        let resp = self.post_supplier(token, body).await;
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("response body");
        assert_eq!(status, 201, "{text}");
        serde_json::from_str(&text).expect("supplier json")
    }

    /// `PATCH /v1/suppliers/{id}` with a merge patch (`application/merge-patch+json`) under
    /// `if_match` (`"\"3\""`, `*`).
    pub async fn patch_supplier(
        &self,
        token: &str,
        id: &str,
        if_match: &str,
        patch: &Value,
    ) -> reqwest::Response {
        self.authed(
            reqwest::Method::PATCH,
            &format!("/v1/suppliers/{id}"),
            token,
        )
        .header("if-match", if_match)
        .header("content-type", "application/merge-patch+json")
        .body(patch.to_string())
        .send()
        .await
        .expect("request")
    }

    /// `POST /v1/suppliers/{id}/{transition}` (`submit`, `verify`, `reject`, `suspend`,
    /// `reinstate`), with `{"reason": …}` as the body when a reason is given.
    pub async fn transition(
        &self,
        token: &str,
        id: &str,
        transition: &str,
        reason: Option<&str>,
    ) -> reqwest::Response {
        self.transition_request(token, id, transition, reason)
            .send()
            .await
            .expect("request")
    }

    /// The request `transition` sends, to add a header (`If-Match`) before sending it.
    pub fn transition_request(
        &self,
        token: &str,
        id: &str,
        transition: &str,
        reason: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let req = self.authed(
            reqwest::Method::POST,
            &format!("/v1/suppliers/{id}/{transition}"),
            token,
        );
        match reason {
            Some(reason) => req.json(&json!({ "reason": reason })),
            None => req,
        }
    }

    /// `DELETE /v1/suppliers/{id}` (archiving) under `if_match`.
    pub async fn archive_supplier(
        &self,
        token: &str,
        id: &str,
        if_match: &str,
    ) -> reqwest::Response {
        self.authed(
            reqwest::Method::DELETE,
            &format!("/v1/suppliers/{id}"),
            token,
        )
        .header("if-match", if_match)
        .send()
        .await
        .expect("request")
    }

    pub async fn post_json(&self, path: &str, body: &str) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("request")
    }
}

/// The smallest body `POST /v1/suppliers` accepts: a Guatemalan services supplier (no
/// subdivision, capabilities or certificates needed); add fields to it as a test needs.
pub fn supplier_body(legal_name: &str, tax_id: &str, employees: u32) -> Value {
    json!({
        "legal_name": legal_name,
        "tax_id": tax_id,
        "country": "GT",
        "sector": "services",
        "employees": employees,
    })
}

pub struct TestUser {
    pub id: uuid::Uuid,
    pub email: String,
    pub password: String,
    pub token: String,
    pub refresh_token: String,
}

/// Asserts a problem+json response of `status` and returns its body.
pub async fn assert_problem(resp: reqwest::Response, status: u16) -> Problem {
    assert_eq!(resp.status().as_u16(), status, "status");
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let request_id = resp
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("x-request-id header")
        .to_owned();
    let path = resp.url().path().to_owned();
    let problem: Problem = resp.json().await.expect("problem body");
    assert_eq!(problem.status, status);
    assert!(
        problem
            .problem_type
            .starts_with("tag:supplier-registry,2026:problem:")
    );
    assert!(!problem.title.is_empty() && !problem.detail.is_empty());
    assert_eq!(problem.instance.as_deref(), Some(path.as_str()));
    assert_eq!(problem.request_id.as_deref(), Some(request_id.as_str()));
    problem
}

// ---- probe routes: exist only in the test server, to drive the shared JSON and error plumbing.

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeContact {
    pub name: String,
    pub email: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    pub name: String,
    #[serde(default)]
    pub contacts: Vec<ProbeContact>,
}

fn probe_routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/__probe/echo",
        web::post().to(|body: JsonBody| async move {
            body.parse::<Probe>()
                .map(|probe| HttpResponse::Ok().json(probe))
        }),
    )
    .route(
        "/__probe/hold",
        // Holds a connection of the main pool for `ms` milliseconds (`SELECT pg_sleep`), as a slow
        // request would: for the tests of an exhausted pool.
        web::get().to(
            |state: web::Data<supplier_registry::state::AppState>,
             query: web::Query<HashMap<String, u64>>| async move {
                let ms = query.get("ms").copied().unwrap_or(1000);
                let mut conn = state.pool.get().await?;
                diesel::sql_query(format!("SELECT pg_sleep({})", ms as f64 / 1000.0))
                    .execute(&mut conn)
                    .await?;
                Ok::<_, ApiError>(HttpResponse::NoContent().finish())
            },
        ),
    )
    .route(
        "/__probe/fail",
        web::get().to(|| async {
            Err::<HttpResponse, _>(ApiError::Internal(anyhow::anyhow!(
                "SELECT secret FROM pg_authid at /src/db/mod.rs:42"
            )))
        }),
    );
}

// ---- a TCP proxy in front of PostgreSQL, to take the database away and give it back.

const PASS: u8 = 0;
const REFUSE: u8 = 1;
const STALL: u8 = 2;

pub struct DbProxy {
    pub port: u16,
    mode: Arc<AtomicU8>,
    generation: tokio::sync::watch::Sender<u64>,
}

impl DbProxy {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let mode = Arc::new(AtomicU8::new(PASS));
        let (generation, _) = tokio::sync::watch::channel(0u64);
        let target = format!(
            "{}:{}",
            admin_url().host_str().unwrap_or("127.0.0.1"),
            admin_url().port().unwrap_or(5432)
        );
        let (mode2, gen2) = (mode.clone(), generation.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                match AtomicU8::load(&mode2, Ordering::SeqCst) {
                    REFUSE => drop(inbound),
                    STALL => {
                        // Hold the socket open and say nothing, like a hung server.
                        tokio::spawn(async move {
                            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                            drop(inbound);
                        });
                    }
                    _ => {
                        let target = target.clone();
                        let mut cut = gen2.subscribe();
                        tokio::spawn(async move {
                            let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await
                            else {
                                return;
                            };
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                                _ = cut.changed() => {}
                            }
                        });
                    }
                }
            }
        });
        Self {
            port,
            mode,
            generation,
        }
    }

    /// The database goes away: open connections are closed and new ones refused.
    pub fn cut(&self) {
        AtomicU8::store(&self.mode, REFUSE, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    /// New connections hang without an answer; open connections are closed.
    pub fn stall(&self) {
        AtomicU8::store(&self.mode, STALL, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    /// The database is back.
    pub fn restore(&self) {
        AtomicU8::store(&self.mode, PASS, Ordering::SeqCst);
    }
}

/// Runs SQL on the test database directly (to arrange a fixture or sabotage).
pub async fn exec(db: &TestDb, sql: &str) {
    let mut conn = db.connect().await;
    diesel::sql_query(sql)
        .execute(&mut conn)
        .await
        .expect("exec sql");
}

/// Records a change of `supplier` that moves only its version, with `data` as its event's data,
/// through the service's one write path (row, audit entry, event and outbox): for the tests of
/// the feed's order and of the webhook outbox, which need events written at chosen moments.
pub async fn record_event(
    conn: &mut AsyncPgConnection,
    supplier: uuid::Uuid,
    data: &serde_json::Value,
) -> Result<(), diesel::result::Error> {
    use supplier_registry::{
        db::suppliers::{Actor, Author, RowWrite, SupplierChange, WriteError, record},
        domain::status::EventType,
    };
    #[derive(diesel::QueryableByName)]
    struct Version {
        #[diesel(sql_type = diesel::sql_types::Int4)]
        version: i32,
    }
    let now: Version = diesel::sql_query("SELECT version FROM suppliers WHERE id = $1")
        .bind::<diesel::sql_types::Uuid, _>(supplier)
        .get_result(conn)
        .await?;
    let actor = Actor {
        kind: "system",
        id: None,
        name: "test".into(),
    };
    let change = SupplierChange {
        supplier,
        version: now.version + 1,
        write: RowWrite::Version,
        action: "test",
        audit: serde_json::json!({}),
        event: EventType::SupplierUpdated,
        data: data.clone(),
    };
    let author = Author {
        actor: &actor,
        request_id: None,
    };
    record(conn, author, change).await.map_err(|e| match e {
        WriteError::Database(e) => e,
        WriteError::DuplicateTaxId | WriteError::DuplicateRef => {
            diesel::result::Error::RollbackTransaction
        }
    })
}

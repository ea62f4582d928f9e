//! A webhook receiver for tests: records every request it gets and answers from a script, and an
//! independent Standard Webhooks verifier written from the specification (not the service's code).

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: Vec<u8>,
}

impl Hit {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("json body")
    }
}

/// How to answer one request.
#[derive(Debug, Clone)]
pub enum Answer {
    Status(u16),
    /// 302 to this location.
    Redirect(String),
    /// Wait, then 200.
    Hang(Duration),
}

#[derive(Default)]
struct Shared {
    hits: Mutex<Vec<Hit>>,
    script: Mutex<VecDeque<Answer>>,
}

pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
}

impl Receiver {
    /// Starts on a free port of 127.0.0.1; answers `script` in order, then 200.
    pub async fn start(script: Vec<Answer>) -> Self {
        let shared = Arc::new(Shared {
            hits: Mutex::default(),
            script: Mutex::new(script.into()),
        });
        let data = web::Data::from(shared.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind receiver");
        let port = listener.local_addr().expect("addr").port();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            shared,
        }
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.shared.hits.lock().expect("lock").clone()
    }

    /// Waits until the receiver has got `n` requests (or panics after `within`).
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Hit> {
        let started = std::time::Instant::now();
        loop {
            let hits = self.hits();
            if hits.len() >= n {
                return hits;
            }
            assert!(
                started.elapsed() < within,
                "got {} of {n} requests in {within:?}",
                hits.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn receive(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    shared.hits.lock().expect("lock").push(Hit {
        path: req.path().to_owned(),
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body: body.to_vec(),
    });
    let answer = shared.script.lock().expect("lock").pop_front();
    match answer {
        None => HttpResponse::Ok().finish(),
        Some(Answer::Status(code)) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(code).expect("status"))
                .body("receiver's own words, never to be shown")
        }
        Some(Answer::Redirect(to)) => HttpResponse::Found()
            .insert_header(("location", to))
            .finish(),
        Some(Answer::Hang(wait)) => {
            tokio::time::sleep(wait).await;
            HttpResponse::Ok().finish()
        }
    }
}

/// Verifies a delivery per Standard Webhooks: `v1,<base64(HMAC-SHA256(key, "id.ts.body"))>` among
/// the space-separated signatures, the key being the base64 after `whsec_`, and the timestamp
/// within `tolerance` seconds of `now`.
pub fn verify(secret: &str, hit: &Hit, now: i64, tolerance: i64) -> Result<(), &'static str> {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").ok_or("secret prefix")?)
        .map_err(|_| "secret base64")?;
    let ts: i64 = hit.timestamp.parse().map_err(|_| "timestamp")?;
    if (now - ts).abs() > tolerance {
        return Err("timestamp outside tolerance");
    }
    let mut signed = format!("{}.{}.", hit.id, hit.timestamp).into_bytes();
    signed.extend_from_slice(&hit.body);
    for candidate in hit.signature.split(' ') {
        let Some(("v1", sig)) = candidate.split_once(',') else {
            continue;
        };
        let Ok(sig) = STANDARD.decode(sig) else {
            continue;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| "key")?;
        mac.update(&signed);
        if mac.verify_slice(&sig).is_ok() {
            return Ok(());
        }
    }
    Err("no valid signature")
}

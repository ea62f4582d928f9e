//! Assembly: [`Application::build`] makes the pool, the shared state, the bound listener and the
//! server. `serve` and the integration tests both use it (tests bind port 0).

use std::{net::TcpListener, sync::Arc};

use actix_cors::Cors;
use actix_web::{
    App, HttpResponse, HttpServer,
    dev::{Server, ServerHandle},
    http::{Method, header},
    middleware::{Compress, from_fn},
    web,
};
use anyhow::Context;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

use crate::{
    auth::client_ip::TrustedProxies,
    auth::{Verifier, keys::KeySet, password, rate_limit, secrets::DigestKey, tokens::Authority},
    config::{Config, CorsOrigins},
    db::{
        self,
        search::{AnswerCache, KeptAnswers},
    },
    http::{
        fallback::{self, RouteTable},
        headers,
        json::{self, BodyLimit},
        metrics::Metrics,
        observe::observe,
        retire::{self, Retirements},
    },
    openapi, routes,
    state::AppState,
};

/// Extra routes for tests (a probe endpoint for the JSON extractor); `None` in the service.
pub type ExtraRoutes = Option<fn(&mut web::ServiceConfig)>;

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with(config, None).await
    }

    pub async fn build_with(config: Config, extra: ExtraRoutes) -> anyhow::Result<Self> {
        let limits = rate_limit::Limits::new(&config);
        // The dummy hash that unknown logins are checked against, computed before the first login.
        tokio::task::spawn_blocking(password::warm_up);
        let spec = openapi::spec();
        let document = openapi::document_of(&spec);
        let retirements = web::Data::new(Retirements::from_document(&document));
        let state = web::Data::new(app_state(config, &document)?);
        // What the extractors and middleware need is app data of its own, never the `AppState`.
        let plumbing = Plumbing {
            verifier: web::Data::new(Verifier::new(state.authority.clone(), state.pool.clone())),
            metrics: web::Data::from(state.metrics.clone()),
            routes: web::Data::new(
                RouteTable::from_spec(&spec)
                    .with("/docs", &[Method::GET])
                    .with("/docs/{_:.*}", &[Method::GET]),
            ),
        };
        let config = state.config.clone();
        let listener = TcpListener::bind(config.listen_addr)
            .with_context(|| format!("Failed to listen on {}", config.listen_addr))?;
        let port = listener.local_addr()?.port();

        let app_state = state.clone();
        let server = HttpServer::new(move || {
            let config = &app_state.config;
            let app = App::new()
                .app_data(app_state.clone())
                .app_data(plumbing.verifier.clone())
                .app_data(plumbing.metrics.clone())
                .app_data(plumbing.routes.clone())
                .app_data(retirements.clone())
                .app_data(TrustedProxies(config.trusted_proxies.clone()))
                .app_data(BodyLimit(config.max_body_bytes))
                .app_data(web::PayloadConfig::new(config.max_body_bytes))
                .app_data(json::json_config(config.max_body_bytes))
                .app_data(json::query_config())
                .app_data(json::path_config())
                .app_data(limits.for_worker())
                .wrap(from_fn(rate_limit::limit))
                .wrap(from_fn(headers::check_input))
                .wrap(from_fn(retire::mark))
                .wrap(from_fn(fallback::literal_paths))
                .wrap(cors(&config.cors_allowed_origins))
                // Outside CORS so that its refusals become problems too; inside compression so
                // that the problem body it writes is the one compressed.
                .wrap(from_fn(observe))
                .wrap(from_fn(headers::secure))
                .wrap(Compress::default())
                .into_utoipa_app()
                .configure(routes::configure)
                .into_app()
                .configure(docs);
            let app = match extra {
                Some(extra) => app.configure(extra),
                None => app,
            };
            app.default_service(web::to(fallback::no_route))
        })
        .workers(config.http_workers)
        .shutdown_timeout(config.shutdown_timeout.as_secs())
        .listen(listener)?
        .run();

        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until the server is stopped (SIGINT/SIGTERM, or a handle). In-flight requests get
    /// `SHUTDOWN_TIMEOUT_SECONDS` to finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// App data for the extractors and middleware in `auth` and `http`, one copy per server.
#[derive(Clone)]
struct Plumbing {
    verifier: web::Data<Verifier>,
    metrics: web::Data<Metrics>,
    routes: web::Data<RouteTable>,
}

fn app_state(config: Config, document: &serde_json::Value) -> anyhow::Result<AppState> {
    Ok(AppState {
        pool: db::build_pool(&config)?,
        search_pools: db::build_search_pools(&config)?,
        metrics: Arc::new(Metrics::new().context("Failed to register the metrics")?),
        authority: Arc::new(Authority::new(KeySet::load(&config)?, &config)),
        digest_key: DigestKey::from_config(&config),
        openapi_json: serde_json::to_string(document)
            .context("Failed to serialize the OpenAPI document")?,
        facets_cache: AnswerCache::new(config.facets_cache_ttl, 1024),
        stats_cache: KeptAnswers::new(config.stats_cache_ttl, 1024),
        import_queued: Default::default(),
        exports: crate::state::ExportLimits::new(&config)?,
        replica: db::replica::Replica::build(&config, config.database_pool_size)?,
        config: Arc::new(config),
        size_rules: Default::default(),
    })
}

/// The interactive documentation at `/docs/`.
fn docs(cfg: &mut web::ServiceConfig) {
    cfg.service(
        SwaggerUi::new("/docs/{_:.*}")
            .config(SwaggerConfig::new(["/openapi.json"]).try_it_out_enabled(true)),
    )
    .route(
        "/docs",
        web::get().to(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header((header::LOCATION, "/docs/"))
                .finish()
        }),
    );
}

fn cors(origins: &CorsOrigins) -> Cors {
    let base = Cors::default()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
        ])
        .max_age(3600)
        // The reconciliation service is for tools in any browser (OpenRefine and the like):
        // the Reconciliation Service API asks every origin to be allowed there.
        .allowed_origin_fn(|_, head| head.uri.path() == "/v1/reconcile")
        // An unlisted origin gets no CORS headers (the browser then refuses); the request itself
        // is still answered, as it would be for a client that sends no Origin.
        .block_on_origin_mismatch(false);
    match origins {
        CorsOrigins::None => base,
        CorsOrigins::Any => base.allow_any_origin(),
        CorsOrigins::List(list) => list
            .iter()
            .fold(base, |cors, origin| cors.allowed_origin(origin)),
    }
}

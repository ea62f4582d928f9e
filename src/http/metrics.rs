//! Prometheus metrics: request counts and latency histograms by method, route pattern and status,
//! and the database pool's use. One registry per application (no globals), rendered at `/metrics`.

use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    pool_max: IntGaugeVec,
    pool_connections: IntGaugeVec,
    pool_waiting: IntGaugeVec,
}

/// What the pool reports at scrape time.
pub struct PoolUse {
    pub max_size: usize,
    pub in_use: usize,
    pub idle: usize,
    pub waiting: usize,
}

impl Metrics {
    pub fn new() -> prometheus::Result<Self> {
        let registry = Registry::new();
        let labels = &["method", "route", "status"];
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered"),
            labels,
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time from receiving a request to having its response ready",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            labels,
        )?;
        let pool_max = IntGaugeVec::new(
            Opts::new(
                "db_pool_max_connections",
                "Largest number of database connections the pool may open",
            ),
            &["pool"],
        )?;
        let pool_connections = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Open database connections by state"),
            &["pool", "state"],
        )?;
        let pool_waiting = IntGaugeVec::new(
            Opts::new(
                "db_pool_waiting_requests",
                "Requests waiting for a database connection",
            ),
            &["pool"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(pool_max.clone()))?;
        registry.register(Box::new(pool_connections.clone()))?;
        registry.register(Box::new(pool_waiting.clone()))?;
        Ok(Self {
            registry,
            requests,
            duration,
            pool_max,
            pool_connections,
            pool_waiting,
        })
    }

    /// Records one answered request. `route` is the matched pattern (`/v1/suppliers/{id}`), never
    /// the raw path, so the label set stays small.
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let status = status.to_string();
        let labels = [method, route, status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.duration
            .with_label_values(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// The text exposition format, with the gauges of each named pool read now.
    pub fn render(&self, pools: &[(&str, PoolUse)]) -> String {
        for (name, pool) in pools {
            self.pool_max
                .with_label_values(&[name])
                .set(pool.max_size as i64);
            self.pool_connections
                .with_label_values(&[name, "in_use"])
                .set(pool.in_use as i64);
            self.pool_connections
                .with_label_values(&[name, "idle"])
                .set(pool.idle as i64);
            self.pool_waiting
                .with_label_values(&[name])
                .set(pool.waiting as i64);
        }
        let mut out = Vec::new();
        // Encoding into a Vec only fails on invalid metric data, which the typed API prevents.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

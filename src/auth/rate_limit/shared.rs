//! The request limit shared by every instance: one GCRA per caller in Redis (`REDIS_URL`),
//! checked and updated by one Lua script, so concurrent instances never both take the last slot.
//!
//! The script reads Redis's own clock, so the instances' clocks do not matter. Each caller's key
//! (`{REDIS_KEY_PREFIX}rate:{caller}`) holds its theoretical arrival time and expires when the
//! bucket is full again, so idle callers cost nothing.
//!
//! Redis unreachable or slow (over [`REDIS_TIMEOUT`]): the request is **let through** (fail open)
//! and a warning is logged, at most every [`WARN_EVERY`] per worker; the database-backed login
//! throttle still holds. Reconnection is retried in the background by the connection manager, and a
//! failed first connection is retried after [`RECONNECT_AFTER`].

use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use secrecy::ExposeSecret;
use tokio::sync::Mutex;

use crate::config::Config;

/// The longest a request waits for Redis before it is let through.
pub const REDIS_TIMEOUT: Duration = Duration::from_millis(250);
/// How long a worker waits before it tries a first connection again.
pub const RECONNECT_AFTER: Duration = Duration::from_secs(2);
/// The least time between two "Redis unreachable" warnings of one worker.
pub const WARN_EVERY: Duration = Duration::from_secs(10);

/// GCRA: `KEYS[1]` holds the theoretical arrival time in microseconds; `ARGV[1]` is the emission
/// interval (µs per request), `ARGV[2]` the burst. Returns `{1, 0}` when the request is allowed,
/// `{0, µs to wait}` when not. Numbers are formatted with `%.0f`: Lua's default would round them.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - burst * interval
if now < allow_at then
  return {0, allow_at - now}
end
local ttl = math.max(1, math.ceil((new_tat - now) / 1000))
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', string.format('%.0f', ttl))
return {1, 0}
";

/// One per HTTP worker (each worker has its own runtime, and the connection's task lives there).
pub struct SharedLimiter {
    client: Option<redis::Client>,
    prefix: String,
    interval_us: u64,
    burst: u64,
    script: redis::Script,
    state: Mutex<Link>,
}

#[derive(Default)]
struct Link {
    conn: Option<ConnectionManager>,
    failed_at: Option<Instant>,
    warned_at: Option<Instant>,
}

/// What Redis said about one request.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Wait(Duration),
    /// Redis could not be asked: let the request through.
    Unknown,
}

impl Decision {
    /// How long to wait; `None` when the request may go on (Redis unreachable included).
    pub fn wait(self) -> Option<Duration> {
        match self {
            Self::Wait(wait) => Some(wait),
            Self::Allow | Self::Unknown => None,
        }
    }
}

impl SharedLimiter {
    /// A limiter for one worker; it connects on first use.
    pub fn new(config: &Config) -> Self {
        let client = config
            .redis_url
            .as_ref()
            .and_then(|url| redis::Client::open(url.expose_secret()).ok());
        let rate = u64::from(config.rate_limit_per_second.max(1));
        Self {
            client,
            prefix: format!("{}rate:", config.redis_key_prefix),
            interval_us: (1_000_000 / rate).max(1),
            burst: u64::from(config.rate_limit_burst.max(1)),
            script: redis::Script::new(GCRA),
            state: Mutex::new(Link::default()),
        }
    }

    /// Counts one request of `caller`.
    pub async fn check(&self, caller: &str) -> Decision {
        let asked = tokio::time::timeout(REDIS_TIMEOUT, self.ask(caller)).await;
        match asked {
            Ok(Ok((1, _))) => Decision::Allow,
            Ok(Ok((_, wait_us))) => Decision::Wait(Duration::from_micros(wait_us.max(0) as u64)),
            Ok(Err(e)) => self.unreachable(&e.to_string()).await,
            Err(_) => self.unreachable("no answer in time").await,
        }
    }

    async fn ask(&self, caller: &str) -> redis::RedisResult<(i64, i64)> {
        let mut conn = self.connection().await?;
        self.script
            .key(format!("{}{caller}", self.prefix))
            .arg(self.interval_us)
            .arg(self.burst)
            .invoke_async(&mut conn)
            .await
    }

    /// The worker's connection (a cheap clone), made on first use.
    async fn connection(&self) -> redis::RedisResult<ConnectionManager> {
        let mut link = self.state.lock().await;
        if let Some(conn) = &link.conn {
            return Ok(conn.clone());
        }
        let unavailable = || redis::RedisError::from((redis::ErrorKind::Io, "not connected"));
        if link
            .failed_at
            .is_some_and(|at| at.elapsed() < RECONNECT_AFTER)
        {
            return Err(unavailable());
        }
        let client = self.client.clone().ok_or_else(unavailable)?;
        // Counted as failed until it succeeds: a connect that hangs is cancelled by the caller's
        // timeout, and the next requests must not each wait for another one.
        link.failed_at = Some(Instant::now());
        let settings = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(1);
        match ConnectionManager::new_with_config(client, settings).await {
            Ok(conn) => {
                link.failed_at = None;
                link.conn = Some(conn.clone());
                Ok(conn)
            }
            Err(e) => {
                link.failed_at = Some(Instant::now());
                Err(e)
            }
        }
    }

    async fn unreachable(&self, why: &str) -> Decision {
        let mut link = self.state.lock().await;
        if link.warned_at.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
            link.warned_at = Some(Instant::now());
            tracing::warn!(
                error = why,
                "Redis unreachable: request limits are not enforced"
            );
        }
        Decision::Unknown
    }
}

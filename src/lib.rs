//! supplier-registry: a REST API where small and medium suppliers register by capability so that
//! buyers, development programmes and agencies can find, verify and track them.
//!
//! Where things live (README.md draws the whole tree):
//! - `startup` builds the application (pools, state, server) for `serve` and for the tests
//!   alike; every route is composed in `routes::configure` and implemented in `routes/*`.
//! - `config` reads and validates the environment; `telemetry` sets up logging; `cli` is the
//!   command line.
//! - `domain/` holds pure rules with no I/O: a supplier body is parsed and checked there once,
//!   and one edit step turns a new body or a merge patch into the record to store.
//! - `db/` is the only code that knows SQL; `db::suppliers::record` is the one write path of a
//!   supplier (row, audit entry, change event, webhook outbox in one transaction).
//! - `auth/` is who the caller is; `http/` is plumbing shared by every resource; `error` is the
//!   one error type of the HTTP layer and its RFC 9457 problem bodies.
//! - `workers/` holds background jobs (a `run_once` step each; `serve` loops them).
//! - `openapi` builds the OpenAPI document, served at `/openapi.json` and `/docs`.

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod openapi;
pub mod routes;
pub mod seed;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod workers;

//! The one integration-test binary: black-box tests over HTTP against the real server and a real
//! PostgreSQL database per test.

mod accounts;
mod auth;
mod cli;
mod cluster;
mod errors;
mod events;
mod export_limits;
mod faults;
mod feed_visibility;
mod helpers;
mod hostile;
mod identity;
mod imports;
mod login_throttle;
mod logs;
mod matrix;
mod openapi;
mod ops;
mod page;
mod properties;
mod receiver;
mod reference;
mod replica;
mod scale_out;
mod search;
mod stats;
mod suppliers;
mod webhooks;
mod workflow;

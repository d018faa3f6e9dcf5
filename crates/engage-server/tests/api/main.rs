//! Integration tests of the Engage API server: the real server on port 0 against a fresh
//! database, spoken to over HTTP on loopback; the real `engage-server` binary for the CLI
//! and durability; the real `curl` for the copied curls.
//!
//! The suite runs twice in CI: on SQLite (the default) and with `ENGAGE_TEST_BACKEND=postgres`
//! on a PostgreSQL cluster it starts itself (`support/pg.rs`).

mod auth;
mod campaigns;
mod catalog;
mod cli;
mod copied_curl;
mod durability;
mod hardening;
mod helpers;
mod idempotency;
mod oauth;
#[path = "../support/pg.rs"]
mod pg;
mod secrets;
mod send;
mod service;

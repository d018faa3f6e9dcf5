//! Integration tests of the Engage API server: the real server on port 0 against a fresh
//! database, spoken to over HTTP on loopback; the real `engage-server` binary for the CLI
//! and durability; the real `curl` for the copied curls.
//!
//! The suite runs twice in CI: on SQLite (the default) and with `ENGAGE_TEST_BACKEND=postgres`
//! on a PostgreSQL cluster it starts itself (`support/pg.rs`).

mod auth;
#[path = "../support/callback_receiver.rs"]
mod callback_receiver;
mod callbacks;
mod campaigns;
mod catalog;
mod cli;
mod copied_curl;
mod credentials;
mod durability;
mod frequency_cap;
mod hardening;
mod helpers;
mod idempotency;
mod integration_log;
mod message_log;
mod oauth;
mod opt_out_buttons;
mod opt_outs;
#[path = "../support/pg.rs"]
mod pg;
mod rate_limit;
mod secrets;
mod send;
mod service;
mod snippets;
mod stats;
mod team;
mod template_events;
mod test_send;

//! Integration tests of the Engage API server: the real server on port 0 against a fresh
//! SQLite file, spoken to over HTTP on loopback; the real `engage-server` binary for the
//! CLI and durability; the real `curl` for the copied curls.

mod auth;
mod campaigns;
mod catalog;
mod cli;
mod copied_curl;
mod durability;
mod helpers;
mod idempotency;
mod oauth;
mod secrets;
mod send;
mod service;

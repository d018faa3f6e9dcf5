//! Engage API server: staff and client-credentials auth, campaigns, the send endpoint, the
//! durable message queue and its delivery worker, the admin CLI, demo seeding and the
//! embedded sandbox used by the desktop app.
//!
//! Entry points: [`start`] runs the HTTP API and the worker; [`demo::seed_demo`] seeds the
//! sandbox workspace; [`sandbox::start_sandbox`] does both for the desktop app.

pub mod callbacks;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod demo;
mod error;
pub mod http;
pub mod integration;
pub mod integration_log;
mod listener;
pub mod mail;
pub mod metrics;
pub mod postman;
pub mod sandbox;
mod server;
pub mod store;
pub mod whatsapp;
pub mod worker;

pub use config::{CallbackConfig, Limits, SecretKeySource, ServerConfig, WhatsAppConfig};
pub use demo::{DemoApiClient, DemoCredentials, DemoUser};
pub use error::ServerError;
pub use server::{start, RunningServer};

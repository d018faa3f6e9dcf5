//! The `whatsapp_cloud` provider against a local stand-in of Meta's Graph API
//! ([`graph_stub`]): exact payloads, Meta's error answers, paging.

mod client;
mod config;
mod delivery;
mod graph_stub;
mod harness;
mod queue;
mod sync;
mod webhooks;

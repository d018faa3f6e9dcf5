//! The `whatsapp_cloud` provider against a local stand-in of Meta's Graph API
//! ([`graph_stub`]): exact payloads, Meta's error answers, paging.

// Shared with the API suite, which uses all of it.
#[allow(dead_code)]
#[path = "../support/callback_receiver.rs"]
mod callback_receiver;
mod callbacks;
mod client;
mod config;
mod delivery;
mod graph_stub;
mod harness;
mod queue;
mod sync;
mod templates;
mod test_mode;
mod webhooks;

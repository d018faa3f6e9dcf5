//! Engage domain and wire types. No I/O.
//!
//! - [`wire`]: JSON bodies of the HTTP API (also exported to TypeScript with ts-rs).
pub mod wire;

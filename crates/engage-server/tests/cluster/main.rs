//! Fault tests of several `engage-server serve` processes on one PostgreSQL (issue 8, §7).
//!
//! Each test starts three real `serve` processes (the `engage-server` binary) on a fresh
//! database of a PostgreSQL cluster the tests start themselves (`support/pg.rs`), with one
//! secret key, seeded through the CLI, and a `whatsapp_cloud` sender whose Graph API is an
//! in-test stand-in with one port per instance (`graph.rs`), so that every provider call is
//! seen with the instance that made it.
//!
//! - `kill_9`: load through all three, `kill -9` one of them mid-load and restart it,
//!   three times; nothing acknowledged is lost, and every duplicate provider call falls in
//!   the at-least-once window of a kill.
//! - `database_restart`: PostgreSQL stopped (immediate) mid-load and started again: 503
//!   `database_unavailable` with `Retry-After` within 5 s while it is down, the same
//!   processes serve again once it is back, nothing acknowledged is lost.
//! - `uniqueness`: one `Idempotency-Key` sent 20 times at once across the instances makes
//!   one message; a staff refresh token used on two instances at once works once.
//!
//! The counts are printed on stderr (`[cluster] …`; `cargo test --test cluster --
//! --nocapture` shows them for passing tests too). These tests need PostgreSQL
//! (`scripts/setup.sh test` installs it): without it they fail, saying so. The instances'
//! logs stay in `target/tmp/cluster-logs/<test>/`.

mod accounting;
mod faults;
mod graph;
mod harness;
mod load;
#[path = "../support/pg.rs"]
mod pg;

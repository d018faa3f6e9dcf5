//! Harness of the end-to-end suite: the real `engage-desktop` window driven through
//! tauri-driver + WebKitWebDriver (fantoccini), the system clipboard read with xclip, the
//! copied curls run with bash, a real Secret Service, and a separately started
//! `engage-server`. Enabled by `ENGAGE_E2E=1` (scripts/test.sh); see [`tools::Tools`].

pub mod app;
pub mod clipboard;
pub mod error;
pub mod flows;
pub mod harness;
pub mod poll;
pub mod process;
pub mod server;
pub mod shell;
pub mod tools;

pub use app::App;
pub use error::{E2eError, E2eResult};
pub use harness::Harness;
pub use server::ExternalServer;
pub use shell::CurlRun;

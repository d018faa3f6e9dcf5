use std::path::PathBuf;
use std::time::Duration;

/// Why an end-to-end step failed. Each variant says what was being done, so a red run reads
/// as a sentence without opening the code.
#[derive(thiserror::Error)]
pub enum E2eError {
    #[error(
        "ENGAGE_E2E=1 but the end-to-end prerequisites are missing:\n  - {}\nrun scripts/setup.sh test, build with `cargo build --workspace --bins`, and run under xvfb-run + dbus-run-session (scripts/test.sh does all of this)",
        .0.join("\n  - ")
    )]
    MissingPrerequisites(Vec<String>),

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error("starting a WebDriver session (launching the app) failed: {0}")]
    NewSession(#[from] fantoccini::error::NewSessionError),

    #[error("WebDriver command failed while {context}: {source}")]
    WebDriver {
        context: String,
        #[source]
        source: Box<fantoccini::error::CmdError>,
    },

    #[error("timed out after {after:?} waiting for {what}")]
    Timeout { what: String, after: Duration },

    #[error("`{command}` exited with {status}: {stderr}")]
    CommandFailed {
        command: String,
        status: String,
        stderr: String,
    },

    #[error("{what} is not the JSON expected ({source}): {text}")]
    Json {
        what: String,
        text: String,
        #[source]
        source: serde_json::Error,
    },

    #[error("HTTP request to {url} failed: {source}")]
    Http {
        url: String,
        #[source]
        source: reqwest::Error,
    },

    #[error("{process} exited early; its log ({log}) ends with:\n{tail}")]
    ExitedEarly {
        process: String,
        log: PathBuf,
        tail: String,
    },

    #[error("{what}, got: {got}")]
    BadOutput { what: String, got: String },
}

impl E2eError {
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> E2eError {
        let context = context.into();
        move |source| E2eError::Io { context, source }
    }

    pub fn webdriver(
        context: impl Into<String>,
    ) -> impl FnOnce(fantoccini::error::CmdError) -> E2eError {
        let context = context.into();
        move |source| E2eError::WebDriver {
            context,
            source: Box::new(source),
        }
    }
}

pub type E2eResult<T> = Result<T, E2eError>;

/// A test returning `Err` prints the error with `Debug`: make that the readable sentence.
impl std::fmt::Debug for E2eError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every variant's message already includes its source.
        std::fmt::Display::fmt(self, f)
    }
}

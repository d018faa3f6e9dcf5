//! Log files and the support report. Logs go to stderr and to `<data dir>/logs/engage.<date>.log`
//! (tracing-appender, a new file each day, the last 7 kept). Nothing secret is logged: tokens,
//! passwords and client secrets stay in Rust memory, the keyring and the clipboard (the e2e
//! suite scans a run's log for the sandbox's secrets). "Copy diagnostics" puts a plain-text
//! report on the clipboard: versions, OS, WebKit/WebView, server address and version, the last
//! 50 log lines.

use std::path::{Path, PathBuf};

use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

const LOG_PREFIX: &str = "engage";
const LOG_SUFFIX: &str = "log";
/// Log files kept (one per day).
const LOG_FILES_KEPT: usize = 7;
/// Log lines in the diagnostics report.
pub const REPORT_LOG_LINES: usize = 50;

/// `<data dir>/logs`.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// The rotating log file of `log_dir` (created when missing).
pub fn log_file(log_dir: &Path) -> Result<RollingFileAppender, String> {
    RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(LOG_PREFIX)
        .filename_suffix(LOG_SUFFIX)
        .max_log_files(LOG_FILES_KEPT)
        .build(log_dir)
        .map_err(|e| format!("cannot open a log file in {}: {e}", log_dir.display()))
}

/// Logs to stderr and to the rotating file in `log_dir` (`RUST_LOG` filters, default `info`).
/// When the file cannot be opened the app still runs, logging to stderr only, and says why.
pub fn init_logging(log_dir: &Path) {
    let filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(filter());
    let (file, problem) = match log_file(log_dir) {
        Ok(appender) => (
            Some(
                tracing_subscriber::fmt::layer()
                    .with_writer(appender)
                    .with_ansi(false)
                    .with_filter(filter()),
            ),
            None,
        ),
        Err(problem) => (None, Some(problem)),
    };
    tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .init();
    if let Some(problem) = problem {
        tracing::warn!("{problem}; logging to stderr only");
    }
}

/// The newest log file of `log_dir`, if any (file names sort by date).
pub fn newest_log(log_dir: &Path) -> Option<PathBuf> {
    let mut logs: Vec<PathBuf> = std::fs::read_dir(log_dir)
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(LOG_PREFIX) && n.ends_with(LOG_SUFFIX))
        })
        .collect();
    logs.sort();
    logs.pop()
}

/// The last `n` lines of the newest log file (empty when there is none).
pub fn last_log_lines(log_dir: &Path, n: usize) -> Vec<String> {
    let Some(text) = newest_log(log_dir).and_then(|path| std::fs::read(path).ok()) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&text);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| (*l).to_owned())
        .collect()
}

/// What the support report says about this installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    pub app_version: String,
    /// WebKitGTK on Linux, WebView2 on Windows, WKWebView (Safari) on macOS.
    pub webview_version: Option<String>,
}

/// The server part of the report: `None` when nobody is signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerFacts {
    pub mode: &'static str,
    pub url: String,
    /// The version `/healthz` named, or why it could not be read.
    pub version: Result<Option<String>, String>,
}

/// The operating system, e.g. `Debian GNU/Linux 12 (bookworm) (linux x86_64)`.
pub fn os_description() -> String {
    let name = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_owned())
        });
    let platform = format!("{} {}", std::env::consts::OS, std::env::consts::ARCH);
    match name {
        Some(name) => format!("{name} ({platform})"),
        None => platform,
    }
}

/// The plain-text report "Copy diagnostics" puts on the clipboard.
pub fn report(
    environment: &Environment,
    os: &str,
    server: Option<&ServerFacts>,
    log_dir: &Path,
    log_lines: &[String],
) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: &str| out.push_str(&format!("{label}: {value}\n"));
    line("Engage desktop", &environment.app_version);
    line("Operating system", os);
    line(
        "WebView",
        environment.webview_version.as_deref().unwrap_or("unknown"),
    );
    match server {
        None => line("Server", "not signed in"),
        Some(server) => {
            line("Server", &format!("{} ({})", server.url, server.mode));
            let version = match &server.version {
                Ok(Some(version)) => version.clone(),
                Ok(None) => "not reported by the server".to_owned(),
                Err(reason) => format!("unknown ({reason})"),
            };
            line("Server version", &version);
        }
    }
    line("Log folder", &log_dir.display().to_string());
    out.push_str(&format!("\nLast {} log lines:\n", log_lines.len()));
    for l in log_lines {
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// Installs the panic hook: the panic, where it happened and its backtrace go to the log
/// (then `on_panic` runs, to tell the window), instead of only to a stderr nobody sees.
pub fn log_panics(on_panic: impl Fn(&str) + Send + Sync + 'static) {
    std::panic::set_hook(Box::new(move |info| {
        let backtrace = std::backtrace::Backtrace::force_capture();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_owned());
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(%location, "panic: {message}\nbacktrace:\n{backtrace}");
        on_panic(&message);
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_versions_os_server_and_the_last_log_lines() {
        let environment = Environment {
            app_version: "0.1.0".into(),
            webview_version: Some("2.50.1".into()),
        };
        let server = ServerFacts {
            mode: "sandbox",
            url: "http://127.0.0.1:8787".into(),
            version: Ok(Some("0.1.0".into())),
        };
        let lines = vec!["line one".to_owned(), "line two".to_owned()];
        let text = report(
            &environment,
            "Debian 12 (linux x86_64)",
            Some(&server),
            Path::new("/d/logs"),
            &lines,
        );
        assert_eq!(
            text,
            "Engage desktop: 0.1.0\nOperating system: Debian 12 (linux x86_64)\nWebView: 2.50.1\n\
             Server: http://127.0.0.1:8787 (sandbox)\nServer version: 0.1.0\nLog folder: /d/logs\n\
             \nLast 2 log lines:\nline one\nline two\n"
        );
    }

    #[test]
    fn an_unreachable_server_is_reported_with_the_reason() {
        let environment = Environment {
            app_version: "0.1.0".into(),
            webview_version: None,
        };
        let server = ServerFacts {
            mode: "server",
            url: "https://engage.example".into(),
            version: Err("connection refused".into()),
        };
        let text = report(
            &environment,
            "linux x86_64",
            Some(&server),
            Path::new("/l"),
            &[],
        );
        assert!(text.contains("WebView: unknown\n"), "{text}");
        assert!(
            text.contains("Server version: unknown (connection refused)\n"),
            "{text}"
        );
    }

    #[test]
    fn the_log_is_written_to_a_daily_file_and_its_last_lines_are_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let appender = log_file(dir.path()).unwrap();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(appender)
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            for n in 0..60 {
                tracing::info!(n, "line");
            }
        });
        let newest = newest_log(dir.path()).expect("a log file");
        let name = newest.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(
            name.starts_with("engage.") && name.ends_with(".log"),
            "{name}"
        );
        let lines = last_log_lines(dir.path(), REPORT_LOG_LINES);
        assert_eq!(lines.len(), 50);
        assert!(lines[0].contains("n=10"), "{}", lines[0]);
        assert!(lines[49].contains("n=59"), "{}", lines[49]);
    }

    #[test]
    fn no_log_folder_means_no_log_lines() {
        assert!(last_log_lines(Path::new("/nonexistent/engage/logs"), 50).is_empty());
    }

    #[test]
    fn a_panic_is_logged_with_its_location_and_backtrace() {
        let dir = tempfile::tempdir().unwrap();
        let appender = log_file(dir.path()).unwrap();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(appender)
            .with_ansi(false)
            .finish();
        let told = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let told_in_hook = told.clone();
        let dispatch = tracing::Dispatch::new(subscriber);
        let previous = std::panic::take_hook();
        log_panics(move |message| *told_in_hook.lock().unwrap() = message.to_owned());
        let joined = std::thread::spawn(move || {
            tracing::dispatcher::with_default(&dispatch, || panic!("the disk is on fire"))
        })
        .join();
        std::panic::set_hook(previous);
        assert!(joined.is_err(), "the thread panicked");
        assert_eq!(*told.lock().unwrap(), "the disk is on fire");
        let log = std::fs::read_to_string(newest_log(dir.path()).unwrap()).unwrap();
        assert!(log.contains("panic: the disk is on fire"), "{log}");
        assert!(log.contains("diagnostics.rs:"), "the location: {log}");
        assert!(
            log.contains("backtrace:")
                && log.contains("a_panic_is_logged_with_its_location_and_backtrace"),
            "the backtrace names the test function: {log}"
        );
    }
}

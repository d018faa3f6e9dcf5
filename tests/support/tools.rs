//! Where the programs the suite drives are, and whether the suite should run at all.

use std::env;
use std::path::{Path, PathBuf};

use crate::error::{E2eError, E2eResult};

/// The environment variable that turns the suite on (scripts/test.sh sets it).
pub const ENABLE_VAR: &str = "ENGAGE_E2E";

/// Every program and binary the suite needs, found up front.
#[derive(Debug, Clone)]
pub struct Tools {
    pub workspace: PathBuf,
    pub target_dir: PathBuf,
    pub desktop: PathBuf,
    pub server: PathBuf,
    pub tauri_driver: PathBuf,
    pub native_driver: PathBuf,
    pub xclip: PathBuf,
    pub secret_tool: PathBuf,
    pub curl: PathBuf,
    pub bash: PathBuf,
}

impl Tools {
    /// `Ok(None)` when `ENGAGE_E2E` is not set to `1` (the suite is not run, and says so);
    /// an error naming every missing prerequisite when it is set.
    pub fn from_env() -> E2eResult<Option<Tools>> {
        if env::var(ENABLE_VAR).as_deref() != Ok("1") {
            eprintln!(
                "engage-e2e: the end-to-end suite was NOT run ({ENABLE_VAR} is not 1); \
                 scripts/test.sh runs it with {ENABLE_VAR}=1 under Xvfb"
            );
            return Ok(None);
        }
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(Path::to_path_buf)
            .ok_or_else(|| E2eError::MissingPrerequisites(vec!["the workspace root".into()]))?;
        let target_dir = env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace.join("target"));

        let mut missing = Vec::new();
        if env::var_os("DISPLAY").is_none() {
            missing.push("an X display (DISPLAY is unset: run under xvfb-run)".to_string());
        }
        if env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            missing.push(
                "a D-Bus session bus with an unlocked keyring (run under dbus-run-session -- scripts/with-keyring.sh)"
                    .to_string(),
            );
        }
        let mut binary = |name: &str| {
            let path = target_dir.join("debug").join(name);
            if !path.is_file() {
                missing.push(format!(
                    "{} (build it: cargo build --workspace --bins)",
                    path.display()
                ));
            }
            path
        };
        let desktop = binary("engage-desktop");
        let server = binary("engage-server");

        let cargo_bin = env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
            .map(|home| home.join("bin"));
        let mut program = |name: &str, hint: &str| {
            let found = on_path(name).or_else(|| {
                cargo_bin
                    .as_ref()
                    .map(|dir| dir.join(name))
                    .filter(|p| p.is_file())
            });
            found.unwrap_or_else(|| {
                missing.push(format!("{name} ({hint})"));
                PathBuf::from(name)
            })
        };
        let tauri_driver = program("tauri-driver", "cargo install tauri-driver --locked");
        let native_driver = program("WebKitWebDriver", "apt install webkit2gtk-driver");
        let xclip = program("xclip", "apt install xclip");
        let secret_tool = program("secret-tool", "apt install libsecret-tools");
        let curl = program("curl", "apt install curl");
        let bash = program("bash", "apt install bash");

        if !missing.is_empty() {
            return Err(E2eError::MissingPrerequisites(missing));
        }
        Ok(Some(Tools {
            workspace,
            target_dir,
            desktop,
            server,
            tauri_driver,
            native_driver,
            xclip,
            secret_tool,
            curl,
            bash,
        }))
    }

    /// `target/e2e-screenshots`: one PNG per screen the suite visits.
    pub fn screenshot_dir(&self) -> PathBuf {
        self.target_dir.join("e2e-screenshots")
    }

    /// `target/e2e-logs`: the output of tauri-driver, the app and the external server.
    pub fn log_dir(&self) -> PathBuf {
        self.target_dir.join("e2e-logs")
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

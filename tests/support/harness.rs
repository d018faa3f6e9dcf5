//! One test's world: a fresh app data directory, a tauri-driver bound to it, screenshots.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::ClientBuilder;
use serde_json::{json, Map, Value};
use tempfile::TempDir;

use crate::app::{App, Screenshots};
use crate::clipboard::Clipboard;
use crate::error::{E2eError, E2eResult};
use crate::poll::poll;
use crate::process::{app_pids, free_port, log_file, stop_child, terminate, wait_for_port};
use crate::tools::Tools;

pub struct Harness {
    pub tools: Tools,
    pub test: String,
    data_dir: TempDir,
    driver: Child,
    driver_url: String,
    shots: Screenshots,
    clipboard: Clipboard,
}

/// The folder of `ENGAGE_SAVE_DIR` inside the test's data directory.
const SAVED: &str = "saved";

impl Harness {
    /// `Ok(None)` when the suite is not enabled (see [`Tools::from_env`]).
    ///
    /// tauri-driver passes its environment down to WebKitWebDriver and from there to the app,
    /// so `ENGAGE_DATA_DIR` is set on tauri-driver: every app this harness launches shares
    /// the test's data directory, and no other test's.
    pub async fn start(test: &str) -> E2eResult<Option<Harness>> {
        let Some(tools) = Tools::from_env()? else {
            return Ok(None);
        };
        let data_dir = tempfile::Builder::new()
            .prefix("engage-e2e-data-")
            .tempdir()
            .map_err(E2eError::io("creating the app data directory"))?;
        std::fs::create_dir_all(data_dir.path().join(SAVED))
            .map_err(E2eError::io("creating the folder of saved files"))?;
        let port = free_port()?;
        let native_port = free_port()?;
        let (log, out, err) = log_file(&tools.log_dir(), &format!("{test}-app.log"))?;
        let mut driver = Command::new(&tools.tauri_driver)
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .arg("--native-driver")
            .arg(&tools.native_driver)
            .env("ENGAGE_DATA_DIR", data_dir.path())
            // "Save" writes here instead of opening the system's dialog, which WebDriver
            // cannot drive (issue 15).
            .env("ENGAGE_SAVE_DIR", data_dir.path().join(SAVED))
            // The system language is English whatever the machine's locale: scenarios that
            // read texts choose another language in Settings when they mean to.
            .env("LANG", "C.UTF-8")
            // The app turns WebKitGTK's DMA-BUF renderer off when this is unset (issue 14);
            // with it off, WebKitWebDriver's screenshot command never answers under Xvfb, so
            // the WebDriver scenarios keep it on. `renderer.rs` launches the app without
            // WebDriver, with the app's own setting.
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "0")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env_remove("LANGUAGE")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(E2eError::io("starting tauri-driver"))?;
        for port in [port, native_port] {
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            if let Err(error) = wait_for_port(
                &mut driver,
                addr,
                "tauri-driver",
                &log,
                Duration::from_secs(20),
            )
            .await
            {
                stop_child(&mut driver);
                return Err(error);
            }
        }
        let shots = Screenshots::new(tools.screenshot_dir(), test)?;
        let clipboard = Clipboard::new(tools.xclip.clone());
        Ok(Some(Harness {
            tools,
            test: test.to_string(),
            data_dir,
            driver,
            driver_url: format!("http://127.0.0.1:{port}"),
            shots,
            clipboard,
        }))
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// Where the app saves files (`ENGAGE_SAVE_DIR`): no dialog asks in the suite.
    pub fn save_dir(&self) -> std::path::PathBuf {
        self.data_dir.path().join(SAVED)
    }

    /// Launches the app: a new WebDriver session starts `target/debug/engage-desktop`.
    pub async fn launch(&self) -> E2eResult<App<'_>> {
        let mut capabilities = Map::new();
        capabilities.insert("browserName".into(), Value::from("wry"));
        capabilities.insert(
            "tauri:options".into(),
            json!({ "application": self.tools.desktop }),
        );
        let client = ClientBuilder::rustls()
            .map_err(E2eError::io("setting up the WebDriver client"))?
            .capabilities(capabilities)
            .connect(&self.driver_url)
            .await?;
        Ok(App::new(client, &self.shots, &self.clipboard))
    }

    /// Quits the app: ends the WebDriver session and waits until the app process is gone
    /// (asking it to terminate if the session's end did not close it).
    pub async fn quit(&self, app: App<'_>) -> E2eResult<()> {
        app.into_client()
            .close()
            .await
            .map_err(E2eError::webdriver("ending the WebDriver session"))?;
        let desktop = &self.tools.desktop;
        let data_dir = self.data_dir();
        let gone = || async move { Ok(app_pids(desktop, data_dir).is_empty().then_some(())) };
        if poll("the app to exit", Duration::from_secs(10), gone)
            .await
            .is_err()
        {
            eprintln!("engage-e2e: the app did not exit when its WebDriver session ended; sending SIGTERM");
            for pid in app_pids(desktop, data_dir) {
                terminate(pid);
            }
            poll(
                "the app to exit after SIGTERM",
                Duration::from_secs(10),
                gone,
            )
            .await?;
        }
        Ok(())
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        for pid in app_pids(&self.tools.desktop, self.data_dir.path()) {
            terminate(pid);
        }
        stop_child(&mut self.driver);
    }
}

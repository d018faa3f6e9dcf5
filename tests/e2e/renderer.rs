//! The app's own WebKitGTK setting (issue 14): on Linux it turns WebKitGTK's DMA-BUF renderer
//! off unless the person set `WEBKIT_DISABLE_DMABUF_RENDERER`. The WebDriver scenarios launch
//! the app with the renderer on (`harness.rs`: WebKitWebDriver's screenshot command never
//! answers with it off under Xvfb), so this one launches the app as a person does, with no
//! WebDriver and the variable unset, and checks that the page runs and that the web process
//! the app spawned has the renderer off.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use engage_e2e::tools::Tools;
use engage_e2e::{E2eError, E2eResult};

/// The processes started by `pid`, and theirs.
fn descendants(pid: u32) -> Vec<u32> {
    let children = std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|list| {
            list.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect::<Vec<_>>();
    children
        .iter()
        .flat_map(|&child| std::iter::once(child).chain(descendants(child)))
        .collect()
}

fn environment_of(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/environ"))
        .map(|bytes| {
            bytes
                .split(|&b| b == 0)
                .map(|var| String::from_utf8_lossy(var).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn launched_as_a_person_does_the_app_shows_its_first_screen_with_the_dma_buf_renderer_off(
) -> E2eResult<()> {
    let Some(tools) = Tools::from_env()? else {
        return Ok(());
    };
    let data_dir = tempfile::tempdir().map_err(E2eError::io("creating the app data directory"))?;
    let stderr = data_dir.path().join("stderr.log");
    let mut app = Command::new(&tools.desktop)
        .env("ENGAGE_DATA_DIR", data_dir.path())
        .env_remove("WEBKIT_DISABLE_DMABUF_RENDERER")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(
            std::fs::File::create(&stderr)
                .map_err(E2eError::io("creating the app's stderr file"))?,
        )
        .spawn()
        .map_err(E2eError::io("launching engage-desktop"))?;

    let started = Instant::now();
    let timeout = Duration::from_secs(60);
    let outcome = loop {
        let printed = std::fs::read_to_string(&stderr).unwrap_or_default();
        let web_process = descendants(app.id()).into_iter().find(|&pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.starts_with("WebKitWebProces"))
        });
        if printed.contains("engage: ui ready first_screen") {
            break Ok(web_process.map(environment_of));
        }
        if let Ok(Some(status)) = app.try_wait() {
            break Err(format!(
                "the app exited ({status}) before its first screen:\n{printed}"
            ));
        }
        if started.elapsed() > timeout {
            break Err(format!("no first screen after {timeout:?}:\n{printed}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let _ = app.kill();
    let _ = app.wait();

    let web_environment = outcome
        .map_err(|what| E2eError::Timeout {
            what,
            after: timeout,
        })?
        .expect("the app's web process is running while its page shows");
    assert!(
        web_environment
            .iter()
            .any(|var| var == "WEBKIT_DISABLE_DMABUF_RENDERER=1"),
        "the web process was started with the DMA-BUF renderer off: {:?}",
        web_environment
            .iter()
            .filter(|var| var.starts_with("WEBKIT"))
            .collect::<Vec<_>>()
    );
    Ok(())
}

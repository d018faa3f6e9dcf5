//! Child processes of the suite: free ports, log files, and the app processes that
//! WebKitWebDriver launches (found through /proc, by binary and data directory).

use std::fs;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::error::{E2eError, E2eResult};
use crate::poll::poll;

/// A TCP port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> E2eResult<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(E2eError::io("binding port 0"))?;
    let port = listener
        .local_addr()
        .map_err(E2eError::io("reading a bound port"))?
        .port();
    Ok(port)
}

/// A log file under `dir`, created empty, and a second handle for stderr.
pub fn log_file(dir: &Path, name: &str) -> E2eResult<(PathBuf, Stdio, Stdio)> {
    fs::create_dir_all(dir).map_err(E2eError::io(format!("creating {}", dir.display())))?;
    let path = dir.join(name);
    let file =
        fs::File::create(&path).map_err(E2eError::io(format!("creating {}", path.display())))?;
    let second = file
        .try_clone()
        .map_err(E2eError::io(format!("sharing {}", path.display())))?;
    Ok((path, Stdio::from(file), Stdio::from(second)))
}

/// The last lines of a log, for error messages.
pub fn log_tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// Waits until `addr` accepts TCP connections, failing early if `child` exits.
pub async fn wait_for_port(
    child: &mut Child,
    addr: SocketAddr,
    process: &str,
    log: &Path,
    timeout: Duration,
) -> E2eResult<()> {
    poll(&format!("{process} to listen on {addr}"), timeout, || {
        let exited = child
            .try_wait()
            .map_err(E2eError::io(format!("polling {process}")));
        async move {
            if exited?.is_some() {
                return Err(E2eError::ExitedEarly {
                    process: process.to_string(),
                    log: log.to_path_buf(),
                    tail: log_tail(log),
                });
            }
            Ok(
                TcpStream::connect_timeout(&addr, Duration::from_millis(200))
                    .ok()
                    .map(|_| ()),
            )
        }
    })
    .await
}

/// Stops a child we started (SIGTERM via its PID, then reaps it).
pub fn stop_child(child: &mut Child) {
    if matches!(child.try_wait(), Ok(None)) {
        terminate(child.id());
        for _ in 0..50 {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
    }
    let _ = child.wait();
}

/// Sends SIGTERM to one process by its PID.
pub fn terminate(pid: u32) {
    let _ = Command::new("kill")
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// PIDs of running `binary` processes whose environment holds `ENGAGE_DATA_DIR=<data_dir>`:
/// the app instances of one test, and nobody else's.
pub fn app_pids(binary: &Path, data_dir: &Path) -> Vec<u32> {
    let binary = fs::canonicalize(binary).unwrap_or_else(|_| binary.to_path_buf());
    let marker = format!("ENGAGE_DATA_DIR={}", data_dir.display());
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let proc_dir = PathBuf::from(format!("/proc/{pid}"));
            let same_binary = fs::read_link(proc_dir.join("exe")).is_ok_and(|exe| exe == binary);
            same_binary
                && fs::read(proc_dir.join("environ"))
                    .is_ok_and(|env| env.split(|b| *b == 0).any(|var| var == marker.as_bytes()))
        })
        .collect()
}

//! The X clipboard, through xclip, as a person pasting into a terminal would get it.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::error::{E2eError, E2eResult};

#[derive(Debug)]
pub struct Clipboard {
    xclip: PathBuf,
    markers: AtomicU32,
}

impl Clipboard {
    pub fn new(xclip: PathBuf) -> Self {
        Clipboard {
            xclip,
            markers: AtomicU32::new(0),
        }
    }

    /// Puts a unique marker text on the clipboard and returns it. xclip keeps serving it
    /// in the background until another program (the app) takes the clipboard.
    pub fn set_marker(&self) -> E2eResult<String> {
        let n = self.markers.fetch_add(1, Ordering::SeqCst);
        let marker = format!("engage-e2e-marker-{}-{n}", std::process::id());
        let mut child = Command::new(&self.xclip)
            .args(["-i", "-selection", "clipboard"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(E2eError::io("starting xclip -i"))?;
        child
            .stdin
            .take()
            .ok_or_else(|| E2eError::BadOutput {
                what: "xclip -i has no stdin".into(),
                got: String::new(),
            })?
            .write_all(marker.as_bytes())
            .map_err(E2eError::io("writing to xclip -i"))?;
        let status = child.wait().map_err(E2eError::io("waiting for xclip -i"))?;
        if !status.success() {
            return Err(E2eError::CommandFailed {
                command: "xclip -i -selection clipboard".into(),
                status: status.to_string(),
                stderr: String::new(),
            });
        }
        Ok(marker)
    }

    /// The clipboard's text, or `None` when it holds no text.
    pub fn read(&self) -> E2eResult<Option<String>> {
        let output = Command::new(&self.xclip)
            .args(["-o", "-selection", "clipboard"])
            .stdin(Stdio::null())
            .output()
            .map_err(E2eError::io("running xclip -o"))?;
        if !output.status.success() {
            return Ok(None);
        }
        Ok(Some(String::from_utf8_lossy(&output.stdout).into_owned()))
    }
}

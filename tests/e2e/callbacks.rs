//! Issue 11 (part B) in the real window: a callback URL set on the documentation screen
//! receives a signed status callback for a sandbox message. The receiver is a plain HTTP
//! server started by the test; the signing secret is what the app copied when saving.

use std::sync::{Arc, Mutex};

use engage_e2e::flows::{create_campaign, run_send_curl, start_sandbox, token_from_copied_curl};
use engage_e2e::poll::{DELIVERY_TIMEOUT, UI_TIMEOUT};
use engage_e2e::{E2eError, E2eResult, Harness};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One callback: the `Engage-Signature` header and the raw body.
type Received = (String, Vec<u8>);

/// Reads one HTTP/1.1 request (headers, then `Content-Length` bytes) and answers 200.
async fn serve_one(mut stream: tokio::net::TcpStream, received: Arc<Mutex<Vec<Received>>>) {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let (head_end, length) = loop {
        let Ok(n) = stream.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..at]).to_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (at + 4, length);
        }
    };
    while data.len() < head_end + length {
        let Ok(n) = stream.read(&mut buf).await else {
            return;
        };
        if n == 0 {
            return;
        }
        data.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&data[..head_end]).to_string();
    let signature = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("engage-signature")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default();
    received
        .lock()
        .unwrap()
        .push((signature, data[head_end..head_end + length].to_vec()));
    let _ = stream
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .await;
}

fn signature_is_valid(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut parts = header.split(',').filter_map(|p| p.split_once('='));
    let (Some(("t", t)), Some(("v1", v1))) = (parts.next(), parts.next()) else {
        return false;
    };
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    expected == v1
}

#[tokio::test]
async fn a_callback_url_set_in_the_app_receives_a_signed_callback_for_a_sandbox_message(
) -> E2eResult<()> {
    let Some(h) = Harness::start("11b-callbacks").await? else {
        return Ok(());
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| E2eError::BadOutput {
            what: "binding the callback receiver".into(),
            got: e.to_string(),
        })?;
    let url = format!(
        "http://{}/engage/status",
        listener.local_addr().map_err(|e| E2eError::BadOutput {
            what: "the receiver's address".into(),
            got: e.to_string(),
        })?
    );
    let received: Arc<Mutex<Vec<Received>>> = Arc::default();
    let sink = received.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve_one(stream, sink.clone()));
        }
    });

    let app = h.launch().await?;
    start_sandbox(&app).await?;
    create_campaign(&app, "Avisos para a loja").await?;
    app.fill("callback-url", &url).await?;
    // Saving a new endpoint copies its signing secret (shown once) to the clipboard.
    let secret = app.copy_with("callback-save").await?;
    app.shot("callback-saved").await?;

    let (_, token) = token_from_copied_curl(&app, &h.tools.bash).await?;
    let send_curl = app.copy_with("copy-send-curl").await?;
    let sent = run_send_curl(&h.tools.bash, &send_curl, &token)?;
    assert_eq!(sent.status, 202, "{sent:?}");
    let id = sent.json()?["id"].as_str().unwrap_or_default().to_string();

    let (signature, body) = app
        .wait(
            "a callback for the sandbox message",
            DELIVERY_TIMEOUT,
            || async {
                let found = received
                    .lock()
                    .unwrap()
                    .iter()
                    .find(|(_, body)| {
                        serde_json::from_slice::<serde_json::Value>(body)
                            .is_ok_and(|event| event["id"] == id.as_str())
                    })
                    .cloned();
                Ok(found)
            },
        )
        .await?;
    let event: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    assert_eq!(event["status"], "delivered", "{event}");
    assert!(
        signature_is_valid(&secret, &signature, &body),
        "the Engage-Signature {signature:?} does not verify with the copied secret"
    );

    app.click("callback-refresh").await?;
    app.wait("the attempt in the list", UI_TIMEOUT, || async {
        Ok((!app.all("callback-attempt").await?.is_empty()).then_some(()))
    })
    .await?;
    app.shot("callback-attempts").await?;
    h.quit(app).await
}

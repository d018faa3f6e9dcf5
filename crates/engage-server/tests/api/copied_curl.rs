//! The exact curls the desktop app copies, run with the real `curl` through `bash -c`.

use engage_core::curl::{send_curl, token_curl, TOKEN_ENV_VAR};
use engage_core::wire::{CampaignIntegration, ClientTokenResponse, MessageStatus, SendAccepted};

use crate::helpers::spawn_app;

async fn bash(script: &str, env: &[(&str, &str)]) -> String {
    let mut cmd = tokio::process::Command::new("bash");
    cmd.arg("-c").arg(script).env_remove(TOKEN_ENV_VAR);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().await.expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "curl failed: {:?}\nscript:\n{script}\nstdout: {stdout}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[tokio::test]
async fn the_copied_token_curl_and_send_curl_work_with_the_real_curl() {
    let app = spawn_app().await;
    let (campaign, template) = app.new_campaign().await;
    let staff = app.staff_token().await;
    let integration: CampaignIntegration = app
        .get_ok(
            &format!("/v1/campaigns/{}/integration", campaign.id),
            &staff,
        )
        .await;

    let token_script = token_curl(
        &integration.token_url,
        &integration.client_id,
        &integration.client_secret,
    );
    let token_json = bash(&token_script, &[]).await;
    let token: ClientTokenResponse = serde_json::from_str(&token_json)
        .unwrap_or_else(|e| panic!("token JSON expected ({e}): {token_json}"));
    assert!(token.token_type.eq_ignore_ascii_case("bearer"));

    // Values a shell would mangle if the quoting were wrong.
    let mut request = integration.example_request.clone();
    let tricky = "O'Brien \"$HOME\" `id` \\n 🎉";
    let key = template
        .variables
        .iter()
        .filter(|v| v.key != "header_url")
        .max_by_key(|v| v.max_length)
        .filter(|v| v.max_length as usize >= tricky.chars().count())
        .expect("a variable long enough for the quoting check")
        .key
        .clone();
    request.variables.insert(key, tricky.to_string());
    let send_script = send_curl(&integration.send_url, &request);
    let sent = bash(&send_script, &[(TOKEN_ENV_VAR, &token.access_token)]).await;
    let accepted: SendAccepted = serde_json::from_str(&sent)
        .unwrap_or_else(|e| panic!("the 202 body expected ({e}): {sent}"));
    assert_eq!(accepted.status, MessageStatus::Queued);

    let message = app
        .wait_for_message(&token.access_token, accepted.id, |s| {
            s == MessageStatus::Delivered
        })
        .await;
    assert_eq!(message.campaign_id, campaign.id);
    assert!(message.text.contains(tricky), "{}", message.text);

    // The example body as copied, unmodified, is accepted too.
    let example = send_curl(&integration.send_url, &integration.example_request);
    let sent = bash(&example, &[(TOKEN_ENV_VAR, &token.access_token)]).await;
    serde_json::from_str::<SendAccepted>(&sent)
        .unwrap_or_else(|e| panic!("the 202 body expected ({e}): {sent}"));
}

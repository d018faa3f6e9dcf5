//! Staff auth: login, refresh rotation, logout, bad tokens.

use engage_core::wire::{Me, StaffTokenResponse};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, assert_unauthorized_bearer, spawn_app};

#[tokio::test]
async fn login_with_the_demo_user_returns_bearer_tokens_that_open_me() {
    let app = spawn_app().await;
    let resp = app
        .login(&app.creds.user.email, &app.creds.user.password)
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let tokens: StaffTokenResponse = resp.json().await.unwrap();
    assert_eq!(tokens.token_type, "Bearer");
    assert!(tokens.expires_in > 0);
    assert!(!tokens.access_token.is_empty());
    assert!(!tokens.refresh_token.is_empty());
    assert_ne!(tokens.access_token, tokens.refresh_token);

    let me: Me = app.get_ok("/v1/me", &tokens.access_token).await;
    assert_eq!(me.email, app.creds.user.email);
    assert_eq!(me.workspace_id, app.creds.workspace_id);
}

#[tokio::test]
async fn login_with_a_wrong_password_is_401_invalid_credentials() {
    let app = spawn_app().await;
    let resp = app.login(&app.creds.user.email, "not-the-password").await;
    assert_error(resp, StatusCode::UNAUTHORIZED, "invalid_credentials", None).await;
}

#[tokio::test]
async fn login_with_an_unknown_email_is_indistinguishable_from_a_wrong_password() {
    let app = spawn_app().await;
    let resp = app.login("nobody@engage.local", "engage-sandbox").await;
    assert_error(resp, StatusCode::UNAUTHORIZED, "invalid_credentials", None).await;
}

#[tokio::test]
async fn refresh_rotates_and_the_old_refresh_token_is_refused() {
    let app = spawn_app().await;
    let first = app.staff_tokens().await;

    let resp = app
        .client
        .post(app.url("/v1/auth/refresh"))
        .json(&json!({ "refresh_token": first.refresh_token }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let second: StaffTokenResponse = resp.json().await.unwrap();
    assert_ne!(second.refresh_token, first.refresh_token, "rotated");
    assert_ne!(second.access_token, first.access_token);
    let me: Me = app.get_ok("/v1/me", &second.access_token).await;
    assert_eq!(me.email, app.creds.user.email);

    let replay = app
        .client
        .post(app.url("/v1/auth/refresh"))
        .json(&json!({ "refresh_token": first.refresh_token }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        replay.status(),
        StatusCode::UNAUTHORIZED,
        "old refresh token refused"
    );

    // The rotated one still works once.
    let again = app
        .client
        .post(app.url("/v1/auth/refresh"))
        .json(&json!({ "refresh_token": second.refresh_token }))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
}

#[tokio::test]
async fn logout_revokes_the_access_and_the_refresh_token() {
    let app = spawn_app().await;
    let tokens = app.staff_tokens().await;
    let resp = app
        .client
        .post(app.url("/v1/auth/logout"))
        .bearer_auth(&tokens.access_token)
        .json(&json!({ "refresh_token": tokens.refresh_token }))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "logout: {}", resp.status());

    assert_unauthorized_bearer(app.get("/v1/me", &tokens.access_token).await).await;
    let refresh = app
        .client
        .post(app.url("/v1/auth/refresh"))
        .json(&json!({ "refresh_token": tokens.refresh_token }))
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_garbage_token_is_401_with_www_authenticate() {
    let app = spawn_app().await;
    assert_unauthorized_bearer(app.get("/v1/me", "garbage.token.value").await).await;
    assert_unauthorized_bearer(app.get("/v1/campaigns", "").await).await;
}

#[tokio::test]
async fn a_missing_token_is_401_with_www_authenticate() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/v1/senders")).send().await.unwrap();
    assert_unauthorized_bearer(resp).await;
}

#[tokio::test]
async fn an_expired_staff_token_is_401_with_www_authenticate() {
    let app = spawn_app().await;
    let token = app.staff_token().await;
    crate::helpers::expire_all_tokens(&app).await;
    assert_unauthorized_bearer(app.get("/v1/me", &token).await).await;
}

#[tokio::test]
async fn passwords_and_tokens_are_not_stored_in_plaintext() {
    let app = spawn_app().await;
    let tokens = app.staff_tokens().await;
    let client_token = app.client_token().await;
    let bytes = crate::helpers::database_bytes(&app);
    for secret in [
        app.creds.user.password.as_str(),
        tokens.access_token.as_str(),
        tokens.refresh_token.as_str(),
        client_token.as_str(),
    ] {
        assert!(
            !crate::helpers::contains(&bytes, secret.as_bytes()),
            "{secret:?} found in plaintext in the database file"
        );
    }
}

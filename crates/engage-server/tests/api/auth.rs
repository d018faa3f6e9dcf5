//! Staff auth: login, refresh rotation, logout, bad tokens.

use engage_core::wire::{Me, StaffTokenResponse};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, assert_unauthorized_bearer, spawn_app, TestApp};

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

async fn refresh(app: &TestApp, refresh_token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/auth/refresh"))
        .json(&json!({ "refresh_token": refresh_token }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn refresh_rotates_and_the_old_refresh_token_is_refused() {
    let app = spawn_app().await;
    let first = app.staff_tokens().await;

    let resp = refresh(&app, &first.refresh_token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let second: StaffTokenResponse = resp.json().await.unwrap();
    assert_ne!(second.refresh_token, first.refresh_token, "rotated");
    assert_ne!(second.access_token, first.access_token);
    let me: Me = app.get_ok("/v1/me", &second.access_token).await;
    assert_eq!(me.email, app.creds.user.email);

    // The rotated one works once, and its successor too.
    let resp = refresh(&app, &second.refresh_token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let third: StaffTokenResponse = resp.json().await.unwrap();
    assert_eq!(
        refresh(&app, &third.refresh_token).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_ends_the_whole_session() {
    let app = spawn_app().await;
    let first = app.staff_tokens().await;
    let second: StaffTokenResponse = refresh(&app, &first.refresh_token)
        .await
        .json()
        .await
        .unwrap();

    // Someone replays the first refresh token (stolen, or a race of two clients).
    let replay = refresh(&app, &first.refresh_token).await;
    assert_error(
        replay,
        StatusCode::UNAUTHORIZED,
        "refresh_token_reused",
        None,
    )
    .await;

    // Every token of the session is dead: the one it was rotated into and both access tokens.
    assert_eq!(
        refresh(&app, &second.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED,
        "the refresh token it was rotated into is revoked"
    );
    assert_unauthorized_bearer(app.get("/v1/me", &second.access_token).await).await;
    assert_unauthorized_bearer(app.get("/v1/me", &first.access_token).await).await;

    // Another sign-in (another session) is untouched, and signing in again works.
    let other = app.staff_tokens().await;
    let me: Me = app.get_ok("/v1/me", &other.access_token).await;
    assert_eq!(me.email, app.creds.user.email);
}

#[tokio::test]
async fn a_session_ended_through_one_server_is_refused_by_another_on_the_same_database() {
    let app = spawn_app().await;
    let second_server = engage_server::start(engage_server::ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..engage_server::ServerConfig::new(
            app.database_url.clone(),
            engage_server::SecretKeySource::Env(app.secret_key_b64.clone()),
        )
    })
    .await
    .unwrap();
    let other = |path: &str| format!("{}{path}", second_server.base_url());

    let first = app.staff_tokens().await;
    let second: StaffTokenResponse = refresh(&app, &first.refresh_token)
        .await
        .json()
        .await
        .unwrap();
    // The old refresh token is replayed against the other instance.
    let replay = app
        .client
        .post(other("/v1/auth/refresh"))
        .json(&json!({ "refresh_token": first.refresh_token }))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    assert_unauthorized_bearer(app.get("/v1/me", &second.access_token).await).await;
    let resp = app
        .client
        .get(other("/v1/me"))
        .bearer_auth(&second.access_token)
        .send()
        .await
        .unwrap();
    assert_unauthorized_bearer(resp).await;
    second_server.shutdown().await;
}

#[tokio::test]
async fn logout_without_a_body_ends_the_session_including_its_refresh_token() {
    let app = spawn_app().await;
    let tokens = app.staff_tokens().await;
    let resp = app
        .client
        .post(app.url("/v1/auth/logout"))
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_unauthorized_bearer(app.get("/v1/me", &tokens.access_token).await).await;
    assert_eq!(
        refresh(&app, &tokens.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED,
        "the session's refresh token no longer works after a logout without it"
    );
}

#[tokio::test]
async fn logout_ends_the_session_even_when_the_body_is_malformed() {
    let app = spawn_app().await;
    let tokens = app.staff_tokens().await;
    let resp = app
        .client
        .post(app.url("/v1/auth/logout"))
        .bearer_auth(&tokens.access_token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::BAD_REQUEST, "malformed_json", None).await;
    assert_unauthorized_bearer(app.get("/v1/me", &tokens.access_token).await).await;
    assert_eq!(
        refresh(&app, &tokens.refresh_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn logging_out_one_session_leaves_the_other_sessions_of_the_user_signed_in() {
    let app = spawn_app().await;
    let laptop = app.staff_tokens().await;
    let desktop = app.staff_tokens().await;
    let resp = app
        .client
        .post(app.url("/v1/auth/logout"))
        .bearer_auth(&laptop.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let me: Me = app.get_ok("/v1/me", &desktop.access_token).await;
    assert_eq!(me.email, app.creds.user.email);
    assert_eq!(
        refresh(&app, &desktop.refresh_token).await.status(),
        StatusCode::OK
    );
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

//! A team in one workspace (issue 13): roles enforced on every staff route, invitations,
//! the append-only audit log, sign-in throttling and timing, sessions.

use std::time::{Duration, Instant};

use engage_core::wire::{
    ApiErrorBody, AuditPage, InvitationCreated, Me, SessionList, StaffTokenResponse, Team,
};
use engage_core::{AuditAction, Permission, Role};
use engage_server::config::TeamConfig;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{assert_error, execute_sql, spawn_app, spawn_app_configured, TestApp};

/// What each staff route needs. **Every staff route of the OpenAPI document must have a
/// decision here**: `Some(permission)`, or `None` for what any signed-in person may do
/// (their own account). A new route without one fails
/// `every_staff_route_answers_each_role_as_the_permission_table_says`.
const DECISIONS: &[(&str, &str, Option<Permission>)] = &[
    ("POST", "/v1/auth/logout", None),
    ("GET", "/v1/me", None),
    ("POST", "/v1/me/password", None),
    ("GET", "/v1/me/sessions", None),
    ("POST", "/v1/me/sessions/end-all", None),
    ("GET", "/v1/senders", Some(Permission::ViewWorkspace)),
    ("GET", "/v1/templates", Some(Permission::ViewWorkspace)),
    ("GET", "/v1/templates/{id}", Some(Permission::ViewWorkspace)),
    ("GET", "/v1/campaigns", Some(Permission::ViewWorkspace)),
    (
        "GET",
        "/v1/campaigns/name-availability",
        Some(Permission::ViewWorkspace),
    ),
    ("POST", "/v1/campaigns", Some(Permission::EditCampaigns)),
    ("GET", "/v1/campaigns/{id}", Some(Permission::ViewWorkspace)),
    (
        "PATCH",
        "/v1/campaigns/{id}",
        Some(Permission::EditCampaigns),
    ),
    (
        "GET",
        "/v1/campaigns/{id}/integration",
        Some(Permission::RevealCredentials),
    ),
    (
        "GET",
        "/v1/campaigns/{id}/integration/masked",
        Some(Permission::ViewWorkspace),
    ),
    (
        "GET",
        "/v1/campaigns/{id}/messages",
        Some(Permission::ViewWorkspace),
    ),
    ("GET", "/v1/messages/{id}", Some(Permission::ViewWorkspace)),
    (
        "POST",
        "/v1/whatsapp/senders",
        Some(Permission::ManageSenders),
    ),
    ("POST", "/v1/whatsapp/sync", Some(Permission::ManageSenders)),
    (
        "PUT",
        "/v1/whatsapp/settings",
        Some(Permission::ManageWhatsapp),
    ),
    ("GET", "/v1/team", Some(Permission::ManageTeam)),
    ("POST", "/v1/team/invitations", Some(Permission::ManageTeam)),
    (
        "PATCH",
        "/v1/team/members/{id}",
        Some(Permission::ManageTeam),
    ),
    (
        "POST",
        "/v1/team/members/{id}/password-reset",
        Some(Permission::ManageTeam),
    ),
    (
        "POST",
        "/v1/team/members/{id}/unblock",
        Some(Permission::ManageTeam),
    ),
    ("GET", "/v1/audit", Some(Permission::ViewAuditLog)),
    ("GET", "/v1/audit/export", Some(Permission::ViewAuditLog)),
    // the integration kit (issue 11): code with the secret masked for everyone; new secrets
    // for those who may copy them; callback settings for admins, test events for editors
    (
        "GET",
        "/v1/campaigns/{id}/snippets",
        Some(Permission::ViewWorkspace),
    ),
    (
        "POST",
        "/v1/campaigns/{id}/credentials/rotate",
        Some(Permission::RevealCredentials),
    ),
    (
        "POST",
        "/v1/campaigns/{id}/credentials/revoke",
        Some(Permission::RevealCredentials),
    ),
    ("GET", "/v1/callback", Some(Permission::ViewWorkspace)),
    ("PUT", "/v1/callback", Some(Permission::ManageCallbacks)),
    ("DELETE", "/v1/callback", Some(Permission::ManageCallbacks)),
    (
        "POST",
        "/v1/callback/rotate-secret",
        Some(Permission::ManageCallbacks),
    ),
    ("POST", "/v1/callback/test", Some(Permission::SendTests)),
    (
        "GET",
        "/v1/campaigns/{id}/callback",
        Some(Permission::ViewWorkspace),
    ),
    (
        "PUT",
        "/v1/campaigns/{id}/callback",
        Some(Permission::ManageCallbacks),
    ),
    (
        "DELETE",
        "/v1/campaigns/{id}/callback",
        Some(Permission::ManageCallbacks),
    ),
    (
        "POST",
        "/v1/campaigns/{id}/callback/rotate-secret",
        Some(Permission::ManageCallbacks),
    ),
    (
        "POST",
        "/v1/campaigns/{id}/callback/test",
        Some(Permission::SendTests),
    ),
    // the integration log (issue 15): requests and outcomes, no secrets, phones masked; the
    // marketing side (every role) follows the hand-off
    (
        "GET",
        "/v1/campaigns/{id}/integration/log",
        Some(Permission::ViewWorkspace),
    ),
    (
        "GET",
        "/v1/campaigns/integration-health",
        Some(Permission::ViewWorkspace),
    ),
    // issue 12
    (
        "GET",
        "/v1/campaigns/{id}/stats",
        Some(Permission::ViewWorkspace),
    ),
    ("GET", "/v1/stats", Some(Permission::ViewWorkspace)),
    (
        "POST",
        "/v1/campaigns/{id}/test-message",
        Some(Permission::SendTests),
    ),
    ("GET", "/v1/opt-outs", Some(Permission::ViewWorkspace)),
    ("POST", "/v1/opt-outs", Some(Permission::EditCampaigns)),
    (
        "POST",
        "/v1/opt-outs/remove",
        Some(Permission::EditCampaigns),
    ),
    (
        "GET",
        "/v1/opt-outs/keywords",
        Some(Permission::ViewWorkspace),
    ),
    (
        "PUT",
        "/v1/opt-outs/keywords",
        Some(Permission::EditCampaigns),
    ),
    ("GET", "/v1/opt-outs/export", Some(Permission::Export)),
    (
        "POST",
        "/v1/opt-outs/import",
        Some(Permission::EditCampaigns),
    ),
    (
        "POST",
        "/v1/messages/{id}/simulate-reply",
        Some(Permission::SendTests),
    ),
    // issue 12 §4
    (
        "PUT",
        "/v1/templates/{id}/opt-out-buttons",
        Some(Permission::EditCampaigns),
    ),
    // issue 12: the message log's CSV export
    (
        "GET",
        "/v1/campaigns/{id}/messages/export",
        Some(Permission::Export),
    ),
];

/// A password no list of common passwords holds.
const GOOD_PASSWORD: &str = "violet-Harbor-42-quietly";

/// The staff operations of the served OpenAPI document: (METHOD, path template).
async fn staff_operations(app: &TestApp) -> Vec<(String, String)> {
    let doc: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let staff = operation["security"]
                .as_array()
                .is_some_and(|all| all.iter().any(|r| r.get("staff").is_some()));
            if staff {
                operations.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations.sort();
    operations
}

/// Invites `email` as `role` with `admin`'s token → the created invitation.
async fn invite(app: &TestApp, admin: &str, email: &str, role: Role) -> InvitationCreated {
    let resp = app
        .post_json(
            "/v1/team/invitations",
            admin,
            &json!({ "email": email, "role": role, "language": "en" }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED, "invitation created");
    resp.json().await.unwrap()
}

async fn accept(app: &TestApp, code: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/v1/auth/invitation"))
        .json(&json!({ "code": code, "password": password }))
        .send()
        .await
        .unwrap()
}

/// A member with `role`, signed in → (email, access token).
pub(crate) async fn member(app: &TestApp, admin: &str, role: Role) -> (String, String) {
    let email = format!(
        "{}-{}@example.com",
        serde_json::to_value(role).unwrap().as_str().unwrap(),
        Uuid::new_v4().simple()
    );
    let created = invite(app, admin, &email, role).await;
    let resp = accept(app, &created.code, GOOD_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK, "the invitation signs in");
    let tokens: StaffTokenResponse = resp.json().await.unwrap();
    (email, tokens.access_token)
}

async fn fresh_token(app: &TestApp, email: &str, password: &str) -> String {
    let resp = app.login(email, password).await;
    assert_eq!(resp.status(), StatusCode::OK, "{email} signs in");
    resp.json::<StaffTokenResponse>()
        .await
        .unwrap()
        .access_token
}

async fn error_of(resp: reqwest::Response) -> engage_core::wire::ApiError {
    resp.json::<ApiErrorBody>().await.unwrap().error
}

#[tokio::test]
async fn every_staff_route_answers_each_role_as_the_permission_table_says() {
    let app = spawn_app().await;
    let admin = app.staff_token().await;
    let (editor, _) = member(&app, &admin, Role::Editor).await;
    let (viewer, _) = member(&app, &admin, Role::Viewer).await;
    let people = [
        (
            Role::Admin,
            app.creds.user.email.clone(),
            app.creds.user.password.clone(),
        ),
        (Role::Editor, editor, GOOD_PASSWORD.to_owned()),
        (Role::Viewer, viewer, GOOD_PASSWORD.to_owned()),
    ];

    let operations = staff_operations(&app).await;
    let undecided: Vec<_> = operations
        .iter()
        .filter(|(method, path)| !DECISIONS.iter().any(|(m, p, _)| m == method && p == path))
        .collect();
    assert!(
        undecided.is_empty(),
        "staff routes without a decision in DECISIONS (tests/api/team.rs): {undecided:?}"
    );
    for (method, path, _) in DECISIONS {
        assert!(
            operations.iter().any(|(m, p)| m == method && p == path),
            "DECISIONS names {method} {path}, which the API does not have"
        );
    }

    for (method, path, permission) in DECISIONS {
        for (role, email, password) in &people {
            // A fresh session per call: some routes end the session they are called with.
            let token = fresh_token(&app, email, password).await;
            let url = app.url(&path.replace("{id}", &Uuid::new_v4().to_string()));
            let mut request = app
                .client
                .request(Method::from_bytes(method.as_bytes()).unwrap(), url)
                .bearer_auth(&token);
            if matches!(*method, "POST" | "PUT" | "PATCH") {
                request = request.json(&json!({}));
            }
            let resp = request.send().await.unwrap();
            let status = resp.status();
            let allowed = permission.is_none_or(|permission| role.allows(permission));
            if allowed {
                assert_ne!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{role:?} may {method} {path}: {}",
                    resp.text().await.unwrap()
                );
                assert_ne!(status, StatusCode::UNAUTHORIZED, "{role:?} {method} {path}");
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{role:?} may not {method} {path}"
                );
                let error = error_of(resp).await;
                let permission = permission.unwrap();
                assert_eq!(error.code, "forbidden");
                assert_eq!(error.field.as_deref(), Some(permission.as_str()));
                assert!(error.message.contains(permission.as_str()));
            }
        }
    }
}

#[tokio::test]
async fn an_invitation_code_signs_the_invitee_in_once_with_the_role_chosen() {
    let app = spawn_app().await;
    let admin = app.staff_token().await;
    let created = invite(&app, &admin, "Nina@Example.com", Role::Editor).await;
    assert!(
        created.message.contains(&created.code),
        "{}",
        created.message
    );
    assert!(created.message.contains(&app.base_url));
    assert!(created.message.contains("I have an invitation"));
    assert_eq!(created.invitation.email, "nina@example.com");
    assert!(!created.emailed);

    // The password rules first: too short, then too common.
    let short = error_of(accept(&app, &created.code, "Short-1").await).await;
    assert_eq!(
        (short.code.as_str(), short.field.as_deref()),
        ("password_too_short", Some("password"))
    );
    let common = error_of(accept(&app, &created.code, "qwertyuiop").await).await;
    assert_eq!(common.code, "password_too_common");

    let resp = accept(&app, &created.code, GOOD_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let tokens: StaffTokenResponse = resp.json().await.unwrap();
    let me: Me = app.get_ok("/v1/me", &tokens.access_token).await;
    assert_eq!(me.email, "nina@example.com");
    assert_eq!(me.role, Role::Editor);
    assert_eq!(me.permissions, Role::Editor.permissions());
    assert_eq!(me.workspace_id, app.creds.workspace_id);

    let again = accept(&app, &created.code, GOOD_PASSWORD).await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND, "single use");
    assert_eq!(error_of(again).await.code, "invitation_not_found");
    assert_eq!(
        app.login("nina@example.com", GOOD_PASSWORD).await.status(),
        StatusCode::OK
    );

    // Inviting an email that has an account is refused.
    let taken = app
        .post_json(
            "/v1/team/invitations",
            &admin,
            &json!({ "email": "nina@example.com", "role": "viewer" }),
        )
        .await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    assert_eq!(error_of(taken).await.code, "email_taken");
}

#[tokio::test]
async fn an_invitation_expires_after_72_hours() {
    let app = spawn_app().await;
    let admin = app.staff_token().await;
    let created = invite(&app, &admin, "late@example.com", Role::Viewer).await;
    let team: Team = app.get_ok("/v1/team", &admin).await;
    let pending = team
        .invitations
        .iter()
        .find(|i| i.email == "late@example.com")
        .unwrap();
    let hours =
        (pending.expires_at - time::OffsetDateTime::now_utc()).whole_minutes() as f64 / 60.0;
    assert!((71.9..=72.0).contains(&hours), "valid for {hours} h");
    // 72 hours later (the clock moved, as far as the row is concerned).
    execute_sql(
        &app.database_url,
        "UPDATE invitations SET expires_at = expires_at - 72 * 3600 * 1000",
    )
    .await;
    let resp = accept(&app, &created.code, GOOD_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deactivating_an_account_ends_its_sessions_at_once_and_refuses_its_sign_in() {
    let app = spawn_app().await;
    let admin = app.staff_token().await;
    let (email, token) = member(&app, &admin, Role::Editor).await;
    assert_eq!(
        app.get("/v1/campaigns", &token).await.status(),
        StatusCode::OK
    );
    let me: Me = app.get_ok("/v1/me", &token).await;

    let resp = app
        .patch_json(
            &format!("/v1/team/members/{}", me.user_id),
            &admin,
            &json!({ "active": false }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        app.get("/v1/campaigns", &token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let refused = app.login(&email, GOOD_PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        error_of(refused).await.code,
        "invalid_credentials",
        "the same answer as a wrong password"
    );

    let resp = app
        .patch_json(
            &format!("/v1/team/members/{}", me.user_id),
            &admin,
            &json!({ "active": true }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        app.login(&email, GOOD_PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_last_admin_cannot_be_demoted_or_deactivated() {
    let app = spawn_app().await;
    let admin = app.staff_token().await;
    let me: Me = app.get_ok("/v1/me", &admin).await;
    for body in [json!({ "role": "editor" }), json!({ "active": false })] {
        let resp = app
            .patch_json(&format!("/v1/team/members/{}", me.user_id), &admin, &body)
            .await;
        assert_eq!(resp.status(), StatusCode::CONFLICT);
        assert_eq!(error_of(resp).await.code, "last_admin");
    }
}

#[tokio::test]
async fn a_role_change_takes_effect_on_the_next_request_and_is_audited_with_before_and_after() {
    let app = spawn_app().await;
    let admin = app.staff_token().await;
    let (email, token) = member(&app, &admin, Role::Viewer).await;
    let me: Me = app.get_ok("/v1/me", &token).await;
    let (campaign, _) = app.new_campaign().await;
    let path = format!("/v1/campaigns/{}/integration", campaign.id);
    assert_eq!(app.get(&path, &token).await.status(), StatusCode::FORBIDDEN);
    app.patch_json(
        &format!("/v1/team/members/{}", me.user_id),
        &admin,
        &json!({ "role": "editor" }),
    )
    .await;
    assert_eq!(app.get(&path, &token).await.status(), StatusCode::OK);

    let page: AuditPage = app.get_ok("/v1/audit?action=role_changed", &admin).await;
    let entry = &page.items[0];
    assert_eq!(entry.target.as_deref(), Some(email.as_str()));
    assert_eq!(entry.before, Some(json!({ "role": "viewer" })));
    assert_eq!(entry.after, Some(json!({ "role": "editor" })));
}

#[tokio::test]
async fn the_audit_log_records_who_created_deactivated_and_copied_a_campaigns_credentials() {
    let app = spawn_app().await;
    let admin = app.staff_token().await;
    let (editor_email, editor) = member(&app, &admin, Role::Editor).await;
    let (_, viewer) = member(&app, &admin, Role::Viewer).await;
    let editor_me: Me = app.get_ok("/v1/me", &editor).await;
    let template = app.positional_template(&editor).await;
    let campaign = app.create_campaign_with(&editor, &template).await;
    let resp = app
        .patch_json(
            &format!("/v1/campaigns/{}", campaign.id),
            &editor,
            &json!({ "status": "inactive" }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let integration = format!("/v1/campaigns/{}/integration", campaign.id);
    assert_eq!(
        app.get(&integration, &editor).await.status(),
        StatusCode::OK
    );
    let refused = app.get(&integration, &viewer).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        error_of(refused).await.field.as_deref(),
        Some("reveal_credentials")
    );

    let page: AuditPage = app
        .get_ok(&format!("/v1/audit?campaign={}", campaign.id), &admin)
        .await;
    let actions: Vec<AuditAction> = page.items.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [
            AuditAction::CredentialsCopied,
            AuditAction::CampaignDeactivated,
            AuditAction::CampaignCreated
        ],
        "newest first; the viewer's refused read is not a copy"
    );
    for entry in &page.items {
        assert_eq!(entry.actor.label, editor_email);
        assert_eq!(entry.actor.id, Some(editor_me.user_id));
        assert_eq!(entry.address.as_deref(), Some("127.0.0.1"));
        assert_eq!(entry.target.as_deref(), Some(campaign.name.as_str()));
    }
    assert_eq!(page.items[1].before, Some(json!({ "status": "active" })));
    assert_eq!(page.items[1].after, Some(json!({ "status": "inactive" })));

    // Filters: by person, by action, by period.
    let by_person: AuditPage = app
        .get_ok(
            &format!("/v1/audit?actor={}&limit=200", editor_me.user_id),
            &admin,
        )
        .await;
    assert!(by_person
        .items
        .iter()
        .all(|e| e.actor.id == Some(editor_me.user_id)));
    assert!(by_person
        .items
        .iter()
        .any(|e| e.action == AuditAction::InvitationAccepted));
    let future: AuditPage = app
        .get_ok("/v1/audit?from=2999-01-01T00:00:00Z", &admin)
        .await;
    assert!(future.items.is_empty());
    let bad = app.get("/v1/audit?from=yesterday", &admin).await;
    assert_eq!(error_of(bad).await.field.as_deref(), Some("from"));

    // The CSV export holds the same entries.
    let csv = app
        .get(
            &format!("/v1/audit/export?campaign={}", campaign.id),
            &admin,
        )
        .await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "at,person,action,campaign_id,target,address,before,after"
    );
    assert_eq!(lines.len(), 4);
    assert!(lines[1].contains("credentials_copied") && lines[1].contains(&editor_email));
    assert!(
        lines[2].contains(r#""{""status"":""active""}""#),
        "{}",
        lines[2]
    );
}

#[tokio::test]
async fn no_route_edits_or_deletes_audit_entries_and_the_database_refuses_it() {
    let app = spawn_app().await;
    let admin = app.staff_token().await;
    // The router: every operation on an audit path only reads.
    let doc: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if path.contains("audit") {
                assert_eq!(method, "get", "{method} {path} would change the audit log");
            }
        }
    }
    for method in [Method::DELETE, Method::PUT, Method::PATCH, Method::POST] {
        for path in ["/v1/audit", "/v1/audit/export"] {
            let resp = app
                .client
                .request(method.clone(), app.url(path))
                .bearer_auth(&admin)
                .send()
                .await
                .unwrap();
            assert_eq!(
                resp.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
        }
    }
    // The store: no statement of the product updates or deletes audit_log.
    let store_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store");
    for file in std::fs::read_dir(&store_dir).unwrap() {
        let path = file.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap().to_lowercase();
        let squashed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for forbidden in [
            "update audit_log",
            "delete from audit_log",
            "truncate audit_log",
        ] {
            assert!(
                !squashed.contains(forbidden),
                "{} has `{forbidden}`",
                path.display()
            );
        }
    }
    // The database: its triggers refuse both, on either backend.
    let page: AuditPage = app.get_ok("/v1/audit", &admin).await;
    assert!(!page.items.is_empty(), "the sign-in is recorded");
    for sql in [
        "UPDATE audit_log SET actor_label = 'someone else'",
        "DELETE FROM audit_log",
    ] {
        let error = try_sql(&app.database_url, sql).await.expect_err(sql);
        assert!(error.contains("append-only"), "{sql}: {error}");
    }
    let after: AuditPage = app.get_ok("/v1/audit", &admin).await;
    assert_eq!(after.items.len(), page.items.len());
}

/// Runs one statement on the app's database → its error text, if any.
async fn try_sql(database_url: &str, sql: &str) -> Result<u64, String> {
    use sqlx::Connection as _;
    let result = if database_url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(database_url).await.unwrap();
        sqlx::query(sql)
            .execute(&mut conn)
            .await
            .map(|done| done.rows_affected())
    } else {
        let mut conn = sqlx::SqliteConnection::connect(database_url).await.unwrap();
        sqlx::query(sql)
            .execute(&mut conn)
            .await
            .map(|done| done.rows_affected())
    };
    result.map_err(|error| error.to_string())
}

fn quick_throttle() -> TeamConfig {
    let mut team = TeamConfig::default();
    team.account_throttle.base_delay_secs = 2;
    team
}

#[tokio::test]
async fn five_wrong_passwords_block_the_account_with_a_growing_wait_then_the_right_one_works_again()
{
    let app = spawn_app_configured(|config| config.team = quick_throttle()).await;
    let email = app.creds.user.email.clone();
    for attempt in 1..=5 {
        let resp = app.login(&email, "not-the-password").await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let blocked = app.login(&email, &app.creds.user.password).await;
    assert_eq!(
        blocked.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let retry_after: u64 = blocked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(error_of(blocked).await.code, "too_many_attempts");

    tokio::time::sleep(Duration::from_millis(2100)).await;
    // A sixth failure doubles the wait.
    assert_eq!(
        app.login(&email, "still-wrong").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let blocked = app.login(&email, &app.creds.user.password).await;
    let retry_after: u64 = blocked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (3..=4).contains(&retry_after),
        "the wait grew to {retry_after}"
    );
    tokio::time::sleep(Duration::from_millis(4100)).await;
    assert_eq!(
        app.login(&email, &app.creds.user.password).await.status(),
        StatusCode::OK
    );

    let admin = app.staff_token().await;
    let failed: AuditPage = app
        .get_ok("/v1/audit?action=sign_in_failed&limit=200", &admin)
        .await;
    assert_eq!(failed.items.len(), 6);
}

#[tokio::test]
async fn an_admin_lifts_a_block_at_once() {
    let app = spawn_app().await;
    let admin = app.staff_token().await;
    let (email, token) = member(&app, &admin, Role::Editor).await;
    let me: Me = app.get_ok("/v1/me", &token).await;
    for _ in 0..5 {
        app.login(&email, "wrong-password").await;
    }
    assert_eq!(
        app.login(&email, GOOD_PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let team: Team = app.get_ok("/v1/team", &admin).await;
    let blocked = team.members.iter().find(|m| m.id == me.user_id).unwrap();
    assert!(blocked.blocked_until.is_some());

    let resp = app
        .post_json(
            &format!("/v1/team/members/{}/unblock", me.user_id),
            &admin,
            &json!({}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.login(&email, GOOD_PASSWORD).await.status(),
        StatusCode::OK
    );
    let page: AuditPage = app
        .get_ok("/v1/audit?action=sign_in_unblocked", &admin)
        .await;
    assert_eq!(page.items[0].target.as_deref(), Some(email.as_str()));
}

#[tokio::test]
async fn many_failures_from_one_address_block_that_address_for_every_account() {
    let mut team = TeamConfig::default();
    team.address_throttle.free_failures = 3;
    let app = spawn_app_configured(|config| config.team = team).await;
    for i in 0..3 {
        app.login(&format!("nobody-{i}@example.com"), "whatever-it-is")
            .await;
    }
    let resp = app
        .login(&app.creds.user.email, &app.creds.user.password)
        .await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

#[tokio::test]
async fn an_unknown_email_and_a_wrong_password_get_the_same_answer_in_about_the_same_time() {
    let mut team = TeamConfig::default();
    team.account_throttle.free_failures = 1000;
    team.address_throttle.free_failures = 1000;
    let app = spawn_app_configured(|config| config.team = team).await;
    // Warm up both paths.
    app.login("warm@example.com", "wrong-password").await;
    app.login(&app.creds.user.email, "wrong-password").await;
    let mut bodies = std::collections::HashSet::new();
    // A real difference (a skipped hash is ~50x faster) shows in every round; the other
    // tests running beside this one on a shared 2-core machine only add noise, so a round
    // within 20% is enough.
    let mut rounds = Vec::new();
    for _ in 0..3 {
        let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
        for i in 0..30 {
            let started = Instant::now();
            let resp = app
                .login(&format!("nobody-{i}@example.com"), "wrong-password")
                .await;
            unknown.push(started.elapsed());
            assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
            bodies.insert(resp.text().await.unwrap());

            let started = Instant::now();
            let resp = app.login(&app.creds.user.email, "wrong-password").await;
            wrong.push(started.elapsed());
            assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
            bodies.insert(resp.text().await.unwrap());
        }
        let (unknown, wrong) = (median(unknown), median(wrong));
        let difference = unknown.as_secs_f64().max(wrong.as_secs_f64())
            / unknown.as_secs_f64().min(wrong.as_secs_f64())
            - 1.0;
        eprintln!(
            "median sign-in time: unknown email {unknown:?}, wrong password {wrong:?} ({:.1}% apart)",
            difference * 100.0
        );
        rounds.push(difference);
        if difference <= 0.20 {
            break;
        }
    }
    assert_eq!(bodies.len(), 1, "one answer for both: {bodies:?}");
    assert!(
        rounds.iter().any(|difference| *difference <= 0.20),
        "the medians differed by more than 20% in every round: {rounds:?}"
    );
}

#[tokio::test]
async fn each_person_sees_their_sessions_and_can_sign_out_everywhere() {
    let app = spawn_app().await;
    let email = app.creds.user.email.clone();
    let first = app
        .client
        .post(app.url("/v1/auth/login"))
        .header("user-agent", "engage-desktop/0.1.0 (linux)")
        .json(&json!({ "email": email, "password": app.creds.user.password }))
        .send()
        .await
        .unwrap()
        .json::<StaffTokenResponse>()
        .await
        .unwrap()
        .access_token;
    let second = app.staff_token().await;
    let list: SessionList = app.get_ok("/v1/me/sessions", &first).await;
    assert_eq!(list.items.len(), 2);
    let current: Vec<_> = list.items.iter().filter(|s| s.current).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].device, "Engage desktop (Linux)");
    assert_eq!(current[0].address.as_deref(), Some("127.0.0.1"));

    let resp = app
        .post_json("/v1/me/sessions/end-all", &second, &json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    for token in [&first, &second] {
        assert_eq!(
            app.get("/v1/me", token).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn changing_your_password_needs_the_current_one_and_ends_your_other_sessions() {
    let app = spawn_app().await;
    let admin = app.staff_token().await;
    let (email, token) = member(&app, &admin, Role::Viewer).await;
    let other = fresh_token(&app, &email, GOOD_PASSWORD).await;
    let wrong = app
        .post_json("/v1/me/password", &token, &json!({ "current_password": "nope-nope-nope", "new_password": "another-Fine-phrase-7" }))
        .await;
    assert_eq!(
        error_of(wrong).await.field.as_deref(),
        Some("current_password")
    );
    let common = app
        .post_json(
            "/v1/me/password",
            &token,
            &json!({ "current_password": GOOD_PASSWORD, "new_password": "password123" }),
        )
        .await;
    assert_eq!(error_of(common).await.code, "password_too_common");
    let resp = app
        .post_json(
            "/v1/me/password",
            &token,
            &json!({ "current_password": GOOD_PASSWORD, "new_password": "another-Fine-phrase-7" }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/v1/me", &token).await.status(),
        StatusCode::OK,
        "this session goes on"
    );
    assert_eq!(
        app.get("/v1/me", &other).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(&email, GOOD_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(&email, "another-Fine-phrase-7").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_admin_resets_a_password_with_a_new_code_that_ends_the_old_sessions() {
    let app = spawn_app().await;
    let admin = app.staff_token().await;
    let (email, token) = member(&app, &admin, Role::Editor).await;
    let me: Me = app.get_ok("/v1/me", &token).await;
    let resp = app
        .post_json(
            &format!("/v1/team/members/{}/password-reset", me.user_id),
            &admin,
            &json!({ "language": "pt-BR" }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: InvitationCreated = resp.json().await.unwrap();
    assert!(created.invitation.reset);
    assert!(created.message.contains("Tenho um convite"));
    let resp = accept(&app, &created.code, "brand-New-secret-99").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        app.get("/v1/me", &token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(&email, "brand-New-secret-99").await.status(),
        StatusCode::OK
    );
    let me_again: Me = app
        .get_ok(
            "/v1/me",
            &fresh_token(&app, &email, "brand-New-secret-99").await,
        )
        .await;
    assert_eq!(me_again.role, Role::Editor, "the role is kept");
}

#[tokio::test]
async fn a_password_reset_whose_body_is_not_a_json_object_is_refused_and_issues_no_code() {
    let app = spawn_app().await;
    let admin = app.staff_token().await;
    let (_, token) = member(&app, &admin, Role::Editor).await;
    let me: Me = app.get_ok("/v1/me", &token).await;
    let path = format!("/v1/team/members/{}/password-reset", me.user_id);
    for body in [json!([]), json!(["pt-BR"]), json!("pt-BR"), json!(7)] {
        let resp = app.post_json(&path, &admin, &body).await;
        assert_error(resp, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", None).await;
    }
    let team: Team = app.get_ok("/v1/team", &admin).await;
    assert!(
        team.invitations.iter().all(|invitation| !invitation.reset),
        "no reset code was issued: {:?}",
        team.invitations
    );
}

/// A mail server that accepts every message and hands each one (envelope and data) to the
/// test: enough SMTP for a client that says EHLO, MAIL, RCPT, DATA, QUIT.
async fn smtp_receiver() -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let sender = sender.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 test-smtp ready\r\n").await.unwrap();
                let mut mail = String::new();
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            sender.send(std::mem::take(&mut mail)).ok();
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            mail.push_str(&line);
                            mail.push('\n');
                        }
                        continue;
                    }
                    let command = line.to_ascii_uppercase();
                    let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO")
                    {
                        b"250 test-smtp\r\n"
                    } else if command.starts_with("DATA") {
                        in_data = true;
                        b"354 go ahead\r\n"
                    } else if command.starts_with("QUIT") {
                        write.write_all(b"221 bye\r\n").await.ok();
                        break;
                    } else {
                        mail.push_str(&line);
                        mail.push('\n');
                        b"250 ok\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, receiver)
}

#[tokio::test]
async fn with_a_mail_server_configured_the_invitation_is_also_emailed_to_the_invitee() {
    let (port, mut mails) = smtp_receiver().await;
    let team = TeamConfig {
        smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
        smtp_from: "Engage <engage@example.com>".into(),
        ..TeamConfig::default()
    };
    let app = spawn_app_configured(|config| config.team = team).await;
    let admin = app.staff_token().await;
    let created = invite(&app, &admin, "rui@example.com", Role::Viewer).await;
    assert!(created.emailed);
    let mail = tokio::time::timeout(Duration::from_secs(10), mails.recv())
        .await
        .expect("a mail arrives")
        .unwrap();
    assert!(mail.contains("RCPT TO:<rui@example.com>"), "{mail}");
    assert!(mail.contains("MAIL FROM:<engage@example.com>"), "{mail}");
    assert!(mail.contains("Subject: Invitation to the"), "{mail}");
    assert!(
        mail.contains(&created.code),
        "the code is in the mail: {mail}"
    );
}

#[tokio::test]
async fn an_unreachable_mail_server_leaves_the_invitation_standing_and_says_it_was_not_emailed() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let team = TeamConfig {
        smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
        ..TeamConfig::default()
    };
    let app = spawn_app_configured(|config| config.team = team).await;
    let admin = app.staff_token().await;
    let created = invite(&app, &admin, "ana@example.com", Role::Editor).await;
    assert!(!created.emailed);
    assert_eq!(
        accept(&app, &created.code, GOOD_PASSWORD).await.status(),
        StatusCode::OK
    );
}

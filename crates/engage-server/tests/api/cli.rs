//! The admin command line: one JSON object on stdout, errors on stderr with a non-zero exit.

use engage_core::wire::{Me, SenderStatus, StaffTokenResponse, TemplateStatus, VariableLocation};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{cli_json, random_secret_key_b64, run_cli, spawn_app, sqlite_url};

/// Meta's `GET /{waba-id}/message_templates` listing shape.
fn meta_listing() -> Value {
    json!({
        "data": [
            {
                "name": "lembrete_fatura",
                "language": "pt_BR",
                "status": "APPROVED",
                "category": "UTILITY",
                "id": "1234567890",
                "components": [
                    {"type": "HEADER", "format": "TEXT", "text": "Sua fatura chegou"},
                    {
                        "type": "BODY",
                        "text": "Olá {{1}}, sua fatura de {{2}} vence em {{3}}.",
                        "example": {"body_text": [["Ana", "R$ 89,90", "10/07"]]}
                    },
                    {"type": "FOOTER", "text": "Responda SAIR para não receber mais"},
                    {
                        "type": "BUTTONS",
                        "buttons": [
                            {"type": "QUICK_REPLY", "text": "Já paguei"},
                            {
                                "type": "URL",
                                "text": "Ver fatura",
                                "url": "https://fatura.example.com/{{1}}",
                                "example": ["https://fatura.example.com/abc123"]
                            }
                        ]
                    }
                ]
            },
            {
                "name": "boas_vindas",
                "language": "es",
                "status": "PENDING",
                "category": "MARKETING",
                "parameter_format": "NAMED",
                "id": "1234567891",
                "components": [
                    {
                        "type": "BODY",
                        "text": "¡Hola {{first_name}}! Bienvenida a {{store}}.",
                        "example": {"body_text_named_params": [
                            {"param_name": "first_name", "example": "Lucía"},
                            {"param_name": "store", "example": "Tienda Sol"}
                        ]}
                    }
                ]
            }
        ],
        "paging": {"cursors": {"before": "MAZDZD", "after": "MjQZD"}}
    })
}

fn assert_cli_error(output: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(
        !output.status.success(),
        "non-zero exit expected; stdout: {stdout}; stderr: {stderr}"
    );
    assert!(stdout.trim().is_empty(), "nothing on stdout: {stdout}");
    assert!(!stderr.trim().is_empty(), "the error is on stderr");
    stderr
}

#[tokio::test]
async fn admin_commands_build_a_working_workspace_and_print_one_json_object_each() {
    let app = spawn_app().await;
    let workspace = cli_json(
        &app.cli(&["workspace", "create", "--name", "Loja Exemplo"], None)
            .await,
    );
    let ws = workspace["id"].as_str().expect("id").to_string();
    uuid::Uuid::parse_str(&ws).expect("a UUID");

    let user = cli_json(
        &app.cli(
            &[
                "user",
                "create",
                "--workspace",
                &ws,
                "--email",
                "ops@loja.example",
            ],
            Some("senha-muito-boa-123\n"),
        )
        .await,
    );
    assert!(user["id"].is_string());

    let active = cli_json(
        &app.cli(
            &[
                "sender",
                "create",
                "--workspace",
                &ws,
                "--phone",
                "+5511912345678",
                "--name",
                "Atendimento",
            ],
            None,
        )
        .await,
    );
    assert!(active["id"].is_string());
    let inactive = cli_json(
        &app.cli(
            &[
                "sender",
                "create",
                "--workspace",
                &ws,
                "--phone",
                "+5511923456789",
                "--name",
                "Antigo",
                "--inactive",
            ],
            None,
        )
        .await,
    );
    assert!(inactive["id"].is_string());

    let file = app.dir.path().join("templates.json");
    std::fs::write(&file, meta_listing().to_string()).unwrap();
    let imported = cli_json(
        &app.cli(
            &[
                "template",
                "import",
                "--workspace",
                &ws,
                file.to_str().unwrap(),
            ],
            None,
        )
        .await,
    );
    assert_eq!(imported["imported"].as_array().map(Vec::len), Some(2));
    assert_eq!(imported["imported"][0]["meta_id"], "1234567890");
    assert_eq!(imported["skipped"], serde_json::json!([]));

    let client = cli_json(
        &app.cli(
            &["api-client", "create", "--workspace", &ws, "--name", "ERP"],
            None,
        )
        .await,
    );
    let client_id = client["client_id"].as_str().expect("client_id");
    let client_secret = client["client_secret"].as_str().expect("client_secret");

    // Everything is visible over HTTP, to the new user only.
    let resp = app.login("ops@loja.example", "senha-muito-boa-123").await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "password read from stdin (newline trimmed)"
    );
    let tokens: StaffTokenResponse = resp.json().await.unwrap();
    let me: Me = app.get_ok("/v1/me", &tokens.access_token).await;
    assert_eq!(me.workspace_id.to_string(), ws);
    assert_eq!(me.workspace_name, "Loja Exemplo");

    let senders = app.senders(&tokens.access_token, false).await;
    assert_eq!(senders.len(), 1);
    assert_eq!(senders[0].phone, "+5511912345678");
    assert_eq!(senders[0].name, "Atendimento");
    let all = app.senders(&tokens.access_token, true).await;
    assert_eq!(all.len(), 2);
    assert!(all.iter().any(|s| s.status == SenderStatus::Inactive));

    let templates = app.templates(&tokens.access_token, true).await;
    assert_eq!(templates.len(), 2);
    let fatura = templates
        .iter()
        .find(|t| t.name == "lembrete_fatura")
        .unwrap();
    assert_eq!(fatura.status, TemplateStatus::Approved);
    assert_eq!(fatura.language, "pt_BR");
    assert_eq!(fatura.components.buttons.len(), 2);
    let body_keys: Vec<_> = fatura
        .variables
        .iter()
        .filter(|v| v.location == VariableLocation::Body)
        .map(|v| (v.key.as_str(), v.example.as_str()))
        .collect();
    assert_eq!(body_keys, [("1", "Ana"), ("2", "R$ 89,90"), ("3", "10/07")]);
    assert!(fatura
        .variables
        .iter()
        .any(|v| v.location == VariableLocation::Button));
    let boas = templates.iter().find(|t| t.name == "boas_vindas").unwrap();
    assert_eq!(boas.status, TemplateStatus::Pending);
    let named: Vec<_> = boas.variables.iter().map(|v| v.key.as_str()).collect();
    assert_eq!(named, ["first_name", "store"]);
    // Only APPROVED by default.
    assert_eq!(app.templates(&tokens.access_token, false).await.len(), 1);

    // The API client authenticates.
    app.oauth_token_for(client_id, client_secret).await;
    // The demo user does not see the other workspace's data.
    let demo_token = app.staff_token().await;
    assert!(app
        .senders(&demo_token, true)
        .await
        .iter()
        .all(|s| s.phone != "+5511912345678"));
}

#[tokio::test]
async fn a_single_template_object_is_imported_too() {
    let app = spawn_app().await;
    let file = app.dir.path().join("one.json");
    std::fs::write(&file, meta_listing()["data"][0].to_string()).unwrap();
    let ws = app.creds.workspace_id.to_string();
    // Same name and language as nothing in the demo.
    let imported = cli_json(
        &app.cli(
            &[
                "template",
                "import",
                "--workspace",
                &ws,
                file.to_str().unwrap(),
            ],
            None,
        )
        .await,
    );
    assert_eq!(imported["imported"].as_array().map(Vec::len), Some(1));
    let id = imported["imported"][0]["id"].as_str().unwrap();
    let token = app.staff_token().await;
    let template: engage_core::wire::Template =
        app.get_ok(&format!("/v1/templates/{id}"), &token).await;
    assert_eq!(template.name, "lembrete_fatura");
}

#[tokio::test]
async fn cli_errors_go_to_stderr_with_a_non_zero_exit() {
    let app = spawn_app().await;
    let ws = app.creds.workspace_id.to_string();
    let missing_ws = uuid::Uuid::new_v4().to_string();

    assert_cli_error(
        &app.cli(
            &[
                "sender",
                "create",
                "--workspace",
                &missing_ws,
                "--phone",
                "+5511912345678",
                "--name",
                "X",
            ],
            None,
        )
        .await,
    );
    assert_cli_error(
        &app.cli(
            &[
                "sender",
                "create",
                "--workspace",
                &ws,
                "--phone",
                "11 91234",
                "--name",
                "X",
            ],
            None,
        )
        .await,
    );
    assert_cli_error(
        &app.cli(
            &[
                "user",
                "create",
                "--workspace",
                &ws,
                "--email",
                "demo@engage.local",
            ],
            Some("another-password-123\n"),
        )
        .await,
    );
    assert_cli_error(
        &app.cli(
            &[
                "user",
                "create",
                "--workspace",
                &ws,
                "--email",
                "new@engage.local",
            ],
            Some(""),
        )
        .await,
    );
    assert_cli_error(
        &app.cli(&["api-client", "create", "--workspace", &missing_ws], None)
            .await,
    );
    let bad = app.dir.path().join("bad.json");
    std::fs::write(&bad, "{\"data\": [{\"name\": \"x\"}]").unwrap();
    assert_cli_error(
        &app.cli(
            &[
                "template",
                "import",
                "--workspace",
                &ws,
                bad.to_str().unwrap(),
            ],
            None,
        )
        .await,
    );
    assert_cli_error(
        &app.cli(
            &[
                "template",
                "import",
                "--workspace",
                &ws,
                "/nonexistent/templates.json",
            ],
            None,
        )
        .await,
    );
    assert_cli_error(&app.cli(&["no-such-command"], None).await);
}

#[test]
fn demo_is_idempotent_and_prints_the_same_credentials_every_time() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir.path().join("engage.db"));
    let key = random_secret_key_b64();
    let first = cli_json(&run_cli(&url, &key, dir.path(), &["demo"], None));
    let second = cli_json(&run_cli(&url, &key, dir.path(), &["demo"], None));
    assert_eq!(first, second);
    assert_eq!(first["user"]["email"], "demo@engage.local");
    assert_eq!(first["user"]["password"], "engage-sandbox");
    assert!(first["workspace_id"].is_string());
    assert!(first["api_client"]["client_id"].is_string());
    assert!(first["api_client"]["client_secret"].is_string());
}

#[tokio::test]
async fn the_demo_command_and_the_library_agree_and_do_not_duplicate_data() {
    let app = spawn_app().await;
    let printed = cli_json(&app.cli(&["demo"], None).await);
    assert_eq!(printed["workspace_id"], app.creds.workspace_id.to_string());
    assert_eq!(
        printed["api_client"]["client_id"],
        app.creds.api_client.client_id.to_string()
    );
    assert_eq!(
        printed["api_client"]["client_secret"],
        app.creds.api_client.client_secret.to_string()
    );
    let token = app.staff_token().await;
    assert_eq!(
        app.senders(&token, true).await.len(),
        3,
        "no duplicate senders"
    );
}

#[test]
fn the_database_url_comes_from_the_flag_or_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let key = random_secret_key_b64();
    let url = sqlite_url(&dir.path().join("flag.db"));
    // ENGAGE_DATABASE_URL points elsewhere; the flag wins.
    let out = run_cli(
        &sqlite_url(&dir.path().join("env.db")),
        &key,
        dir.path(),
        &["workspace", "create", "--name", "A", "--database-url", &url],
        None,
    );
    cli_json(&out);
    assert!(dir.path().join("flag.db").exists());
    let out = run_cli(
        &sqlite_url(&dir.path().join("env.db")),
        &key,
        dir.path(),
        &["workspace", "create", "--name", "B"],
        None,
    );
    cli_json(&out);
    assert!(dir.path().join("env.db").exists());
}

#[tokio::test]
async fn an_unreachable_postgresql_ends_the_command_with_one_line_naming_host_and_port_not_the_password(
) {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on port 1.
    let url = "postgres://engage:s3cret-pass@127.0.0.1:1/engage";
    let output = run_cli(
        url,
        &random_secret_key_b64(),
        dir.path(),
        &["workspace", "create", "--name", "Acme"],
        None,
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr
        .lines()
        .find(|line| line.contains("\"error\""))
        .unwrap_or_else(|| panic!("no error line in {stderr}"));
    let error: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(error["error"]["code"], "database_unreachable", "{line}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("127.0.0.1:1"), "{message}");
    assert!(!stderr.contains("s3cret-pass"), "{stderr}");
}

#[tokio::test]
async fn a_wrong_postgresql_password_is_named_without_revealing_either_password() {
    if !crate::helpers::on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = crate::pg::new_database().replace(crate::pg::PASSWORD, "wrong-pass");
    let output = run_cli(
        &url,
        &random_secret_key_b64(),
        dir.path(),
        &["workspace", "create", "--name", "Acme"],
        None,
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("database_unreachable"), "{stderr}");
    assert!(
        stderr.contains("password authentication failed"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("wrong-pass") && !stderr.contains(crate::pg::PASSWORD),
        "{stderr}"
    );
}

#[tokio::test]
async fn migrate_applies_every_migration_once_and_then_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = crate::helpers::fresh_database(dir.path());
    let key = random_secret_key_b64();
    let first = cli_json(&run_cli(&url, &key, dir.path(), &["migrate"], None));
    let applied = first["applied"].as_array().expect("applied").len() as i64;
    assert!(applied >= 4, "{first:?}");
    // The version is the newest migration applied (numbers may skip: each branch of the
    // project reserves its own).
    let newest = first["applied"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_i64)
        .max();
    assert_eq!(first["version"].as_i64(), newest, "{first:?}");
    let second = cli_json(&run_cli(&url, &key, dir.path(), &["migrate"], None));
    assert_eq!(second["applied"].as_array().map(Vec::len), Some(0));
    assert_eq!(second["version"], first["version"]);
}

/// PostgreSQL only: several instances share one database there (an advisory lock serialises
/// their migrations); a SQLite file has one server.
#[tokio::test]
async fn concurrent_migrations_on_postgresql_apply_each_migration_once() {
    if !crate::helpers::on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (url, _) = crate::helpers::fresh_database(dir.path());
    let key = random_secret_key_b64();
    let runs: Vec<_> = (0..3)
        .map(|_| {
            let (url, key, home) = (url.clone(), key.clone(), dir.path().to_path_buf());
            std::thread::spawn(move || run_cli(&url, &key, &home, &["migrate"], None))
        })
        .collect();
    let mut applied: Vec<i64> = Vec::new();
    for run in runs {
        let output = run.join().unwrap();
        applied.extend(
            cli_json(&output)["applied"]
                .as_array()
                .expect("applied")
                .iter()
                .filter_map(Value::as_i64),
        );
    }
    let again = cli_json(&run_cli(&url, &key, dir.path(), &["migrate"], None));
    let mut distinct = applied.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        applied.len(),
        "each migration once: {applied:?}"
    );
    // Every migration the binary carries (numbers may skip), the newest being the version.
    assert_eq!(
        distinct.last().copied(),
        again["version"].as_i64(),
        "{applied:?}"
    );
}

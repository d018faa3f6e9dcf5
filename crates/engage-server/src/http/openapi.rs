//! The OpenAPI document (`GET /openapi.json`).

use std::sync::OnceLock;

use serde_json::{json, Value};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    audit, auth, callbacks, campaigns, catalog, credentials, health, integration_log, message_log,
    messages, oauth, opt_outs, send, stats, team, whatsapp,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Engage API", description = "Recurrent WhatsApp campaigns: staff management API and the send endpoint used by technical teams."),
    paths(
        health::healthz, health::readyz, health::metrics, health::openapi,
        auth::login, auth::refresh, auth::logout, auth::me,
        oauth::token,
        catalog::list_senders, catalog::list_templates, catalog::get_template,
        campaigns::list_campaigns, campaigns::name_availability, campaigns::create_campaign,
        campaigns::get_campaign, campaigns::update_campaign, campaigns::integration,
        campaigns::masked_integration,
        campaigns::list_messages,
        campaigns::snippets,
        send::send_messages,
        messages::get_message,
        whatsapp::verify, whatsapp::notify, whatsapp::create_sender, whatsapp::sync,
        whatsapp::set_settings,
        credentials::rotate, credentials::revoke,
        callbacks::get_workspace, callbacks::put_workspace, callbacks::delete_workspace,
        callbacks::rotate_workspace, callbacks::test_workspace, callbacks::get_campaign,
        callbacks::put_campaign, callbacks::delete_campaign, callbacks::rotate_campaign,
        callbacks::test_campaign,
        auth::accept_invitation, auth::change_password, auth::sessions, auth::end_all_sessions,
        team::team, team::invite, team::update_member, team::reset_password, team::unblock,
        audit::list, audit::export,
        // issue 15: the integration log
        integration_log::log, integration_log::health,
        // issue 12
        stats::campaign_stats, stats::workspace_stats, send::send_test_message,
        opt_outs::list, opt_outs::add, opt_outs::remove, opt_outs::keywords, opt_outs::set_keywords,
        opt_outs::export, opt_outs::import, messages::simulate_reply,
        // issue 12 §4: quick-reply buttons marked as opt-out
        catalog::set_opt_out_buttons,
        // issue 12: the message log's CSV export
        message_log::export,
    ),
    components(schemas(
        engage_core::wire::BatchSendRequest,
        engage_core::wire::BatchSendResponse,
        engage_core::wire::BatchItemResult,
        oauth::OAuthErrorBody,
        oauth::TokenRequest,
        send::SendRequestBody,
        send::SendResponseBody,
        engage_core::callback::CallbackEvent,
    )),
    modifiers(&SecuritySchemes)
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "staff",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "client",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "client_basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
    }
}

/// The document served at `GET /openapi.json`: [`ApiDoc`] with the answers every operation
/// can give added where a handler does not list them itself, all with the error schema:
/// 400 / 413 / 415 / 422 for operations with a JSON body (unreadable JSON, too large, not
/// JSON, wrong shape), 401 for operations that need a token, 404 for operations on
/// `{id}`, 405 for any other method on a known path (with `Allow`), and 503 (`busy` with
/// `Retry-After`, `database_unavailable`, `schema_not_current`) for every operation.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut document = serde_json::to_value(ApiDoc::openapi())
            .expect("the OpenAPI document serialises to JSON");
        add_common_responses(&mut document);
        // Batch items are validated one by one (each gets its own result, 202 overall), so
        // an item's `to` is any text here; the item must still be `{to, variables}`.
        if let Some(items) =
            document.pointer_mut("/components/schemas/BatchSendRequest/properties/messages/items")
        {
            *items = json!({
                "type": "object",
                "required": ["to"],
                "properties": {
                    "to": {"type": "string", "description": "E.164; an invalid number is reported in this item's result"},
                    "variables": {"type": "object", "additionalProperties": {"type": "string"}}
                }
            });
        }
        // PATCH /v1/campaigns/{id} changes at least one of `name`, `status`.
        if let Some(update) = document.pointer_mut("/components/schemas/UpdateCampaignRequest") {
            update["minProperties"] = json!(1);
            update["additionalProperties"] = json!(false);
        }
        document
    })
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiErrorBody"}}}
    })
}

fn add_common_responses(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in item.iter_mut() {
            if !matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                continue;
            }
            let json_body = operation
                .pointer("/requestBody/content/application~1json")
                .is_some();
            let secured = operation
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|requirements| {
                    requirements
                        .iter()
                        .any(|requirement| requirement.as_object().is_some_and(|r| !r.is_empty()))
                });
            let staff = operation
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|all| all.iter().any(|r| r.get("staff").is_some()));
            let Some(responses) = operation
                .get_mut("responses")
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error_response(description));
            };
            if json_body {
                add("400", "`malformed_json`: the body is not valid JSON");
                add("413", "`payload_too_large`: the body is larger than 1 MiB");
                add(
                    "415",
                    "`unsupported_media_type`: send `Content-Type: application/json`",
                );
                add(
                    "422",
                    "`invalid_body`: the body does not have the expected shape",
                );
            }
            if secured {
                add("401", "`missing_token`, `invalid_token`");
            }
            if staff {
                add(
                    "403",
                    "`forbidden`: your role lacks the permission named in `field`",
                );
            }
            if path.contains("{id}") {
                add("404", "no such resource in your workspace");
            }
            add(
                "503",
                "`busy`, `database_unavailable` or `schema_not_current` (with `Retry-After`): retry shortly",
            );
        }
    }
}

//! The OpenAPI document (`GET /openapi.json`).

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{auth, campaigns, catalog, health, messages, oauth, send, whatsapp};

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
        campaigns::list_messages,
        send::send_messages,
        messages::get_message,
        whatsapp::verify, whatsapp::notify, whatsapp::create_sender, whatsapp::sync,
        whatsapp::set_settings,
    ),
    components(schemas(
        engage_core::wire::BatchSendRequest,
        engage_core::wire::BatchSendResponse,
        engage_core::wire::BatchItemResult,
        oauth::OAuthErrorBody,
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

//! The documentation payload of a campaign: the two steps in the chosen language (secret
//! masked for the screen, real for the clipboard), the request body built from the person's example values, and the
//! message the recipient gets with them.

use std::collections::BTreeMap;

use engage_core::phone::PhoneNumber;
use engage_core::snippet::{self, Integration};
use engage_core::template::Template as CoreTemplate;
use engage_core::wire::{Campaign, CampaignIntegration, SendMessageRequest};
use engage_core::SnippetLang;

use super::AppError;
use crate::models::{CallbackRecipe, CampaignDocs};
use engage_core::callback::{verification_recipe, Recipe};

/// Longest variable key accepted from the UI (template keys are short names or numbers).
const MAX_KEY_LEN: usize = 64;
/// Longest recipient accepted from the UI before parsing.
const MAX_TO_LEN: usize = 32;

/// The send request for `campaign` with the person's example `values`: only the template's
/// variable keys, each within its WhatsApp limit; a missing or blank value takes the
/// template's example, so the copied curl is accepted as it is. `to` defaults to the
/// server's example recipient.
pub fn example_request(
    campaign: &Campaign,
    integration: &CampaignIntegration,
    values: &BTreeMap<String, String>,
    to: Option<&str>,
) -> Result<(SendMessageRequest, CoreTemplate), AppError> {
    let template = &campaign.template;
    for (key, value) in values {
        if key.chars().count() > MAX_KEY_LEN {
            return Err(AppError::invalid(
                "variables",
                format!("A variable name is longer than {MAX_KEY_LEN} characters."),
            ));
        }
        let Some(variable) = template.variables.iter().find(|v| &v.key == key) else {
            return Err(AppError::invalid(
                &format!("variables.{key}"),
                format!(
                    "The template \"{}\" has no variable \"{key}\".",
                    template.name
                ),
            ));
        };
        let length = value.chars().count();
        if length > variable.max_length as usize {
            return Err(AppError::invalid(
                &format!("variables.{key}"),
                format!(
                    "The value of \"{key}\" has {length} characters; WhatsApp accepts at most {}.",
                    variable.max_length
                ),
            ));
        }
    }
    let to = match to.map(str::trim).filter(|t| !t.is_empty()) {
        None => integration.example_request.to.clone(),
        Some(to) if to.chars().count() > MAX_TO_LEN => {
            return Err(AppError::invalid(
                "to",
                "The recipient's phone number is too long.",
            ));
        }
        Some(to) => PhoneNumber::parse_field(to, "to")
            .map_err(|e| AppError::invalid("to", e.to_string()))?
            .as_e164()
            .to_owned(),
    };
    let variables = template
        .variables
        .iter()
        .map(|variable| {
            let value = values
                .get(&variable.key)
                .filter(|v| !v.trim().is_empty())
                .or_else(|| integration.example_request.variables.get(&variable.key))
                .unwrap_or(&variable.example);
            (variable.key.clone(), value.clone())
        })
        .collect();
    let core_template = CoreTemplate::from_wire(template).map_err(|e| {
        AppError::invalid("id", format!("The campaign's template cannot be used: {e}"))
    })?;
    Ok((SendMessageRequest { to, variables }, core_template))
}

/// The two requests with the person's example values (validated like the server will).
fn requests(
    campaign: &Campaign,
    integration: &CampaignIntegration,
    values: &BTreeMap<String, String>,
    to: Option<&str>,
) -> Result<(Integration, engage_core::ValidatedSend), AppError> {
    let (request, template) = example_request(campaign, integration, values, to)?;
    let validated = template.validate_send(&request).map_err(first_problem)?;
    let requests = Integration {
        body: request,
        ..Integration::from_wire(integration)
    };
    Ok((requests, validated))
}

/// The documentation screen's payload in `lang`, secrets masked.
pub fn campaign_docs(
    campaign: Campaign,
    integration: &CampaignIntegration,
    values: &BTreeMap<String, String>,
    to: Option<&str>,
    lang: SnippetLang,
) -> Result<CampaignDocs, AppError> {
    let (requests, validated) = requests(&campaign, integration, values, to)?;
    let shown = requests.masked().render(lang);
    Ok(CampaignDocs {
        token_url: integration.token_url.clone(),
        send_url: integration.send_url.clone(),
        client_id: integration.client_id.clone(),
        lang,
        languages: snippet::lang_options(),
        token_snippet_masked: shown.token,
        send_snippet_masked: shown.send,
        request: requests.body,
        rendered: validated.rendered,
        campaign,
        mode: integration.mode,
        scope: integration.scope,
        last_used_at: integration.last_used_at.and_then(rfc3339),
        previous_secret_expires_at: integration.previous_secret_expires_at.and_then(rfc3339),
        test_phone: None,
    })
}

fn rfc3339(at: time::OffsetDateTime) -> Option<String> {
    at.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

/// Step 1 as it runs in `lang`: the real client secret.
pub fn token_snippet(integration: &CampaignIntegration, lang: SnippetLang) -> String {
    snippet::render(lang, &Integration::from_wire(integration).token_call())
}

/// Step 2 as it runs in `lang` (it carries no secret: the token comes from `ENGAGE_TOKEN`).
pub fn send_snippet(
    campaign: &Campaign,
    integration: &CampaignIntegration,
    values: &BTreeMap<String, String>,
    to: Option<&str>,
    lang: SnippetLang,
) -> Result<String, AppError> {
    let (requests, _) = requests(campaign, integration, values, to)?;
    Ok(snippet::render(lang, &requests.send_call()))
}

fn first_problem(problems: Vec<engage_core::error::CoreError>) -> AppError {
    match problems.first() {
        Some(problem) => AppError::invalid(
            problem.field().as_deref().unwrap_or("variables"),
            problem.to_string(),
        ),
        None => AppError::invalid("variables", "The example values were refused."),
    }
}

/// How to verify a status callback's signature, in every language of the picker.
pub fn callback_recipes() -> Vec<CallbackRecipe> {
    engage_core::SnippetLang::ALL
        .into_iter()
        .map(|lang| {
            let (code, note) = match verification_recipe(lang) {
                Recipe::Code(code) => (Some(code.to_owned()), None),
                Recipe::Note(note) => (None, Some(note.to_owned())),
            };
            CallbackRecipe {
                lang,
                label: lang.label().to_owned(),
                code,
                note,
            }
        })
        .collect()
}

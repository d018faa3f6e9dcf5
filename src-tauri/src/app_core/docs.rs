//! The documentation payload of a campaign: the two curls (secret masked for the screen, real
//! for the clipboard), the request body built from the person's example values, and the
//! message the recipient gets with them.

use std::collections::BTreeMap;

use engage_core::curl;
use engage_core::phone::PhoneNumber;
use engage_core::template::Template as CoreTemplate;
use engage_core::wire::{Campaign, CampaignIntegration, SendMessageRequest};

use super::AppError;
use crate::models::CampaignDocs;

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

/// The documentation screen's payload, secrets masked.
pub fn campaign_docs(
    campaign: Campaign,
    integration: &CampaignIntegration,
    values: &BTreeMap<String, String>,
    to: Option<&str>,
) -> Result<CampaignDocs, AppError> {
    let (request, template) = example_request(&campaign, integration, values, to)?;
    let validated = template.validate_send(&request).map_err(first_problem)?;
    Ok(CampaignDocs {
        token_url: integration.token_url.clone(),
        send_url: integration.send_url.clone(),
        client_id: integration.client_id.clone(),
        token_curl_masked: curl::masked_token_curl(
            &integration.token_url,
            &integration.client_id,
            &integration.client_secret,
        ),
        send_curl_masked: curl::send_curl(&integration.send_url, &request),
        request,
        rendered: validated.rendered,
        campaign,
    })
}

/// Step 1 as it runs: the token curl with the real client secret.
pub fn token_curl(integration: &CampaignIntegration) -> String {
    curl::token_curl(
        &integration.token_url,
        &integration.client_id,
        &integration.client_secret,
    )
}

/// Step 2 as it runs (the send curl carries no secret: the token comes from `$ENGAGE_TOKEN`).
pub fn send_curl(
    campaign: &Campaign,
    integration: &CampaignIntegration,
    values: &BTreeMap<String, String>,
    to: Option<&str>,
) -> Result<String, AppError> {
    let (request, template) = example_request(campaign, integration, values, to)?;
    template.validate_send(&request).map_err(first_problem)?;
    Ok(curl::send_curl(&integration.send_url, &request))
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

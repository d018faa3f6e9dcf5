//! Sending a template: checking a [`SendMessageRequest`] against it, rendering the message
//! the recipient sees, and the example request shown in the documentation screen.

use std::collections::BTreeMap;

use crate::error::CoreError;
use crate::phone::PhoneNumber;
use crate::wire::{
    RenderedButton, RenderedHeader, RenderedMessage, SendMessageRequest, TemplateButton,
    TemplateHeader, VariableLocation,
};

use super::{
    CompiledButton, CompiledHeader, Segment, Template, BODY_MAX, HEADER_TEXT_MAX,
    LOCATION_ADDRESS_KEY, LOCATION_LATITUDE_KEY, LOCATION_LONGITUDE_KEY, LOCATION_NAME_KEY,
};

/// A send request that passed [`Template::validate_send`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedSend {
    pub to: PhoneNumber,
    /// Exactly the template's variables.
    pub variables: BTreeMap<String, String>,
    /// The message as the recipient will see it.
    pub rendered: RenderedMessage,
}

/// Example recipient for documentation, by the template's language.
fn example_phone(language: &str) -> &'static str {
    match language {
        "es_MX" => "+525512345678",
        "es_AR" => "+5491123456789",
        l if l.starts_with("es") => "+34612345678",
        "en_US" => "+16502530000",
        "en_GB" => "+447911123456",
        _ => "+5511987654321",
    }
}

/// Why a text value (header or body parameter) is refused, if it is; WhatsApp rejects
/// parameters with line breaks, tabs or more than three consecutive spaces.
fn text_value_problem(value: &str) -> Option<&'static str> {
    if value.contains(['\n', '\r']) {
        return Some("must not contain line breaks");
    }
    if value.contains('\t') {
        return Some("must not contain tabs");
    }
    if value.chars().any(char::is_control) {
        return Some("must not contain control characters");
    }
    if value.contains("    ") {
        return Some("must not contain more than three consecutive spaces");
    }
    None
}

/// URL suffixes, media links and codes are one word.
fn word_value_problem(value: &str) -> Option<&'static str> {
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("must not contain spaces or control characters");
    }
    None
}

/// A latitude or longitude: plain decimal degrees (`-23.5613993`) within `limit`.
fn coordinate_problem(value: &str, limit: f64) -> Option<&'static str> {
    let digits = value.strip_prefix('-').unwrap_or(value);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    let plain = !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit());
    match value.parse::<f64>() {
        Ok(number) if plain && number.abs() <= limit => None,
        _ if limit < 100.0 => Some("must be a latitude in decimal degrees, from -90 to 90"),
        _ => Some("must be a longitude in decimal degrees, from -180 to 180"),
    }
}

fn render_segments(segments: &[Segment], variables: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Text(text) => out.push_str(text),
            Segment::Var(key) => match variables.get(key) {
                Some(value) => out.push_str(value),
                // Only reachable without validation: keep the placeholder visible.
                None => {
                    out.push_str("{{");
                    out.push_str(key);
                    out.push_str("}}");
                }
            },
        }
    }
    out
}

impl Template {
    /// Checks `request`: the phone number (field `to`), every variable present, none
    /// unknown, none empty, each within its WhatsApp limit and free of characters WhatsApp
    /// refuses, and the rendered header and body within their limits. Returns every problem.
    pub fn validate_send(
        &self,
        request: &SendMessageRequest,
    ) -> Result<ValidatedSend, Vec<CoreError>> {
        let mut errors = Vec::new();
        let to = PhoneNumber::parse_field(&request.to, "to")
            .map_err(|e| errors.push(e))
            .ok();

        for variable in &self.variables {
            let key = &variable.key;
            let Some(value) = request.variables.get(key) else {
                errors.push(CoreError::MissingVariable { key: key.clone() });
                continue;
            };
            if value.trim().is_empty() {
                errors.push(CoreError::EmptyVariable { key: key.clone() });
                continue;
            }
            let length = value.chars().count();
            let max = variable.max_length as usize;
            if length > max {
                errors.push(CoreError::VariableTooLong {
                    key: key.clone(),
                    length,
                    max,
                });
                continue;
            }
            let problem = match variable.location {
                VariableLocation::Header if key == LOCATION_LATITUDE_KEY => {
                    coordinate_problem(value, 90.0)
                }
                VariableLocation::Header if key == LOCATION_LONGITUDE_KEY => {
                    coordinate_problem(value, 180.0)
                }
                VariableLocation::Body if self.is_code_key(key) => word_value_problem(value),
                VariableLocation::Header if key == super::HEADER_URL_KEY => {
                    word_value_problem(value).or_else(|| {
                        (!(value.starts_with("https://") || value.starts_with("http://")))
                            .then_some("must be an http:// or https:// link")
                    })
                }
                VariableLocation::Header | VariableLocation::Body => text_value_problem(value),
                VariableLocation::Button => word_value_problem(value),
            };
            if let Some(reason) = problem {
                errors.push(CoreError::InvalidVariableValue {
                    key: key.clone(),
                    reason,
                });
            }
        }
        for key in request.variables.keys() {
            if !self.variables.iter().any(|v| &v.key == key) {
                errors.push(CoreError::UnknownVariable { key: key.clone() });
            }
        }

        if errors
            .iter()
            .all(|e| matches!(e, CoreError::InvalidPhoneNumber { .. }))
        {
            let rendered = self.render(&request.variables);
            if let Some(RenderedHeader::Text { text }) = &rendered.header {
                let length = text.chars().count();
                if length > HEADER_TEXT_MAX as usize {
                    let key = self
                        .variables
                        .iter()
                        .find(|v| v.location == VariableLocation::Header)
                        .map_or_else(String::new, |v| v.key.clone());
                    errors.push(CoreError::RenderedHeaderTooLong {
                        key,
                        length,
                        max: HEADER_TEXT_MAX as usize,
                    });
                }
            }
            let length = rendered.body.chars().count();
            if length > BODY_MAX {
                errors.push(CoreError::RenderedBodyTooLong {
                    length,
                    max: BODY_MAX,
                });
            }
            if let (Some(to), true) = (to, errors.is_empty()) {
                return Ok(ValidatedSend {
                    to,
                    variables: request.variables.clone(),
                    rendered,
                });
            }
        }
        Err(errors)
    }

    /// The message with `variables` substituted, in one pass: a value containing `{{1}}` is
    /// kept as written, never expanded again. Missing variables stay as `{{key}}` (validate
    /// first with [`Template::validate_send`]).
    pub fn render(&self, variables: &BTreeMap<String, String>) -> RenderedMessage {
        let components = self.components();
        let compiled = self.compiled();
        let media_url = || {
            variables
                .get(super::HEADER_URL_KEY)
                .cloned()
                .unwrap_or_default()
        };
        let header = match (&components.header, &compiled.header) {
            (_, Some(CompiledHeader::Text(segments))) => Some(RenderedHeader::Text {
                text: render_segments(segments, variables),
            }),
            (Some(TemplateHeader::Image { .. }), _) => {
                Some(RenderedHeader::Image { url: media_url() })
            }
            (Some(TemplateHeader::Video { .. }), _) => {
                Some(RenderedHeader::Video { url: media_url() })
            }
            (Some(TemplateHeader::Document { .. }), _) => {
                Some(RenderedHeader::Document { url: media_url() })
            }
            (Some(_), Some(CompiledHeader::Location)) => {
                let value = |key: &str| variables.get(key).cloned().unwrap_or_default();
                Some(RenderedHeader::Location {
                    latitude: value(LOCATION_LATITUDE_KEY),
                    longitude: value(LOCATION_LONGITUDE_KEY),
                    name: value(LOCATION_NAME_KEY),
                    address: value(LOCATION_ADDRESS_KEY),
                })
            }
            _ => None,
        };
        let buttons = components
            .buttons
            .iter()
            .zip(&compiled.buttons)
            .map(|(button, compiled)| {
                let (kind, text, value) = match (button, compiled) {
                    (TemplateButton::QuickReply { text }, _) => ("quick_reply", text, None),
                    (TemplateButton::Url { text, .. }, CompiledButton::Url(segments)) => {
                        ("url", text, Some(render_segments(segments, variables)))
                    }
                    (TemplateButton::Url { text, url }, _) => ("url", text, Some(url.clone())),
                    (TemplateButton::PhoneNumber { text, phone_number }, _) => {
                        ("phone_number", text, Some(phone_number.clone()))
                    }
                    (TemplateButton::CopyCode { text }, CompiledButton::CopyCode(key)) => {
                        ("copy_code", text, variables.get(key).cloned())
                    }
                    (TemplateButton::CopyCode { text }, _) => ("copy_code", text, None),
                    (TemplateButton::Otp { text, .. }, CompiledButton::CopyCode(key)) => {
                        ("otp", text, variables.get(key).cloned())
                    }
                    (TemplateButton::Otp { text, .. }, _) => ("otp", text, None),
                };
                RenderedButton {
                    kind: kind.to_owned(),
                    text: text.clone(),
                    value,
                }
            })
            .collect();
        RenderedMessage {
            header,
            body: render_segments(&compiled.body, variables),
            footer: components.footer.clone(),
            buttons,
        }
    }

    /// Whether `key` is the one-time code an authentication template's button carries.
    fn is_code_key(&self, key: &str) -> bool {
        self.category() == crate::wire::TemplateCategory::Authentication
            && self
                .compiled()
                .buttons
                .iter()
                .any(|b| matches!(b, CompiledButton::CopyCode(k) if k == key))
    }

    /// A request with every variable set to its example value, to an example number.
    pub fn example_request(&self) -> SendMessageRequest {
        SendMessageRequest {
            to: example_phone(self.language()).to_owned(),
            variables: self
                .variables
                .iter()
                .map(|v| (v.key.clone(), v.example.clone()))
                .collect(),
        }
    }
}

/// Plain-text form of a rendered message.
pub trait RenderedMessageExt {
    /// Header, body, footer and one line per button (`[Text] value`), separated by lines.
    fn to_plain_text(&self) -> String;
}

impl RenderedMessageExt for RenderedMessage {
    fn to_plain_text(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        match &self.header {
            Some(RenderedHeader::Text { text }) => parts.push(text.clone()),
            Some(RenderedHeader::Image { url }) => parts.push(format!("[image] {url}")),
            Some(RenderedHeader::Video { url }) => parts.push(format!("[video] {url}")),
            Some(RenderedHeader::Document { url }) => parts.push(format!("[document] {url}")),
            Some(RenderedHeader::Location { name, address, .. }) => {
                parts.push(format!("[location] {name}, {address}"));
            }
            None => {}
        }
        parts.push(self.body.clone());
        if let Some(footer) = &self.footer {
            parts.push(footer.clone());
        }
        if !self.buttons.is_empty() {
            let buttons: Vec<String> = self
                .buttons
                .iter()
                .map(|b| match &b.value {
                    Some(value) => format!("[{}] {value}", b.text),
                    None => format!("[{}]", b.text),
                })
                .collect();
            parts.push(buttons.join("\n"));
        }
        parts.join("\n\n")
    }
}

/// Free-function form of [`RenderedMessageExt::to_plain_text`].
pub fn to_plain_text(message: &RenderedMessage) -> String {
    message.to_plain_text()
}

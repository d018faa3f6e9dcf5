//! The Cloud API template message (`POST /{phone-number-id}/messages`) for one message:
//!
//! ```json
//! {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "5511987654321",
//!  "type": "template",
//!  "template": {"name": "order_update", "language": {"code": "pt_BR"}, "components": [
//!    {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://..."}}]},
//!    {"type": "body", "parameters": [{"type": "text", "text": "Ana"}]},
//!    {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "A1"}]},
//!    {"type": "button", "sub_type": "copy_code", "index": "1",
//!     "parameters": [{"type": "coupon_code", "coupon_code": "SAVE10"}]}]}}
//! ```
//!
//! Named templates (`{{first_name}}`) carry `parameter_name` on their header and body
//! parameters. A location header is `{"type": "location", "location": {"latitude",
//! "longitude", "name", "address"}}`. The OTP (copy-code, one-tap, zero-tap) button of an
//! AUTHENTICATION template is a URL button at Meta: the one-time code the caller sent once
//! goes into the body parameter and the button's `url` parameter. Quick-reply and
//! phone-number buttons take no parameter and are left out.
//!
//! The message's variables are checked against the template first: a template that is not
//! APPROVED, a missing variable or an unknown one is refused before any call to Meta.

use std::collections::BTreeMap;

use engage_core::template::{
    COUPON_CODE_KEY, HEADER_URL_KEY, LOCATION_ADDRESS_KEY, LOCATION_LATITUDE_KEY,
    LOCATION_LONGITUDE_KEY, LOCATION_NAME_KEY,
};
use engage_core::wire::{TemplateButton, TemplateCategory, TemplateHeader, TemplateStatus};
use engage_core::{PhoneNumber, Template};
use serde::{Deserialize, Serialize};

/// Why a message cannot be turned into a Cloud API request. Nothing is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("the template {name} is {status:?}, not APPROVED: WhatsApp refuses to send it")]
    TemplateNotApproved {
        name: String,
        status: TemplateStatus,
    },
    #[error("the variable `{key}` of the template has no value")]
    MissingVariable { key: String },
    #[error("the template has no variable `{key}`")]
    UnknownVariable { key: String },
    #[error("the recipient `{to}` is not a valid E.164 phone number")]
    InvalidRecipient { to: String },
    #[error("the template {name} cannot be sent by Engage: {reason}")]
    TemplateUnsupported { name: String, reason: String },
}

impl PayloadError {
    /// Stable snake_case code, stored with a failed message.
    pub fn code(&self) -> &'static str {
        match self {
            PayloadError::TemplateNotApproved { .. } => "template_not_approved",
            PayloadError::MissingVariable { .. } => "missing_variable",
            PayloadError::UnknownVariable { .. } => "unknown_variable",
            PayloadError::InvalidRecipient { .. } => "invalid_phone_number",
            PayloadError::TemplateUnsupported { .. } => "template_unsupported",
        }
    }

    /// The request field the error concerns (`variables.<key>`, `to`).
    pub fn field(&self) -> Option<String> {
        match self {
            PayloadError::MissingVariable { key } | PayloadError::UnknownVariable { key } => {
                Some(format!("variables.{key}"))
            }
            PayloadError::InvalidRecipient { .. } => Some("to".to_owned()),
            _ => None,
        }
    }
}

/// The whole request body of a template message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateMessage {
    /// Always `whatsapp`.
    pub messaging_product: String,
    /// Always `individual`.
    pub recipient_type: String,
    /// The recipient's number, digits only (country code first).
    pub to: String,
    /// Always `template`.
    #[serde(rename = "type")]
    pub kind: String,
    pub template: TemplatePart,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplatePart {
    pub name: String,
    pub language: Language,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Language {
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Component {
    Header {
        parameters: Vec<Parameter>,
    },
    Body {
        parameters: Vec<Parameter>,
    },
    Button {
        sub_type: ButtonSubType,
        /// The button's position in the template, as a string (`"0"`).
        index: String,
        parameters: Vec<Parameter>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ButtonSubType {
    Url,
    CopyCode,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Parameter {
    Text {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parameter_name: Option<String>,
        text: String,
    },
    Image {
        image: MediaLink,
    },
    Video {
        video: MediaLink,
    },
    Document {
        document: MediaLink,
    },
    CouponCode {
        coupon_code: String,
    },
    Location {
        location: LocationValue,
    },
}

/// The map pin of a location header, as Meta documents it (coordinates as decimal text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationValue {
    pub latitude: String,
    pub longitude: String,
    pub name: String,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaLink {
    pub link: String,
}

/// The `{{...}}` placeholders of `text`, in order (the template was checked when stored).
fn placeholders(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        found.push(&after[..end]);
        rest = &after[end + 2..];
    }
    found
}

fn is_position(inner: &str) -> bool {
    !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit())
}

struct Values<'a> {
    variables: &'a BTreeMap<String, String>,
}

impl Values<'_> {
    fn get(&self, key: &str) -> Result<String, PayloadError> {
        self.variables
            .get(key)
            .cloned()
            .ok_or_else(|| PayloadError::MissingVariable {
                key: key.to_owned(),
            })
    }

    /// A text parameter for the placeholder `inner` (`1` or `first_name`) of the header
    /// (`header_key` is the key of a positional header variable) or body.
    fn text(&self, inner: &str, positional_key: String) -> Result<Parameter, PayloadError> {
        if is_position(inner) {
            Ok(Parameter::Text {
                parameter_name: None,
                text: self.get(&positional_key)?,
            })
        } else {
            Ok(Parameter::Text {
                parameter_name: Some(inner.to_owned()),
                text: self.get(inner)?,
            })
        }
    }
}

/// An authentication template's code button: a URL button whose parameter is the code (the
/// body's first variable).
fn otp_button(
    index: usize,
    values: &Values<'_>,
    code_key: Option<&str>,
) -> Result<Component, PayloadError> {
    Ok(Component::Button {
        sub_type: ButtonSubType::Url,
        index: index.to_string(),
        parameters: vec![Parameter::Text {
            parameter_name: None,
            text: values.get(code_key.unwrap_or("1"))?,
        }],
    })
}

/// Builds the request sending `template` to `to` (E.164) with `variables`.
pub fn build_template_message(
    template: &Template,
    to: &str,
    variables: &BTreeMap<String, String>,
) -> Result<TemplateMessage, PayloadError> {
    if let Some(unsupported) = template.unsupported() {
        return Err(PayloadError::TemplateUnsupported {
            name: template.name().to_owned(),
            reason: unsupported.reason.clone(),
        });
    }
    if !template.is_sendable() {
        return Err(PayloadError::TemplateNotApproved {
            name: template.name().to_owned(),
            status: template.status(),
        });
    }
    if let Some(key) = variables
        .keys()
        .find(|key| !template.variables().iter().any(|v| &v.key == *key))
    {
        return Err(PayloadError::UnknownVariable { key: key.clone() });
    }
    let phone =
        PhoneNumber::parse(to).map_err(|_| PayloadError::InvalidRecipient { to: to.to_owned() })?;
    let values = Values { variables };
    let components_def = template.components();
    let mut components = Vec::new();

    match &components_def.header {
        None => {}
        Some(TemplateHeader::Text { text }) => {
            if let Some(inner) = placeholders(text).first() {
                components.push(Component::Header {
                    parameters: vec![values.text(inner, "header_1".to_owned())?],
                });
            }
        }
        Some(TemplateHeader::Image { .. }) => components.push(Component::Header {
            parameters: vec![Parameter::Image {
                image: MediaLink {
                    link: values.get(HEADER_URL_KEY)?,
                },
            }],
        }),
        Some(TemplateHeader::Video { .. }) => components.push(Component::Header {
            parameters: vec![Parameter::Video {
                video: MediaLink {
                    link: values.get(HEADER_URL_KEY)?,
                },
            }],
        }),
        Some(TemplateHeader::Document { .. }) => components.push(Component::Header {
            parameters: vec![Parameter::Document {
                document: MediaLink {
                    link: values.get(HEADER_URL_KEY)?,
                },
            }],
        }),
        Some(TemplateHeader::Location) => components.push(Component::Header {
            parameters: vec![Parameter::Location {
                location: LocationValue {
                    latitude: values.get(LOCATION_LATITUDE_KEY)?,
                    longitude: values.get(LOCATION_LONGITUDE_KEY)?,
                    name: values.get(LOCATION_NAME_KEY)?,
                    address: values.get(LOCATION_ADDRESS_KEY)?,
                },
            }],
        }),
    }

    // Body: positional parameters in order {{1}}, {{2}}, ...; named ones once each, in
    // order of first use.
    let body = placeholders(&components_def.body);
    let mut positions: Vec<u32> = body
        .iter()
        .filter(|inner| is_position(inner))
        .filter_map(|inner| inner.parse().ok())
        .collect();
    positions.sort_unstable();
    positions.dedup();
    let mut names: Vec<&str> = Vec::new();
    for inner in body.iter().filter(|inner| !is_position(inner)) {
        if !names.contains(inner) {
            names.push(inner);
        }
    }
    let mut body_parameters = Vec::with_capacity(positions.len() + names.len());
    for position in &positions {
        let key = position.to_string();
        body_parameters.push(values.text(&key, key.clone())?);
    }
    for name in &names {
        body_parameters.push(values.text(name, String::new())?);
    }
    let first_body_key = positions
        .first()
        .map(u32::to_string)
        .or_else(|| names.first().map(|n| (*n).to_owned()));
    if !body_parameters.is_empty() {
        components.push(Component::Body {
            parameters: body_parameters,
        });
    }

    for (index, button) in components_def.buttons.iter().enumerate() {
        match button {
            TemplateButton::QuickReply { .. } | TemplateButton::PhoneNumber { .. } => {}
            TemplateButton::Url { url, .. } => {
                let Some(inner) = placeholders(url).last().copied() else {
                    continue;
                };
                let key = if is_position(inner) {
                    format!("button_{index}")
                } else {
                    inner.to_owned()
                };
                components.push(Component::Button {
                    sub_type: ButtonSubType::Url,
                    index: index.to_string(),
                    parameters: vec![Parameter::Text {
                        parameter_name: None,
                        text: values.get(&key)?,
                    }],
                });
            }
            TemplateButton::Otp { .. } => {
                components.push(otp_button(index, &values, first_body_key.as_deref())?);
            }
            TemplateButton::CopyCode { .. } => {
                if template.category() == TemplateCategory::Authentication {
                    components.push(otp_button(index, &values, first_body_key.as_deref())?);
                } else {
                    components.push(Component::Button {
                        sub_type: ButtonSubType::CopyCode,
                        index: index.to_string(),
                        parameters: vec![Parameter::CouponCode {
                            coupon_code: values.get(COUPON_CODE_KEY)?,
                        }],
                    });
                }
            }
        }
    }

    // Every variable of the template must have been used above (a named variable of a text
    // header only, for instance, is caught here if the loop above did not ask for it).
    for variable in template.variables() {
        values.get(&variable.key)?;
    }

    Ok(TemplateMessage {
        messaging_product: "whatsapp".to_owned(),
        recipient_type: "individual".to_owned(),
        to: phone.as_e164().trim_start_matches('+').to_owned(),
        kind: "template".to_owned(),
        template: TemplatePart {
            name: template.name().to_owned(),
            language: Language {
                code: template.language().to_owned(),
            },
            components,
        },
    })
}

#[cfg(test)]
#[path = "payload_tests.rs"]
mod tests;

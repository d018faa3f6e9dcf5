//! Parsing of Meta's WhatsApp Cloud API `message_templates` JSON: one template object (as
//! created or fetched) or the listing `{"data": [...], "paging": ...}`.
//!
//! Supported components: `HEADER` (`TEXT`, `IMAGE`, `VIDEO`, `DOCUMENT`, `LOCATION`),
//! `BODY`, `FOOTER`, `BUTTONS` (`QUICK_REPLY`, `URL`, `PHONE_NUMBER`, `COPY_CODE`, and `OTP`
//! buttons of authentication templates, modelled as copy-code buttons). Component and
//! button types are matched case-insensitively. Examples (`header_text`,
//! `header_text_named_params`, `header_handle`, `body_text`, `body_text_named_params`,
//! button `example`) become the variables' example values.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::placeholder::ParameterFormat;
use super::{Template, TemplateDefinition, COUPON_CODE_KEY, HEADER_URL_KEY};
use crate::error::CoreError;
use crate::wire::{
    TemplateButton, TemplateCategory, TemplateComponents, TemplateHeader, TemplateStatus,
};

#[derive(Debug, Deserialize)]
struct MetaTemplate {
    name: String,
    language: MetaLanguage,
    category: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    parameter_format: Option<String>,
    components: Vec<MetaComponent>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum MetaLanguage {
    Code(String),
    Object { code: String },
}

#[derive(Debug, Deserialize)]
struct MetaComponent {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    example: Option<MetaExample>,
    #[serde(default)]
    buttons: Vec<MetaButton>,
}

#[derive(Debug, Default, Deserialize)]
struct MetaExample {
    #[serde(default)]
    header_text: Vec<String>,
    #[serde(default)]
    header_text_named_params: Vec<NamedParam>,
    #[serde(default)]
    header_handle: Vec<String>,
    #[serde(default)]
    body_text: Vec<Vec<String>>,
    #[serde(default)]
    body_text_named_params: Vec<NamedParam>,
}

#[derive(Debug, Deserialize)]
struct NamedParam {
    param_name: String,
    example: String,
}

#[derive(Debug, Deserialize)]
struct MetaButton {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    phone_number: Option<String>,
    #[serde(default)]
    example: Option<OneOrMany>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn first(&self) -> Option<&str> {
        match self {
            OneOrMany::One(value) => Some(value),
            OneOrMany::Many(values) => values.first().map(String::as_str),
        }
    }
}

/// Parses a `message_templates` document: one template object or `{"data": [...]}`.
pub fn parse_meta_templates(json: &str) -> Result<Vec<Template>, CoreError> {
    let value: Value = serde_json::from_str(json).map_err(|e| CoreError::InvalidTemplateJson {
        reason: e.to_string(),
    })?;
    match value.get("data") {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                parse_meta_template(item).map_err(|e| prefix_field(e, &format!("data[{i}]")))
            })
            .collect(),
        Some(_) => Err(CoreError::InvalidTemplateJson {
            reason: "\"data\" must be an array of templates".to_owned(),
        }),
        None => Ok(vec![parse_meta_template(&value)?]),
    }
}

fn prefix_field(error: CoreError, prefix: &str) -> CoreError {
    match error {
        CoreError::InvalidTemplate { field, reason } => CoreError::InvalidTemplate {
            field: format!("{prefix}.{field}"),
            reason,
        },
        CoreError::InvalidTemplateJson { reason } => CoreError::InvalidTemplateJson {
            reason: format!("{prefix}: {reason}"),
        },
        other => other,
    }
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> CoreError {
    CoreError::InvalidTemplate {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Parses one template object of Meta's format.
pub fn parse_meta_template(value: &Value) -> Result<Template, CoreError> {
    let meta = MetaTemplate::deserialize(value).map_err(|e| CoreError::InvalidTemplateJson {
        reason: e.to_string(),
    })?;
    if meta.name.trim().is_empty() {
        return Err(invalid("name", "the template name is required"));
    }
    let language = match meta.language {
        MetaLanguage::Code(code) | MetaLanguage::Object { code } => code,
    };
    if language.trim().is_empty() {
        return Err(invalid("language", "the language code is required"));
    }
    let category = match meta.category.to_ascii_uppercase().as_str() {
        "UTILITY" => TemplateCategory::Utility,
        "MARKETING" => TemplateCategory::Marketing,
        "AUTHENTICATION" => TemplateCategory::Authentication,
        other => return Err(invalid("category", format!("unknown category \"{other}\""))),
    };
    let status = match meta
        .status
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        // A template being created has no status yet: it awaits review.
        None | Some("PENDING") | Some("IN_APPEAL") => TemplateStatus::Pending,
        Some("APPROVED") => TemplateStatus::Approved,
        Some("REJECTED") => TemplateStatus::Rejected,
        Some("PAUSED") => TemplateStatus::Paused,
        Some("DISABLED" | "PENDING_DELETION" | "DELETED" | "ARCHIVED" | "LIMIT_EXCEEDED") => {
            TemplateStatus::Disabled
        }
        Some(other) => return Err(invalid("status", format!("unknown status \"{other}\""))),
    };
    let declared_format = match meta
        .parameter_format
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None => None,
        Some("POSITIONAL") => Some(ParameterFormat::Positional),
        Some("NAMED") => Some(ParameterFormat::Named),
        Some(other) => {
            return Err(invalid(
                "parameter_format",
                format!("unknown parameter_format \"{other}\" (POSITIONAL or NAMED)"),
            ))
        }
    };

    let mut examples = BTreeMap::new();
    let mut header = None;
    let mut body = None;
    let mut footer = None;
    let mut buttons = Vec::new();
    for (index, component) in meta.components.iter().enumerate() {
        let field = format!("components[{index}]");
        let example = component.example.as_ref();
        match component.kind.to_ascii_uppercase().as_str() {
            "HEADER" => {
                if header.is_some() {
                    return Err(invalid(field, "a template has at most one header"));
                }
                header = Some(parse_header(component, &field, &mut examples)?);
            }
            "BODY" => {
                if body.is_some() {
                    return Err(invalid(field, "a template has one body"));
                }
                let text = component.text.clone().unwrap_or_default();
                if let Some(example) = example {
                    for (i, value) in example.body_text.first().into_iter().flatten().enumerate() {
                        examples.insert((i + 1).to_string(), value.clone());
                    }
                    for param in &example.body_text_named_params {
                        examples.insert(param.param_name.clone(), param.example.clone());
                    }
                }
                body = Some(text);
            }
            "FOOTER" => {
                footer = Some(
                    component
                        .text
                        .clone()
                        .ok_or_else(|| invalid(format!("{field}.text"), "a footer needs text"))?,
                );
            }
            "BUTTONS" => {
                for (b, button) in component.buttons.iter().enumerate() {
                    let button_field = format!("{field}.buttons[{b}]");
                    let (parsed, example) = parse_button(button, &button_field, &category)?;
                    if let Some(example) = example {
                        let key = match &parsed {
                            TemplateButton::CopyCode { .. } => COUPON_CODE_KEY.to_owned(),
                            _ => format!("button_{}", buttons.len()),
                        };
                        examples.entry(key).or_insert(example);
                    }
                    buttons.push(parsed);
                }
            }
            other => {
                return Err(invalid(
                    format!("{field}.type"),
                    format!("component type \"{other}\" is not supported"),
                ))
            }
        }
    }
    let Some(body) = body else {
        return Err(invalid("components", "a template needs a BODY component"));
    };
    // Named URL-button variables take their example from the button too.
    for (index, button) in buttons.iter().enumerate() {
        if let TemplateButton::Url { url, .. } = button {
            if let (Some(start), Some(example)) = (
                url.find("{{"),
                examples.get(&format!("button_{index}")).cloned(),
            ) {
                let name = url[start + 2..].trim_end_matches("}}").to_owned();
                if !name.is_empty() && !name.bytes().all(|b| b.is_ascii_digit()) {
                    examples.entry(name).or_insert(example);
                }
            }
        }
    }

    let template = Template::new(TemplateDefinition {
        name: meta.name,
        language,
        category,
        status,
        components: TemplateComponents {
            header,
            body,
            footer,
            buttons,
        },
        examples,
    })?;
    if let (Some(declared), Some(found)) = (declared_format, template.parameter_format()) {
        if declared != found {
            return Err(invalid(
                "parameter_format",
                format!(
                    "parameter_format is {declared:?} but the text uses {found:?} placeholders"
                ),
            ));
        }
    }
    Ok(template)
}

fn parse_header(
    component: &MetaComponent,
    field: &str,
    examples: &mut BTreeMap<String, String>,
) -> Result<TemplateHeader, CoreError> {
    let example = component.example.as_ref();
    let handle = example.and_then(|e| e.header_handle.first().cloned());
    let format = component
        .format
        .as_deref()
        .unwrap_or("TEXT")
        .to_ascii_uppercase();
    Ok(match format.as_str() {
        "TEXT" => {
            let text = component
                .text
                .clone()
                .ok_or_else(|| invalid(format!("{field}.text"), "a text header needs text"))?;
            if let Some(example) = example {
                if let Some(value) = example.header_text.first() {
                    examples.insert("header_1".to_owned(), value.clone());
                }
                for param in &example.header_text_named_params {
                    examples.insert(param.param_name.clone(), param.example.clone());
                }
            }
            TemplateHeader::Text { text }
        }
        "IMAGE" | "VIDEO" | "DOCUMENT" => {
            if let Some(url) = &handle {
                examples.insert(HEADER_URL_KEY.to_owned(), url.clone());
            }
            match format.as_str() {
                "IMAGE" => TemplateHeader::Image {
                    example_url: handle,
                },
                "VIDEO" => TemplateHeader::Video {
                    example_url: handle,
                },
                _ => TemplateHeader::Document {
                    example_url: handle,
                },
            }
        }
        "LOCATION" => TemplateHeader::Location,
        other => {
            return Err(invalid(
                format!("{field}.format"),
                format!("header format \"{other}\" is not supported"),
            ))
        }
    })
}

fn parse_button(
    button: &MetaButton,
    field: &str,
    category: &TemplateCategory,
) -> Result<(TemplateButton, Option<String>), CoreError> {
    let text = || {
        button
            .text
            .clone()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| invalid(format!("{field}.text"), "a button needs text"))
    };
    let example = button
        .example
        .as_ref()
        .and_then(OneOrMany::first)
        .map(str::to_owned);
    Ok(match button.kind.to_ascii_uppercase().as_str() {
        "QUICK_REPLY" => (TemplateButton::QuickReply { text: text()? }, None),
        "URL" => {
            let url = button
                .url
                .clone()
                .ok_or_else(|| invalid(format!("{field}.url"), "a URL button needs a url"))?;
            (TemplateButton::Url { text: text()?, url }, example)
        }
        "PHONE_NUMBER" => {
            let phone_number = button.phone_number.clone().ok_or_else(|| {
                invalid(
                    format!("{field}.phone_number"),
                    "a phone-number button needs a phone_number",
                )
            })?;
            (
                TemplateButton::PhoneNumber {
                    text: text()?,
                    phone_number,
                },
                None,
            )
        }
        "COPY_CODE" => (
            TemplateButton::CopyCode {
                text: button
                    .text
                    .clone()
                    .unwrap_or_else(|| "Copy offer code".to_owned()),
            },
            example,
        ),
        "OTP" if *category == TemplateCategory::Authentication => (
            TemplateButton::CopyCode {
                text: button
                    .text
                    .clone()
                    .unwrap_or_else(|| "Copy code".to_owned()),
            },
            None,
        ),
        other => {
            return Err(invalid(
                format!("{field}.type"),
                format!("button type \"{other}\" is not supported"),
            ))
        }
    })
}
